"""OpenAI / ChatML chat format: ``{"messages": [{"role": ..., "content": ...}, ...]}``.

Also the TRL conversational "messages" shape and RoleThread's ChatML JSONL. Lossless: role
spellings (``GPT``, ``human``), names, weights, tool calls and unknown keys are written back.
"""

from __future__ import annotations

from typing import Any

from threadsmith.formats.record import RecordContext, build_conversation, decode_messages, encode_message, head, tail
from threadsmith.model import Conversation

NAME = "openai"


def matches(record: dict[str, Any]) -> bool:
    """True for records with a ``messages`` key."""
    return "messages" in record


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One record to a conversation; unknown keys become metadata."""
    return build_conversation(record, ctx, NAME, decode_messages(record["messages"], ctx), {"messages"})


def write(conversation: Conversation) -> dict[str, Any]:
    """A conversation as an OpenAI chat record."""
    keep = conversation.source.format == NAME
    record = head(conversation)
    record["messages"] = [encode_message(m, keep_spelling=keep) for m in conversation.messages]
    record.update(tail(conversation))
    return record
