"""ShareGPT: ``{"conversations": [{"from": "human", "value": ...}, ...]}``.

Speaker labels that are not roles (``Kai``, ``Mara``) are kept as message names; map them to
roles with the ``[tool.threadsmith.roles]`` table. LLaMA-Factory's top-level ``system`` and
``tools`` keys are read too.
"""

from __future__ import annotations

from typing import Any

from threadsmith.formats.openai import head, tail
from threadsmith.formats.record import (
    RecordContext,
    RecordInvalid,
    decode_content,
    record_id,
    record_tags,
    resolve_role,
)
from threadsmith.model import Conversation, Message, ProblemKind, Source

NAME = "sharegpt"

#: Canonical role -> the spelling ShareGPT writes.
_SPELLING = {"user": "human", "assistant": "gpt", "system": "system", "tool": "observation"}
_TURN_KEYS = frozenset({"from", "value", "role", "content", "weight"})


def matches(record: dict[str, Any]) -> bool:
    """True for records with a ``conversations`` key."""
    return "conversations" in record


def _turn(value: Any, index: int, ctx: RecordContext) -> tuple[Message, bool]:
    if not isinstance(value, dict):
        raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"turn {index} is a {type(value).__name__}, not an object", index)
    role_key = "from" if "from" in value else "role"
    label = value.get(role_key)
    if not isinstance(label, str):
        raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"turn {index} has no 'from' speaker string", index)
    role, raw, speaker = resolve_role(label, ctx)
    if raw is None and role == label and role not in ("user", "assistant", "system", "tool"):
        speaker = label  # an unmapped custom speaker keeps its label as the name
    native = _SPELLING.get(role)
    raw_role = None if label == native else label
    extra = {k: v for k, v in value.items() if k not in _TURN_KEYS}
    weight = value.get("weight")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float))):
        raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"turn {index} has a non-numeric weight", index)
    content_key = "value" if "value" in value else "content"
    message = Message(
        role=role,
        content=decode_content(value.get(content_key), index),
        name=speaker,
        weight=weight,
        raw_role=raw_role,
        extra=extra,
    )
    return message, role_key == "role"


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One ShareGPT record to a conversation."""
    turns = record["conversations"]
    if not isinstance(turns, list):
        raise RecordInvalid(ProblemKind.MESSAGES_NOT_A_LIST, f"'conversations' is a {type(turns).__name__}, not a list")
    messages = []
    role_keys = False
    system = record.get("system")
    if isinstance(system, str):
        messages.append(Message("system", system))
    for turn in turns:
        message, uses_role_key = _turn(turn, len(messages), ctx)
        role_keys = role_keys or uses_role_key
        messages.append(message)
    conv_id, assigned = record_id(record, ctx)
    tags = record_tags(record)
    skip = {"conversations"} | ({"id"} if not assigned else set()) | ({"tags"} if tags is not None else set())
    if isinstance(system, str):
        skip.add("system")
    hints = {"tags_key": tags is not None, "system_key": isinstance(system, str), "role_keys": role_keys}
    return Conversation(
        id=conv_id,
        messages=tuple(messages),
        tags=tags or (),
        metadata={k: v for k, v in record.items() if k not in skip},
        source=Source(ctx.path, ctx.index, ctx.line, NAME, hints),
        id_assigned=assigned,
    )


def _encode_turn(message: Message, keep: bool, role_keys: bool) -> dict[str, Any]:
    if keep and message.raw_role is not None:
        label = message.raw_role
    elif message.role in _SPELLING:
        label = _SPELLING[message.role]
    else:
        label = message.name or message.role
    value = message.content if isinstance(message.content, str) else message.text
    turn: dict[str, Any] = {"role": label, "content": value} if role_keys else {"from": label, "value": value}
    if message.weight is not None:
        turn["weight"] = message.weight
    turn.update(message.extra)
    return turn


def write(conversation: Conversation) -> dict[str, Any]:
    """A conversation as a ShareGPT record (system kept as a turn unless it was a top-level key)."""
    hints = conversation.source.hints
    keep = conversation.source.format == NAME
    messages = list(conversation.messages)
    record = head(conversation)
    if keep and hints.get("system_key") and messages and messages[0].role == "system":
        record["system"] = messages.pop(0).text
    role_keys = bool(keep and hints.get("role_keys"))
    record["conversations"] = [_encode_turn(m, keep, role_keys) for m in messages]
    record.update(tail(conversation))
    return record
