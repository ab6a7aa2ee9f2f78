"""Alpaca: ``{"instruction": ..., "input": ..., "output": ...}`` (+ ``system``, ``history``).

Dolly's spelling of the same shape (``{"instruction", "context", "response"}``, databricks-dolly-15k)
is read too, and written back with its own keys.

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
#: The keys of the input and of the output: Alpaca's, then Dolly's.
_INPUTS, _OUTPUTS = ("input", "context"), ("output", "response")


def matches(record: dict[str, Any]) -> bool:
    """True for records with ``instruction`` and ``output`` (or Dolly's ``response``) keys."""
    return "instruction" in record and ("output" in record or "response" in record)


def _key(record: dict[str, Any], choices: tuple[str, str]) -> str:
    return choices[1] if choices[0] not in record and choices[1] in record else choices[0]


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
    input_name, output_name = _key(record, _INPUTS), _key(record, _OUTPUTS)
    instruction, user_input, output = _text(record, "instruction"), _text(record, input_name), _text(record, output_name)
    system = _text(record, "system")
    messages: list[Message] = [Message("system", system)] if system else []
    messages += _history(record.get("history"))
    prompt = f"{instruction}\n\n{user_input}" if user_input else instruction
    messages += [Message("user", prompt), Message("assistant", output)]
    hints = {
        "instruction": instruction,
        "input": user_input,
        "input_key": input_name in record,
        "system_key": "system" in record,
        "history_key": "history" in record,
        **({"input_name": input_name} if input_name != "input" else {}),
        **({"output_name": output_name} if output_name != "output" else {}),
    }
    used = {"instruction", input_name, output_name, "system", "history"}
    return build_conversation(record, ctx, NAME, messages, used, hints)


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
        record[hints.get("input_name", "input")] = user_input
    record[hints.get("output_name", "output")] = output
    if system is not None or hints.get("system_key"):
        record["system"] = system or ""
    if hints.get("history_key"):
        record["history"] = history
    record.update(tail(conversation))
    return record
