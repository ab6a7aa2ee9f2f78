"""Plain transcripts: turns marked ``Human:`` / ``Assistant:`` (or ``User:``) in one text field.

This is the shape of public RLHF dumps (``{"chosen": "\\n\\nHuman: ...\\n\\nAssistant: ..."}``)
and of ``{"text": ...}`` records. A record is read as a transcript only when its text has at
least one user marker and one assistant marker at the start of a line. ``Human`` is the user
spelling written by default; a turn marked ``User:`` keeps that spelling (``raw_role``).

Lossy by design: surrounding newlines of each turn are not kept (the writer separates turns by
a blank line), CRLF line ends become LF at turn boundaries, and roles without a marker (tool,
custom speakers) are written with their own label, which reads back as part of the turn before.
Text before the first marker is kept (stripped) and written back in front of the first turn.
"""

from __future__ import annotations

import re
from typing import Any

from threadsmith.formats.record import RecordContext, RecordInvalid, build_conversation, head, tail
from threadsmith.model import Conversation, Message, ProblemKind

NAME = "transcript"
TEXT_KEYS = ("text", "chosen", "transcript")
_MARKER = re.compile(r"(?:^|\r?\n)[ \t]*(Human|User|Assistant|System)[ \t]*:[ \t]?")
_ROLE = {"Human": "user", "User": "user", "Assistant": "assistant", "System": "system"}
#: Canonical role -> the marker written for it.
_LABEL = {"user": "Human", "assistant": "Assistant", "system": "System"}


def _is_transcript(value: Any) -> bool:
    if not isinstance(value, str) or "Assistant" not in value:
        return False
    labels = {m.group(1) for m in _MARKER.finditer(value)}
    return "Assistant" in labels and bool(labels & {"Human", "User"})


def _text_key(record: dict[str, Any]) -> str | None:
    return next((key for key in TEXT_KEYS if _is_transcript(record.get(key))), None)


def matches(record: dict[str, Any]) -> bool:
    """True when a text field holds a transcript with user and assistant markers."""
    return _text_key(record) is not None


def split_turns(text: str) -> list[tuple[str, str]]:
    """``(label, content)`` pairs for each marked turn; text before the first marker is dropped."""
    marks = list(_MARKER.finditer(text))
    turns = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        turns.append((mark.group(1), text[mark.end():end].strip("\r\n")))
    return turns


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One transcript record to a conversation."""
    key = _text_key(record)
    if key is None:
        raise RecordInvalid(ProblemKind.UNRECOGNIZED, "no transcript text field")
    text = record[key]
    first = _MARKER.search(text)
    preamble = text[: first.start()].strip() if first else ""
    messages = [
        Message(_ROLE[label], content, raw_role=None if label == _LABEL[_ROLE[label]] else label)
        for label, content in split_turns(text)
    ]
    return build_conversation(record, ctx, NAME, messages, {key}, {"text_key": key, "preamble": preamble})


def write(conversation: Conversation) -> dict[str, Any]:
    """A conversation as a ``Human:``/``Assistant:`` transcript in the field it came from."""
    hints = conversation.source.hints if conversation.source.format == NAME else {}
    parts = [hints.get("preamble", "")]
    for message in conversation.messages:
        label = message.raw_role if message.raw_role in _ROLE else _LABEL.get(message.role, message.role.title())
        parts.append(f"\n\n{label}: {message.text}")
    record = head(conversation)
    record[hints.get("text_key", "text")] = "".join(parts)
    record.update(tail(conversation))
    return record
