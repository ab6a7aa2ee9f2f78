"""OpenAI / ChatML chat format: ``{"messages": [{"role": ..., "content": ...}, ...]}``.

Also the TRL conversational "messages" shape and RoleThread's ChatML JSONL. Lossless: role
spellings (``GPT``, ``human``), names, weights, tool calls and unknown keys are written back.
"""

from __future__ import annotations

from typing import Any

from threadsmith.formats.record import RecordContext, build_conversation, decode_messages, encode_message, head, tail
from threadsmith.model import Conversation, Message

NAME = "openai"
#: Roles spelled canonically (see ``record.decode_message``, whose short path this is).
_PLAIN_ROLES = frozenset({"user", "assistant", "system", "tool"})


def matches(record: dict[str, Any]) -> bool:
    """True for records with a ``messages`` key."""
    return "messages" in record


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One record to a conversation; unknown keys become metadata."""
    return build_conversation(record, ctx, NAME, _messages(record["messages"], ctx), {"messages"})


def _messages(value: Any, ctx: RecordContext) -> tuple[Message, ...]:
    """:func:`decode_messages`, with the common case in one loop: every message a plain
    ``{"role", "content"}`` object with a canonical role and string content."""
    if type(value) is list:
        messages = []
        for item in value:
            if type(item) is dict and len(item) == 2:
                role, content = item.get("role"), item.get("content")
                if type(role) is str and type(content) is str and role in _PLAIN_ROLES:
                    messages.append(Message(role, content))
                    continue
            return decode_messages(value, ctx)
        return tuple(messages)
    return decode_messages(value, ctx)


def write(conversation: Conversation) -> dict[str, Any]:
    """A conversation as an OpenAI chat record."""
    keep = conversation.source.format == NAME
    record = head(conversation)
    record["messages"] = [encode_message(m, keep_spelling=keep) for m in conversation.messages]
    record.update(tail(conversation))
    return record
