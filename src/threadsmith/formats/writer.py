"""Writing conversations: one record per conversation, JSONL, written atomically.

``fmt=None`` writes each conversation in the format it was read in (the ``audit --fix``
default), so a fixed copy looks like its input.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from threadsmith.errors import UnknownFormat, UserError
from threadsmith.formats import alpaca, openai, sharegpt, sillytavern, transcript, trl
from threadsmith.model import Conversation

WRITERS: dict[str, Callable[[Conversation], dict[str, Any]]] = {
    openai.NAME: openai.write,
    sharegpt.NAME: sharegpt.write,
    alpaca.NAME: alpaca.write,
    trl.NAME: trl.write,
    transcript.NAME: transcript.write,
}
#: Every format name ``convert --to`` accepts.
WRITE_FORMATS = (*WRITERS, sillytavern.NAME)


def to_record(conversation: Conversation, fmt: str | None = None) -> dict[str, Any]:
    """One conversation as a JSON-ready record in ``fmt`` (default: the format it was read in)."""
    name = fmt or conversation.source.format or openai.NAME
    writer = WRITERS.get(name)
    if writer is None:
        if name == sillytavern.NAME and fmt is None:
            writer = openai.write
        else:
            raise UnknownFormat(f"Unknown output format {name!r}.", hint=f"Choose one of: {', '.join(WRITE_FORMATS)}.")
    return writer(conversation)


def dumps(record: dict[str, Any]) -> bytes:
    """A record as one JSONL line (UTF-8, no ASCII escaping, key order kept)."""
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a write produced."""

    path: str
    records: int


def write_jsonl(conversations: Iterable[Conversation], path: str | os.PathLike[str], fmt: str | None = None) -> WriteResult:
    """Write conversations to ``path`` atomically (temp file, fsync, rename); never half a file."""
    target = os.fspath(path)
    if fmt is not None and fmt not in WRITE_FORMATS:
        raise UnknownFormat(f"Unknown output format {fmt!r}.", hint=f"Choose one of: {', '.join(WRITE_FORMATS)}.")
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise UserError(f"Cannot write {target}: the folder {folder} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=".threadsmith-", suffix=".tmp", dir=folder)
    count = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for conversation in conversations:
                if fmt == sillytavern.NAME:
                    if count:
                        raise UserError("A SillyTavern chat file holds one conversation; this input has several.",
                                        hint="Convert to openai or sharegpt instead, or convert one chat at a time.")
                    for line in sillytavern.write_lines(conversation):
                        out.write(dumps(line))
                else:
                    out.write(dumps(to_record(conversation, fmt)))
                count += 1
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return WriteResult(target, count)
