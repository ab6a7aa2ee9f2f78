"""SillyTavern chat exports: a JSONL file that is one conversation.

The first line is a header (``user_name``, ``character_name``, ``create_date``,
``chat_metadata``); every later line is a message: ``name``, ``is_user``, ``is_system``,
``mes``, plus ``send_date``, ``swipes`` and other keys, which are kept and written back.
A message line that cannot be read is a problem of its own; the chat keeps the other lines.

Lossy by design when written from other formats: tool turns and custom roles become
character (assistant) lines, and multi-part content becomes its text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from threadsmith.formats.record import RecordContext, RecordInvalid
from threadsmith.model import Conversation, Message, ProblemKind, Source

NAME = "sillytavern"
_MESSAGE_KEYS = frozenset({"name", "is_user", "is_system", "mes"})


def is_header(record: Any) -> bool:
    """True for a SillyTavern chat header line."""
    return isinstance(record, dict) and "user_name" in record and "character_name" in record and "mes" not in record


def message(line: Any, index: int) -> Message:
    """One message line; raises :class:`RecordInvalid` for a line that is not one."""
    if not isinstance(line, dict) or not isinstance(line.get("mes"), str):
        raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"message {index} is not a SillyTavern message with a 'mes' string", index)
    if line.get("is_system"):
        role = "system"
    elif line.get("is_user"):
        role = "user"
    else:
        role = "assistant"
    name = line.get("name")
    used = _MESSAGE_KEYS if isinstance(name, str) else _MESSAGE_KEYS - {"name"}
    extra = {k: v for k, v in line.items() if k not in used}
    return Message(role, line["mes"], name=name if isinstance(name, str) else None, extra=extra)


def read(header: dict[str, Any], messages: Iterable[Message], ctx: RecordContext) -> Conversation:
    """The conversation of one SillyTavern chat file: its header and its readable messages."""
    metadata = header.get("chat_metadata")
    chat_id = metadata.get("chat_id_hash") if isinstance(metadata, dict) else None
    return Conversation(
        id=str(chat_id) if chat_id is not None else ctx.assigned_id(),
        messages=tuple(messages),
        metadata=dict(header),
        source=Source(ctx.path, ctx.index, ctx.line, NAME, {}),
        id_assigned=True,
    )


def write_lines(conversation: Conversation) -> list[dict[str, Any]]:
    """The conversation as SillyTavern lines: the header first, then one object per message."""
    header = dict(conversation.metadata) if conversation.source.format == NAME else {}
    user = next((m.name for m in conversation.messages if m.role == "user" and m.name), "User")
    char = next((m.name for m in conversation.messages if m.role == "assistant" and m.name), "Assistant")
    header.setdefault("user_name", user)
    header.setdefault("character_name", char)
    lines: list[dict[str, Any]] = [header]
    for msg in conversation.messages:
        line: dict[str, Any] = {"name": msg.name or (user if msg.role == "user" else char)}
        line["is_user"] = msg.role == "user"
        line["is_system"] = msg.role == "system"
        line["mes"] = msg.text
        line.update(msg.extra)
        lines.append(line)
    return lines
