"""Reading dataset files: JSONL, JSON arrays, single JSON objects, ``.gz``, transcripts.

Every record is sniffed on its own, so files that mix formats read completely. Nothing here
raises for bad data: a line that cannot be read becomes a :class:`RecordProblem` with its line
and column, and reading goes on with the next line.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, BinaryIO

import orjson

from threadsmith.errors import InputNotFound
from threadsmith.formats import alpaca, openai, sharegpt, sillytavern, transcript, trl
from threadsmith.formats.record import RecordContext, RecordInvalid
from threadsmith.model import Conversation, ProblemKind, RecordProblem

#: Record readers, tried in this order (``messages`` wins over ``conversations`` in one record).
RECORD_READERS = (openai, sharegpt, alpaca, trl, transcript)
#: Every format name a file can be read as.
READ_FORMATS = tuple(r.NAME for r in RECORD_READERS) + (sillytavern.NAME,)
#: File name endings read as datasets when a folder is given.
DATASET_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".ndjson", ".txt")

Item = Conversation | RecordProblem
Progress = Callable[[int], None]
_RECOGNIZED_HINT = "expected one of: messages, conversations, instruction+output, prompt+completion, or a Human:/Assistant: transcript"


def decode_record(record: Any, ctx: RecordContext) -> Item:
    """One decoded JSON value to a conversation, or to the problem that stops it being one."""
    if not isinstance(record, dict):
        return _problem(ProblemKind.NOT_AN_OBJECT, f"record is a JSON {_json_type(record)}, not an object", ctx)
    for reader in RECORD_READERS:
        if reader.matches(record):
            try:
                return reader.read(record, ctx)
            except RecordInvalid as exc:
                return _problem(exc.kind, f"{reader.NAME} record: {exc.detail}", ctx, record, exc.message_index)
    keys = ", ".join(sorted(record)[:8]) or "none"
    return _problem(ProblemKind.UNRECOGNIZED, f"no conversation found (keys: {keys}); {_RECOGNIZED_HINT}", ctx, record)


def decode_line(raw: bytes, ctx: RecordContext) -> Item:
    """One JSONL line to a conversation or a problem (with the column of a syntax error)."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return _unparseable(raw, exc, ctx)
    return decode_record(value, ctx)


def read_file(
    path: str | os.PathLike[str],
    *,
    role_map: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Iterator[Item]:
    """Every conversation (and every problem) in a dataset file, in file order, streaming."""
    name = os.fspath(path)
    try:
        handle = open(name, "rb")
    except FileNotFoundError:
        raise InputNotFound(f"No such file: {name}") from None
    except IsADirectoryError:
        raise InputNotFound(f"{name} is a folder; pass the files in it, or use audit which expands folders.") from None
    except OSError as exc:
        raise InputNotFound(f"Cannot read {name}: {exc.strerror}") from None
    role_map = dict(role_map or {})
    with handle:
        magic = handle.read(2)
        handle.seek(0)
        stream: BinaryIO = gzip.GzipFile(fileobj=handle) if magic == b"\x1f\x8b" else handle
        try:
            yield from _dispatch(stream, name, role_map, progress, handle)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            ctx = RecordContext(name, 0, None, role_map)
            yield _problem(ProblemKind.UNPARSEABLE, f"the compressed file is damaged ({exc}); records after this point are not read", ctx)


def _dispatch(stream: BinaryIO, name: str, role_map: dict[str, str], progress: Progress | None, handle: BinaryIO) -> Iterator[Item]:
    """Choose the reading mode from the file's first character and its name."""
    first = _first_char(stream)
    lowered = name.lower()
    if first == b"[":
        yield from _read_array(stream, name, role_map, progress, handle)
    elif first == b"{" and lowered.endswith((".json", ".json.gz")):
        yield from _read_json_object(stream, name, role_map, progress, handle)
    elif lowered.endswith(".txt") and first != b"{":
        yield _read_text(stream, name, role_map)
    else:
        yield from _read_lines(stream, name, role_map, progress, handle)


def _read_json_object(stream: BinaryIO, path: str, role_map: dict[str, str], progress: Progress | None, raw: BinaryIO) -> Iterator[Item]:
    """A ``.json`` file holding one object is one record; one holding JSON lines is read as JSONL."""
    data = stream.read()
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        yield from _read_lines(io.BytesIO(data), path, role_map, progress, raw)
        return
    line = data[: len(data) - len(data.lstrip())].count(b"\n") + 1
    yield decode_record(value, RecordContext(path, 0, line, role_map))


def _first_char(stream: BinaryIO) -> bytes:
    """The first non-space byte of the file (after a UTF-8 BOM); the stream is rewound."""
    head = stream.read(4096)
    stream.seek(0)
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return head[:1]


def _read_lines(stream: BinaryIO, path: str, role_map: dict[str, str], progress: Progress | None, raw: BinaryIO) -> Iterator[Item]:
    index = 0
    line_no = 0
    header: dict[str, Any] | None = None
    st_lines: list[Any] = []
    for line in stream:
        line_no += 1
        if line_no == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        if not line.strip():
            continue
        ctx = RecordContext(path, index, line_no, role_map)
        if header is not None:
            try:
                st_lines.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                yield _unparseable(line, exc, ctx)
            continue
        item = decode_line(line, ctx)
        if index == 0 and isinstance(item, RecordProblem) and item.kind is ProblemKind.UNRECOGNIZED:
            value = orjson.loads(line)
            if sillytavern.is_header(value):
                header = value
                continue
        yield item
        index += 1
        if progress is not None and index % 4096 == 0:
            progress(raw.tell())
    if header is not None:
        ctx = RecordContext(path, 0, 1, role_map)
        try:
            yield sillytavern.read(header, st_lines, ctx)
        except RecordInvalid as exc:
            yield _problem(exc.kind, f"sillytavern chat: {exc.detail}", ctx, None, exc.message_index)
    if progress is not None:
        progress(raw.tell())


def _read_array(stream: BinaryIO, path: str, role_map: dict[str, str], progress: Progress | None, raw: BinaryIO) -> Iterator[Item]:
    """A JSON array of records, with the line where each record starts."""
    data = stream.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        yield RecordProblem(ProblemKind.UNPARSEABLE, f"invalid UTF-8 (byte 0x{data[exc.start]:02x})", path, 0, line, column)
        return
    del data
    decoder = json.JSONDecoder()
    pos = _skip_space(text, 0)
    pos = _skip_space(text, pos + 1)
    line, counted, index = 1, 0, 0
    while pos < len(text) and text[pos] != "]":
        line += text.count("\n", counted, pos)
        counted = pos
        ctx = RecordContext(path, index, line, role_map)
        try:
            value, end = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield _syntax_problem(text, exc, ctx, rest=True)
            return
        yield decode_record(value, ctx)
        index += 1
        if progress is not None and index % 4096 == 0:
            progress(raw.tell())
        pos = _skip_space(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_space(text, pos + 1)
        elif pos < len(text) and text[pos] != "]":
            line += text.count("\n", counted, pos)
            ctx = RecordContext(path, index, line, role_map)
            yield _problem(ProblemKind.UNPARSEABLE, "expected ',' or ']' after the record; the rest of the array is not read", ctx)
            return


def _read_text(stream: BinaryIO, path: str, role_map: dict[str, str]) -> Item:
    """A ``.txt`` file holding one Human:/Assistant: transcript."""
    ctx = RecordContext(path, 0, 1, role_map)
    data = stream.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _problem(ProblemKind.UNPARSEABLE, f"invalid UTF-8 at byte {exc.start}", ctx)
    record = {"text": text}
    if not transcript.matches(record):
        return _problem(ProblemKind.UNRECOGNIZED, "text file has no Human:/Assistant: turn markers", ctx)
    return transcript.read(record, ctx)


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def _problem(kind: ProblemKind, detail: str, ctx: RecordContext, record: Any = None, message_index: int | None = None) -> RecordProblem:
    rid = record.get("id") if isinstance(record, dict) else None
    return RecordProblem(
        kind, detail, ctx.path, ctx.index, ctx.line, None, message_index,
        str(rid) if isinstance(rid, (str, int)) and not isinstance(rid, bool) else None,
    )


def _unparseable(raw: bytes, exc: orjson.JSONDecodeError, ctx: RecordContext) -> RecordProblem:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        detail = f"invalid UTF-8 (byte 0x{raw[bad.start]:02x} at column {bad.start + 1})"
        return RecordProblem(ProblemKind.UNPARSEABLE, detail, ctx.path, ctx.index, ctx.line, bad.start + 1)
    message = str(exc.msg if hasattr(exc, "msg") else exc)
    if "recursion" in message.lower():
        message = "nested too deeply (more than 1,024 levels)"
    column = getattr(exc, "colno", None)
    return RecordProblem(ProblemKind.UNPARSEABLE, f"invalid JSON: {message}", ctx.path, ctx.index, ctx.line, column)


def _syntax_problem(text: str, exc: Exception, ctx: RecordContext, rest: bool = False) -> RecordProblem:
    suffix = "; the rest of the array is not read" if rest else ""
    if isinstance(exc, RecursionError):
        return RecordProblem(ProblemKind.UNPARSEABLE, f"nested too deeply{suffix}", ctx.path, ctx.index, ctx.line)
    assert isinstance(exc, json.JSONDecodeError)
    return RecordProblem(ProblemKind.UNPARSEABLE, f"invalid JSON: {exc.msg}{suffix}", ctx.path, ctx.index, exc.lineno, exc.colno)
