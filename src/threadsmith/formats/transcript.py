"""Plain transcripts: turns marked ``Human:`` / ``Assistant:`` (or ``User:``) in one text field.

This is the shape of public RLHF dumps (``{"chosen": "\\n\\nHuman: ...\\n\\nAssistant: ..."}``)
and of ``{"text": ...}`` records. A record is read as a transcript only when its text has at
least one user marker and one assistant marker at the start of a line.
"""

from __future__ import annotations

import re
from typing import Any

from threadsmith.formats.openai import head, tail
from threadsmith.formats.record import RecordContext, RecordInvalid, record_id, record_tags
from threadsmith.model import Conversation, Message, ProblemKind, Source

NAME = "transcript"
TEXT_KEYS = ("text", "chosen", "transcript")
_MARKER = re.compile(r"(?:^|\n)[ \t]*(Human|User|Assistant|System)[ \t]*:[ \t]?")
_ROLE = {"Human": "user", "User": "user", "Assistant": "assistant", "System": "system"}


def _text_key(record: dict[str, Any]) -> str | None:
    for key in TEXT_KEYS:
        value = record.get(key)
        if isinstance(value, str) and "Assistant" in value:
            return key
    return None


def matches(record: dict[str, Any]) -> bool:
    """True when a text field holds a transcript with user and assistant markers."""
    key = _text_key(record)
    if key is None:
        return False
    labels = {m.group(1) for m in _MARKER.finditer(record[key])}
    return "Assistant" in labels and bool(labels & {"Human", "User"})


def split_turns(text: str) -> list[tuple[str, str]]:
    """``(label, content)`` pairs for each marked turn; text before the first marker is dropped."""
    marks = list(_MARKER.finditer(text))
    turns = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        turns.append((mark.group(1), text[mark.end():end].strip("\n")))
    return turns


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One transcript record to a conversation."""
    key = _text_key(record)
    if key is None:
        raise RecordInvalid(ProblemKind.UNRECOGNIZED, "no transcript text field")
    text = record[key]
    preamble = text[: _MARKER.search(text).start()].strip() if _MARKER.search(text) else ""
    messages = tuple(
        Message(_ROLE[label], content, raw_role=None if label == _ROLE[label].title() else label)
        for label, content in split_turns(text)
    )
    conv_id, assigned = record_id(record, ctx)
    tags = record_tags(record)
    skip = {key} | ({"id"} if not assigned else set()) | ({"tags"} if tags is not None else set())
    hints = {"tags_key": tags is not None, "text_key": key, "preamble": preamble}
    return Conversation(
        id=conv_id,
        messages=messages,
        tags=tags or (),
        metadata={k: v for k, v in record.items() if k not in skip},
        source=Source(ctx.path, ctx.index, ctx.line, NAME, hints),
        id_assigned=assigned,
    )


def write(conversation: Conversation) -> dict[str, Any]:
    """A conversation as a ``Human:``/``Assistant:`` transcript in the field it came from."""
    hints = conversation.source.hints if conversation.source.format == NAME else {}
    parts = []
    for message in conversation.messages:
        label = message.raw_role if message.raw_role in _ROLE else {"user": "Human"}.get(message.role, message.role.title())
        parts.append(f"\n\n{label}: {message.text}")
    record = head(conversation)
    record[hints.get("text_key", "text")] = "".join(parts)
    record.update(tail(conversation))
    return record
