"""TRL prompt-completion: ``{"prompt": ..., "completion": ...}``.

Both the standard shape (strings) and the conversational shape (lists of messages) are read;
the writer keeps the shape the record came in, and writes the conversational one otherwise.
"""

from __future__ import annotations

from typing import Any

from threadsmith.errors import UnsupportedConversion
from threadsmith.formats.openai import head, tail
from threadsmith.formats.record import (
    RecordContext,
    RecordInvalid,
    decode_messages,
    encode_message,
    record_id,
    record_tags,
)
from threadsmith.model import Conversation, Message, ProblemKind, Source

NAME = "trl"


def matches(record: dict[str, Any]) -> bool:
    """True for records with ``prompt`` and ``completion`` keys."""
    return "prompt" in record and "completion" in record


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One prompt-completion record to a conversation."""
    prompt, completion = record["prompt"], record["completion"]
    if isinstance(prompt, str) and isinstance(completion, str):
        messages: tuple[Message, ...] = (Message("user", prompt), Message("assistant", completion))
        style = "standard"
    elif isinstance(prompt, list) and isinstance(completion, list):
        messages = decode_messages(prompt + completion, ctx, "prompt")
        style = "conversational"
    else:
        raise RecordInvalid(
            ProblemKind.MESSAGES_NOT_A_LIST,
            "'prompt' and 'completion' must both be strings or both be lists of messages",
        )
    conv_id, assigned = record_id(record, ctx)
    tags = record_tags(record)
    prompt_length = 1 if style == "standard" else len(prompt)
    hints = {"tags_key": tags is not None, "style": style, "prompt_length": prompt_length}
    skip = {"prompt", "completion"} | ({"id"} if not assigned else set()) | ({"tags"} if tags is not None else set())
    return Conversation(
        id=conv_id,
        messages=messages,
        tags=tags or (),
        metadata={k: v for k, v in record.items() if k not in skip},
        source=Source(ctx.path, ctx.index, ctx.line, NAME, hints),
        id_assigned=assigned,
    )


def write(conversation: Conversation) -> dict[str, Any]:
    """A conversation as prompt (every turn before the last assistant turn) and completion."""
    messages = conversation.messages
    last = max((i for i, m in enumerate(messages) if m.role == "assistant"), default=None)
    if last is None:
        raise UnsupportedConversion(
            f"Conversation {conversation.id!r} has no assistant turn to use as the completion."
        )
    hints = conversation.source.hints if conversation.source.format == NAME else {}
    split = hints.get("prompt_length", last) if hints.get("style") == "conversational" else last
    split = split if 0 < split <= last else last
    keep = conversation.source.format == NAME
    record = head(conversation)
    prompt, completion = messages[:split], messages[split:]
    standard = (
        hints.get("style") == "standard"
        and len(prompt) == 1 and prompt[0].role == "user"
        and len(completion) == 1 and isinstance(completion[0].content, str)
    )
    if standard:
        record["prompt"], record["completion"] = prompt[0].text, completion[0].text
    else:
        record["prompt"] = [encode_message(m, keep_spelling=keep) for m in prompt]
        record["completion"] = [encode_message(m, keep_spelling=keep) for m in completion]
    record.update(tail(conversation))
    return record
