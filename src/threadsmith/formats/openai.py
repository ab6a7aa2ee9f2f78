"""OpenAI / ChatML chat format: ``{"messages": [{"role": ..., "content": ...}, ...]}``.

Also the TRL conversational "messages" shape and RoleThread's ChatML JSONL.
"""

from __future__ import annotations

from typing import Any

from threadsmith.formats.record import RecordContext, decode_messages, encode_message, record_id, record_tags
from threadsmith.model import Conversation, Source

NAME = "openai"


def matches(record: dict[str, Any]) -> bool:
    """True for records with a ``messages`` key."""
    return "messages" in record


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One record to a conversation; unknown keys become metadata."""
    messages = decode_messages(record["messages"], ctx)
    conv_id, assigned = record_id(record, ctx)
    tags = record_tags(record)
    skip = {"messages", "id"} if not assigned else {"messages"}
    if tags is not None:
        skip.add("tags")
    metadata = {k: v for k, v in record.items() if k not in skip}
    return Conversation(
        id=conv_id,
        messages=messages,
        tags=tags or (),
        metadata=metadata,
        source=Source(ctx.path, ctx.index, ctx.line, NAME, {"tags_key": tags is not None}),
        id_assigned=assigned,
    )


def head(conversation: Conversation) -> dict[str, Any]:
    """The keys every writer puts first: the id (unless threadsmith assigned it)."""
    return {} if conversation.id_assigned else {"id": conversation.id}


def tail(conversation: Conversation) -> dict[str, Any]:
    """The keys every writer puts last: tags (when present or read) and unknown metadata."""
    out: dict[str, Any] = {}
    if conversation.tags or conversation.source.hints.get("tags_key"):
        out["tags"] = list(conversation.tags)
    out.update(conversation.metadata)
    return out


def write(conversation: Conversation) -> dict[str, Any]:
    """A conversation as an OpenAI chat record."""
    keep = conversation.source.format == NAME
    record = head(conversation)
    record["messages"] = [encode_message(m, keep_spelling=keep) for m in conversation.messages]
    record.update(tail(conversation))
    return record
