"""The lossless codec between a conversation's content and the bytes the store keeps.

A conversation's *content* is everything that says what the record holds and how it is
written back: messages (with every field: raw role, name, tool calls, weight, unknown keys),
tags, metadata (unknown top-level keys, in the data's order), the format it was read in and
the reader's hints. Its id and where it came from are not content: they belong to the entry.

:func:`encode` gives the canonical bytes (orjson, keys in a fixed order, the data's own key
order inside metadata and unknown keys) and :func:`content_hash` their digest, so identical
content is stored once. Nothing is normalized: text comes back exactly as it was read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any

import orjson

from threadsmith.model import ContentPart, Conversation, Message, Source, ToolCall

#: Bit of each canonical role in :attr:`ContentStats.roles` (any other role sets ``OTHER_ROLE``).
ROLE_BITS = {"system": 1, "user": 2, "assistant": 4, "tool": 8}
OTHER_ROLE = 16
#: The full-text index has one column per role group, so a search can ask for one role.
TEXT_COLUMNS = ("system", "user", "assistant", "other")


@dataclass(frozen=True, slots=True)
class Entity:
    """Who a conversation is: its id as found in the data (None when assigned) and where it came from."""

    record_id: str | None
    key: str
    source: Source


#: The entity of a content decoded for its checks alone (no entry: no id, key or source).
NO_ENTITY = Entity(None, "", Source())


@dataclass(frozen=True, slots=True)
class ContentStats:
    """Numbers the store keeps beside a content for filters: turns, characters, roles present."""

    turns: int
    chars: int
    roles: int


def encode(conversation: Conversation) -> bytes:
    """The canonical bytes of a conversation's content."""
    return _dumps(content_dict(conversation))


def _dumps(body: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(body)
    except TypeError:  # an integer beyond 64 bits (read by the json module from a JSON array)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def encode_with_stats(conversation: Conversation) -> tuple[bytes, ContentStats, list[tuple[str, str]]]:
    """:func:`encode`, :func:`stats` and :func:`facets` in one pass over the messages (imports call it per record)."""
    messages = []
    roles = chars = 0
    names = set()
    for message in conversation.messages:
        messages.append(_message_dict(message))
        roles |= ROLE_BITS.get(message.role, OTHER_ROLE)
        content = message.content
        chars += len(content) if content.__class__ is str else len(message.text)
        if message.name:
            names.add(message.name)
    body = _dumps(_content_dict(conversation, messages))
    found = {("t", tag) for tag in conversation.tags} | {("n", name) for name in names}
    return body, ContentStats(len(messages), chars, roles), sorted(found)


def content_hash(body: bytes) -> bytes:
    """The 16-byte digest that addresses a content."""
    return blake2b(body, digest_size=16).digest()


def content_dict(conversation: Conversation) -> dict[str, Any]:
    """The content as plain JSON values, keys in a fixed order, defaults left out."""
    return _content_dict(conversation, [_message_dict(m) for m in conversation.messages])


def _content_dict(conversation: Conversation, messages: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"m": messages}
    if conversation.tags:
        out["t"] = list(conversation.tags)
    if conversation.metadata:
        out["md"] = dict(conversation.metadata)
    source = conversation.source
    if source.format is not None:
        out["f"] = source.format
    if source.hints:
        out["h"] = dict(source.hints)
    return out


def _message_dict(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"r": message.role}
    content = message.content
    if isinstance(content, str):
        out["c"] = content
    else:
        out["p"] = [_part_dict(part) for part in content]
    if message.name is not None:
        out["n"] = message.name
    if message.tool_calls:
        out["tc"] = [[call.id, call.name, call.arguments, dict(call.extra)] for call in message.tool_calls]
    if message.tool_call_id is not None:
        out["ti"] = message.tool_call_id
    if message.weight is not None:
        out["w"] = message.weight
    if message.raw_role is not None:
        out["rr"] = message.raw_role
    if message.extra:
        out["x"] = dict(message.extra)
    return out


def _part_dict(part: ContentPart) -> list[Any]:
    item: list[Any] = [part.type, part.text]
    if part.extra:
        item.append(dict(part.extra))
    return item


def decode(body: bytes, entity: Entity) -> Conversation:
    """The conversation of a stored content, as the entry ``entity`` holds it."""
    data = loads(body)
    hints = data.get("h", {})
    source = Source(entity.source.path, entity.source.index, entity.source.line, data.get("f"), hints)
    return Conversation(
        id=entity.record_id if entity.record_id is not None else entity.key,
        messages=tuple(_message(m) for m in data["m"]),
        tags=tuple(data.get("t", ())),
        metadata=data.get("md", {}),
        source=source,
        id_assigned=entity.record_id is None,
    )


def loads(body: bytes) -> dict[str, Any]:
    """The JSON of a stored body (the json module reads what orjson cannot, e.g. huge integers)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body.decode("utf-8", "surrogatepass"))


def _message(data: Mapping[str, Any]) -> Message:
    if "p" in data:
        content: str | tuple[ContentPart, ...] = tuple(
            ContentPart(p[0], p[1], p[2] if len(p) > 2 else {}) for p in data["p"])
    else:
        content = data["c"]
    return Message(
        role=data["r"],
        content=content,
        name=data.get("n"),
        tool_calls=tuple(ToolCall(c[0], c[1], c[2], c[3]) for c in data.get("tc", ())),
        tool_call_id=data.get("ti"),
        weight=data.get("w"),
        raw_role=data.get("rr"),
        extra=data.get("x", {}),
    )


def stats(conversation: Conversation) -> ContentStats:
    """Turns, characters of text, and the roles present."""
    roles = 0
    chars = 0
    for message in conversation.messages:
        roles |= ROLE_BITS.get(message.role, OTHER_ROLE)
        chars += len(message.text)
    return ContentStats(len(conversation.messages), chars, roles)


def text_columns(conversation: Conversation) -> tuple[str, str, str, str]:
    """The message text grouped by role, one string per column of the full-text index."""
    groups: dict[str, list[str]] = {"system": [], "user": [], "assistant": [], "other": []}
    for message in conversation.messages:
        groups.get(message.role, groups["other"]).append(message.text)
    return ("\n".join(groups["system"]), "\n".join(groups["user"]),
            "\n".join(groups["assistant"]), "\n".join(groups["other"]))


def text_columns_of_body(body: bytes) -> tuple[str, str, str, str]:
    """:func:`text_columns` straight from stored bytes (no conversation objects built)."""
    groups: dict[str, list[str]] = {"system": [], "user": [], "assistant": [], "other": []}
    for m in loads(body)["m"]:
        text = m["c"] if "c" in m else "\n".join(p[1] for p in m["p"] if p[1] is not None)
        groups.get(m["r"], groups["other"]).append(text)
    return ("\n".join(groups["system"]), "\n".join(groups["user"]),
            "\n".join(groups["assistant"]), "\n".join(groups["other"]))


def facets(conversation: Conversation) -> list[tuple[str, str]]:
    """Exact-match values a search can filter on: tags (``t``) and speaker names (``n``)."""
    out = {("t", tag) for tag in conversation.tags}
    out |= {("n", m.name) for m in conversation.messages if m.name}
    return sorted(out)
