"""Writing conversations: one record per conversation, JSONL, written atomically.

``fmt=None`` writes each conversation in the format it was read in (the ``audit --fix``
default), so a fixed copy looks like its input. A SillyTavern chat is a whole file: with
``fmt=None`` it is written as one only when it is the only conversation written, and as an
OpenAI record otherwise.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

import orjson

from threadsmith.errors import UnknownFormat, UnsupportedConversion, UserError
from threadsmith.formats import alpaca, gemini, openai, openai_preference, rendered, sharegpt, sillytavern, transcript, trl
from threadsmith.formats.record import describe
from threadsmith.model import Conversation

WRITERS: dict[str, Callable[[Conversation], dict[str, Any]]] = {
    openai.NAME: openai.write,
    sharegpt.NAME: sharegpt.write,
    alpaca.NAME: alpaca.write,
    trl.NAME: trl.write,
    openai_preference.NAME: openai_preference.write,
    gemini.NAME: gemini.write,
    rendered.NAME: rendered.write,
    transcript.NAME: transcript.write,
}
#: Every format name ``convert --to`` accepts.
WRITE_FORMATS = (*WRITERS, sillytavern.NAME)
_ONE_CHAT_HINT = "Convert to openai or sharegpt instead, or convert one chat at a time."


def to_record(conversation: Conversation, fmt: str | None = None) -> dict[str, Any]:
    """One conversation as a JSON-ready record in ``fmt`` (default: the format it was read in)."""
    name = fmt or conversation.source.format or openai.NAME
    writer = WRITERS.get(name)
    if writer is not None:
        return writer(conversation)
    if name == sillytavern.NAME and fmt is None:
        return openai.write(conversation)
    if name == sillytavern.NAME:
        raise UserError("A SillyTavern chat is a whole file, not one record.", hint="Use write_jsonl(..., fmt='sillytavern').")
    raise UnknownFormat(f"Unknown output format {name!r}.", hint=f"Choose one of: {', '.join(WRITE_FORMATS)}.")


def dumps(record: dict[str, Any]) -> bytes:
    """A record as one JSONL line (UTF-8, no ASCII escaping, key order kept)."""
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a write produced."""

    path: str
    records: int


def write_jsonl(
    conversations: Iterable[Conversation | bytes], path: str | os.PathLike[str], fmt: str | None = None,
) -> WriteResult:
    """Write conversations to ``path`` atomically (temp file, fsync, rename); never half a file.

    Items that are ``bytes`` are records already encoded by :func:`dumps` (e.g. in a worker
    process) and are written as they are.
    """
    target = os.fspath(path)
    if fmt is not None and fmt not in WRITE_FORMATS:
        raise UnknownFormat(f"Unknown output format {fmt!r}.", hint=f"Choose one of: {', '.join(WRITE_FORMATS)}.")
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise UserError(f"Cannot write {target}: the folder {folder} does not exist.")
    tmp = os.path.join(folder, f".threadsmith-{secrets.token_hex(6)}.tmp")
    # os.open with 0o666 lets the umask set the mode, as for any new file (mkstemp would force 0o600).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            count = _write_all(conversations, out, fmt)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return WriteResult(target, count)


def _write_all(conversations: Iterable[Conversation | bytes], out: IO[bytes], fmt: str | None) -> int:
    """Write every conversation; returns how many. A held SillyTavern chat waits to see if it is alone."""
    count = 0
    held: Conversation | None = None
    for conversation in conversations:
        if isinstance(conversation, bytes):
            if held is not None:
                out.write(_dump(held, None))
                held = None
            out.write(conversation)
            count += 1
            continue
        if fmt == sillytavern.NAME and count:
            raise UserError("A SillyTavern chat file holds one conversation; this input has several.", hint=_ONE_CHAT_HINT)
        if held is not None:
            out.write(_dump(held, None))
            held = None
        if fmt is None and count == 0 and conversation.source.format == sillytavern.NAME:
            held = conversation
        elif fmt == sillytavern.NAME:
            out.write(b"".join(dumps(line) for line in sillytavern.write_lines(conversation)))
        else:
            out.write(_dump(conversation, fmt))
        count += 1
    if held is not None:
        out.write(b"".join(dumps(line) for line in sillytavern.write_lines(held)))
    return count


def _dump(conversation: Conversation, fmt: str | None) -> bytes:
    try:
        return dumps(to_record(conversation, fmt))
    except TypeError as exc:
        raise UnsupportedConversion(f"Conversation {describe(conversation)} cannot be written as JSON: {exc}.") from None
