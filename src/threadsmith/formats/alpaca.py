"""Alpaca: ``{"instruction": ..., "input": ..., "output": ...}`` (+ ``system``, ``history``).

The user turn is the instruction, then a blank line and the input when there is one. Writing
is single-turn only: a multi-turn conversation cannot become one Alpaca record without losing
turns, so it is an error naming the record. The one exception is a record read from Alpaca
with a ``history`` of earlier ``[instruction, response]`` pairs, which is written back as it was.

Lossy by design: message names, weights and unknown message keys have no place in Alpaca, and
an empty ``system`` is the same as none (no system message is read for it).
"""

from __future__ import annotations

from typing import Any

from threadsmith.errors import UnsupportedConversion
from threadsmith.formats.record import RecordContext, RecordInvalid, build_conversation, describe, head, tail
from threadsmith.model import Conversation, Message, ProblemKind

NAME = "alpaca"
_KEYS = frozenset({"instruction", "input", "output", "system", "history"})


def matches(record: dict[str, Any]) -> bool:
    """True for records with ``instruction`` and ``output`` keys."""
    return "instruction" in record and "output" in record


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordInvalid(ProblemKind.INVALID_CONTENT, f"'{key}' is a {type(value).__name__}, not a string")
    return value


def _history(value: Any) -> list[Message]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordInvalid(ProblemKind.MESSAGES_NOT_A_LIST, "'history' is not a list of [instruction, response] pairs")
    messages = []
    for i, pair in enumerate(value):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"history item {i} is not an [instruction, response] pair")
        messages += [Message("user", pair[0]), Message("assistant", pair[1])]
    return messages


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One Alpaca record to a conversation."""
    instruction, user_input, output = _text(record, "instruction"), _text(record, "input"), _text(record, "output")
    system = _text(record, "system")
    messages: list[Message] = [Message("system", system)] if system else []
    messages += _history(record.get("history"))
    prompt = f"{instruction}\n\n{user_input}" if user_input else instruction
    messages += [Message("user", prompt), Message("assistant", output)]
    hints = {
        "instruction": instruction,
        "input": user_input,
        "input_key": "input" in record,
        "system_key": "system" in record,
        "history_key": "history" in record,
    }
    return build_conversation(record, ctx, NAME, messages, _KEYS, hints)


def _pairs(conversation: Conversation, messages: list[Message], history: bool) -> list[list[str]]:
    """``[user, assistant]`` text pairs; more than one only when ``history`` may hold the earlier ones."""
    roles = [m.role for m in messages]
    pairs = len(roles) // 2
    if pairs == 0 or roles != ["user", "assistant"] * pairs or (pairs > 1 and not history):
        raise UnsupportedConversion(
            f"Conversation {describe(conversation)} has {len(roles)} turns ({', '.join(roles[:6])}"
            f"{', ...' if len(roles) > 6 else ''}); Alpaca holds exactly one user turn and one assistant turn.",
            hint="Export it as openai or sharegpt, or split it into single-turn entries first.",
        )
    return [[messages[i].text, messages[i + 1].text] for i in range(0, len(messages), 2)]


def write(conversation: Conversation) -> dict[str, Any]:
    """A single-turn conversation (optional system, one user, one assistant) as an Alpaca record."""
    hints = conversation.source.hints if conversation.source.format == NAME else {}
    messages = list(conversation.messages)
    system = messages.pop(0).text if messages and messages[0].role == "system" else None
    *history, (prompt, output) = _pairs(conversation, messages, bool(hints.get("history_key")))
    instruction, user_input = prompt, ""
    if hints.get("input") and prompt == f"{hints.get('instruction')}\n\n{hints['input']}":
        instruction, user_input = hints["instruction"], hints["input"]
    record = head(conversation)
    record["instruction"] = instruction
    if user_input or hints.get("input_key", True):
        record["input"] = user_input
    record["output"] = output
    if system is not None or hints.get("system_key"):
        record["system"] = system or ""
    if hints.get("history_key"):
        record["history"] = history
    record.update(tail(conversation))
    return record
