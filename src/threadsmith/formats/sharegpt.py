"""ShareGPT: ``{"conversations": [{"from": "human", "value": ...}, ...]}``.

Speaker labels that are not roles (``Kai``, ``Mara``) are kept as message names; map them to
roles with the ``[tool.threadsmith.roles]`` table. LLaMA-Factory's top-level ``system`` and
``tools`` keys are read too, and so are turns spelled ``role``/``content`` and a ``conversation``
list of ``from`` turns (written back under that key). A message name that
is not the speaker label is written as a ``name`` key of the turn.

Written from other formats, tool calls take LLaMA-Factory's shape: each assistant message's calls
become a ``function_call`` turn holding their JSON (after a ``gpt`` turn with the words said
with them, if any), results are ``observation`` turns, and a ``tools`` list becomes the JSON
string of plain function schemas. Lossy there by design: multi-part content becomes its text,
and call ids are not written.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from threadsmith.formats.openai import ALIAS
from threadsmith.formats.record import (
    RecordContext,
    RecordInvalid,
    build_conversation,
    decode_content,
    encode_content,
    head,
    is_list_of,
    resolve_role,
    tail,
)
from threadsmith.model import CANONICAL_ROLES, FUNCTION_CALL, Conversation, Message, ProblemKind, canonical_role
from threadsmith.model.calls import function_call_value, plain_tools

NAME = "sharegpt"

#: Canonical role -> the spelling ShareGPT writes.
_SPELLING = {"user": "human", "assistant": "gpt", "system": "system", "tool": "observation"}


def matches(record: dict[str, Any]) -> bool:
    """True for records with a ``conversations`` key, or a ``conversation`` list of ``from`` turns."""
    return "conversations" in record or (ALIAS in record and is_list_of(record[ALIAS], "from"))


def _turn(value: Any, index: int, ctx: RecordContext) -> tuple[Message, bool]:
    if not isinstance(value, dict):
        raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"turn {index} is a {type(value).__name__}, not an object", index)
    role_key = "from" if "from" in value else "role"
    content_key = "value" if "value" in value else "content"
    label = value.get(role_key)
    if not isinstance(label, str):
        raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"turn {index} has no 'from' speaker string", index)
    role, _, speaker = resolve_role(label, ctx)
    if role == label and role not in CANONICAL_ROLES:
        speaker = label  # an unmapped custom speaker keeps its label as the name
    weight = value.get("weight")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float))):
        raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"turn {index} has a non-numeric weight", index)
    name = value.get("name")
    used = {role_key, content_key, "weight"} | ({"name"} if isinstance(name, str) else set())
    message = Message(
        role=role,
        content=decode_content(value.get(content_key), index),
        name=name if isinstance(name, str) else speaker,
        weight=weight,
        raw_role=None if label == _SPELLING.get(role) else label,
        extra={k: v for k, v in value.items() if k not in used},
    )
    return message, role_key == "role"


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One ShareGPT record to a conversation."""
    key = "conversations" if "conversations" in record else ALIAS
    turns = record[key]
    if not isinstance(turns, list):
        raise RecordInvalid(ProblemKind.MESSAGES_NOT_A_LIST, f"'{key}' is a {type(turns).__name__}, not a list")
    system = record.get("system")
    messages = [Message("system", system)] if isinstance(system, str) else []
    role_keys = False
    for turn in turns:
        message, uses_role_key = _turn(turn, len(messages), ctx)
        role_keys = role_keys or uses_role_key
        messages.append(message)
    used = {key, "system"} if isinstance(system, str) else {key}
    hints = {"system_key": isinstance(system, str), "role_keys": role_keys,
             **({"turns_key": key} if key != "conversations" else {})}
    return build_conversation(record, ctx, NAME, messages, used, hints)


def _encode_turn(message: Message, keep: bool, role_keys: bool) -> dict[str, Any]:
    label = message.raw_role if keep and message.raw_role is not None else _SPELLING.get(message.role, message.role)
    value = encode_content(message.content) if keep else message.text
    turn: dict[str, Any] = {"role": label, "content": value} if role_keys else {"from": label, "value": value}
    if message.name is not None and not (message.name == label and canonical_role(label) is None):
        turn["name"] = message.name  # a custom speaker's name is its label; any other name needs the key
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
    turns = []
    for message in messages:
        if keep or not message.tool_calls:
            turns.append(_encode_turn(message, keep, role_keys))
            continue
        if message.text.strip():  # words said with the calls: a turn of their own before the call
            turns.append(_encode_turn(replace(message, tool_calls=()), keep, role_keys))
        turns.append({"from": FUNCTION_CALL, "value": function_call_value(message.tool_calls)})
    record[hints.get("turns_key", "conversations") if keep else "conversations"] = turns
    record.update(tail(conversation))
    if not keep and isinstance(record.get("tools"), list):
        record["tools"] = orjson.dumps(plain_tools(record["tools"])).decode()
    return record
