"""TRL prompt-completion: ``{"prompt": ..., "completion": ...}``.

Both the standard shape (strings) and the conversational shape (lists of messages) are read;
the writer keeps the shape and the prompt/completion split the record came in, and otherwise
writes the conversational shape with every turn before the last assistant turn as the prompt.
"""

from __future__ import annotations

from typing import Any

from threadsmith.errors import UnsupportedConversion
from threadsmith.formats.record import (
    RecordContext,
    RecordInvalid,
    build_conversation,
    decode_messages,
    describe,
    encode_message,
    head,
    tail,
)
from threadsmith.model import Conversation, Message, ProblemKind

NAME = "trl"


def matches(record: dict[str, Any]) -> bool:
    """True for records with ``prompt`` and ``completion`` keys."""
    return "prompt" in record and "completion" in record


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One prompt-completion record to a conversation."""
    prompt, completion = record["prompt"], record["completion"]
    if isinstance(prompt, str) and isinstance(completion, str):
        messages: tuple[Message, ...] = (Message("user", prompt), Message("assistant", completion))
        hints = {"style": "standard", "prompt_length": 1}
    elif isinstance(prompt, list) and isinstance(completion, list):
        messages = decode_messages(prompt + completion, ctx, "prompt")
        hints = {"style": "conversational", "prompt_length": len(prompt)}
    else:
        raise RecordInvalid(
            ProblemKind.MESSAGES_NOT_A_LIST,
            "'prompt' and 'completion' must both be strings or both be lists of messages",
        )
    return build_conversation(record, ctx, NAME, messages, {"prompt", "completion"}, hints)


def _split(conversation: Conversation, hints: Any) -> int:
    """Where the completion starts: the split the record was read with, else the last assistant turn."""
    messages = conversation.messages
    if hints.get("style") == "conversational" and 0 <= hints.get("prompt_length", -1) <= len(messages):
        return int(hints["prompt_length"])
    last = max((i for i, m in enumerate(messages) if m.role == "assistant"), default=None)
    if last is None:
        raise UnsupportedConversion(
            f"Conversation {describe(conversation)} has no assistant turn to use as the completion.",
            hint="Export it as openai or sharegpt instead.",
        )
    return last


def write(conversation: Conversation) -> dict[str, Any]:
    """A conversation as prompt (every turn before the last assistant turn) and completion."""
    keep = conversation.source.format == NAME
    hints = conversation.source.hints if keep else {}
    split = _split(conversation, hints)
    prompt, completion = conversation.messages[:split], conversation.messages[split:]
    standard = (
        hints.get("style") == "standard"
        and len(prompt) == 1 and prompt[0].role == "user" and isinstance(prompt[0].content, str)
        and len(completion) == 1 and isinstance(completion[0].content, str)
    )
    record = head(conversation)
    if standard:
        record["prompt"], record["completion"] = prompt[0].text, completion[0].text
    else:
        record["prompt"] = [encode_message(m, keep_spelling=keep) for m in prompt]
        record["completion"] = [encode_message(m, keep_spelling=keep) for m in completion]
    record.update(tail(conversation))
    return record
