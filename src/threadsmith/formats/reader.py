"""Reading dataset files: JSONL, JSON arrays, single JSON objects, ``.gz``, transcripts, Parquet and Arrow.

Every record is sniffed on its own, so files that mix formats read completely. Nothing here
raises for bad data: a line that cannot be read becomes a :class:`RecordProblem` with its line
and column (1-based; the column counts characters, or bytes for invalid UTF-8), and reading
goes on with the next line. A JSON array can only be read up to its first syntax error.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, BinaryIO

import orjson

from threadsmith.errors import InputNotFound
from threadsmith.formats import (
    alpaca,
    columnar,
    gemini,
    openai,
    openai_preference,
    rendered,
    sharegpt,
    sillytavern,
    transcript,
    trl,
)
from threadsmith.formats.record import RecordContext, RecordInvalid
from threadsmith.model import Conversation, ProblemKind, RecordProblem

#: Record readers, tried in this order (``messages`` wins over ``conversations`` in one record).
RECORD_READERS = (openai, sharegpt, alpaca, trl, openai_preference, gemini, rendered, transcript)
#: Every format name a file can be read as.
READ_FORMATS = tuple(r.NAME for r in RECORD_READERS) + (sillytavern.NAME,)
#: File name endings read as datasets when a folder is given.
DATASET_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".ndjson", ".txt", ".parquet", ".arrow")

Item = Conversation | RecordProblem
Progress = Callable[[int], None]
_RECOGNIZED_HINT = ("expected one of: messages, conversation(s), instruction+output (or response), prompt+completion "
                    "(or chosen), input+preferred_output, contents (Gemini), text rendered with a chat template (ChatML, "
                    "Llama 3, Gemma, Phi-3, [INST], ### Instruction), or a Human:/Assistant: transcript")
_LINE_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
_DAMAGED = (EOFError, zlib.error, gzip.BadGzipFile)
_BOM = b"\xef\xbb\xbf"
#: A ``\\uD800``-``\\uDFFF`` escape: the json module accepts lone surrogates, orjson (and UTF-8) do not.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


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


def decode_line(raw: bytes | str, ctx: RecordContext) -> Item:
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
    labels = {label.strip().lower(): role for label, role in (role_map or {}).items()}
    with handle:
        magic = handle.read(8)
        handle.seek(0)
        columns = columnar.kind(magic, name)
        if columns is not None:
            yield from columnar.read(name, columns, decode_record, labels, progress)
            return
        stream: BinaryIO = gzip.GzipFile(fileobj=handle) if magic[:2] == b"\x1f\x8b" else handle
        try:
            yield from _dispatch(stream, name, labels, progress, handle)
        except _DAMAGED as exc:
            yield _damaged(exc, RecordContext(name, 0, None, labels))


def jsonl_chunks(
    path: str | os.PathLike[str], *, size: int = 512, progress: Progress | None = None,
) -> Iterator[list[tuple[int, int, bytes]]] | None:
    """Numbered raw lines of a plain, uncompressed JSONL file, in chunks, for parallel decoding.

    Each item of a chunk is ``(entry index, line number, raw line)``; decode it with
    :func:`decode_line`. Returns None when the file needs another reading mode (a JSON array
    or object, a transcript, a SillyTavern chat, a ``.gz``): use :func:`read_file` then.
    """
    name = os.fspath(path)
    with open(name, "rb") as handle:
        head = handle.read(4096)
    if head[:2] == b"\x1f\x8b" or columnar.kind(head, name) is not None or _mode(head, name) != "lines":
        return None
    first = head.removeprefix(_BOM).split(b"\n", 1)[0]
    try:
        if sillytavern.is_header(orjson.loads(first)):
            return None
    except orjson.JSONDecodeError:
        pass
    return _chunks(name, size, progress)


def _chunks(name: str, size: int, progress: Progress | None) -> Iterator[list[tuple[int, int, bytes]]]:
    with open(name, "rb") as handle:
        chunk: list[tuple[int, int, bytes]] = []
        for index, (line_no, line) in enumerate(_numbered(handle)):
            chunk.append((index, line_no, line))  # type: ignore[arg-type]  # plain files do not break off
            if len(chunk) == size:
                yield chunk
                chunk = []
                if progress is not None:
                    progress(handle.tell())
        if chunk:
            yield chunk


def _mode(head: bytes, name: str) -> str:
    """The reading mode for a file, from its first bytes and its name."""
    head = head.removeprefix(_BOM).lstrip()
    first, first_line = head[:1], head.split(b"\n", 1)[0].strip()
    lowered = name.lower()
    if first == b"[" and (first_line == b"[" or not lowered.endswith(_LINE_SUFFIXES)):
        return "array"
    if first == b"{" and lowered.endswith((".json", ".json.gz")):
        return "object"
    if lowered.endswith(".txt") and first != b"{":
        return "text"
    return "lines"


def _dispatch(stream: BinaryIO, name: str, role_map: dict[str, str], progress: Progress | None, handle: BinaryIO) -> Iterator[Item]:
    """Choose the reading mode from the file's first line and its name."""
    mode = _mode(stream.read(4096), name)
    stream.seek(0)
    if mode == "array":
        yield from _read_array(stream, name, role_map, progress, handle)
    elif mode == "object":
        yield from _read_json_object(stream, name, role_map, progress, handle)
    elif mode == "text":
        yield from _read_text(stream, name, role_map)
    else:
        yield from _read_lines(stream, name, role_map, progress, handle)


def _read_json_object(stream: BinaryIO, path: str, role_map: dict[str, str], progress: Progress | None, raw: BinaryIO) -> Iterator[Item]:
    """A ``.json`` file holding one object is one record; one holding JSON lines is read as JSONL."""
    data = stream.read().removeprefix(_BOM)
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        lines = data.lstrip().split(b"\n")
        if _parses(lines[0]) or sum(line.startswith(b"{") for line in lines) > 1:
            yield from _read_lines(io.BytesIO(data), path, role_map, progress, raw)
        else:
            yield _unparseable(data, exc, RecordContext(path, 0, None, role_map), whole=True)
        return
    line = data[: len(data) - len(data.lstrip())].count(b"\n") + 1
    yield decode_record(value, RecordContext(path, 0, line, role_map))


def _read_lines(stream: BinaryIO, path: str, role_map: dict[str, str], progress: Progress | None, raw: BinaryIO) -> Iterator[Item]:
    """JSON lines, one record each; a SillyTavern header on the first line makes the file one chat."""
    index = 0
    lines = _numbered(stream)
    for line_no, line in lines:
        if not isinstance(line, bytes):
            yield _damaged(line, RecordContext(path, index, line_no, role_map))
            return
        ctx = RecordContext(path, index, line_no, role_map)
        item = decode_line(line, ctx)
        if index == 0 and isinstance(item, RecordProblem) and item.kind is ProblemKind.UNRECOGNIZED:
            header = orjson.loads(line)
            if sillytavern.is_header(header):
                yield from _read_chat(header, lines, ctx)
                break
        yield item
        index += 1
        if progress is not None and index % 4096 == 0:
            progress(raw.tell())
    if progress is not None:
        progress(raw.tell())


def _numbered(stream: BinaryIO) -> Iterator[tuple[int, bytes | Exception]]:
    """``(line number, line)`` for every non-blank line (BOM removed); the error where a .gz breaks off."""
    line_no = 0
    try:
        for line in stream:
            line_no += 1
            if line_no == 1:
                line = line.removeprefix(_BOM)
            if line.strip():
                yield line_no, line
    except _DAMAGED as exc:
        yield line_no + 1, exc


def _read_chat(header: dict[str, Any], lines: Iterator[tuple[int, bytes | Exception]], ctx: RecordContext) -> Iterator[Item]:
    """The message lines of a SillyTavern chat; a line that is not a message is a problem of its own."""
    messages = []
    for line_no, line in lines:
        where = RecordContext(ctx.path, ctx.index, line_no, ctx.role_map)
        if not isinstance(line, bytes):
            yield _damaged(line, where)
            break
        try:
            messages.append(sillytavern.message(orjson.loads(line), len(messages)))
        except orjson.JSONDecodeError as exc:
            yield _unparseable(line, exc, where)
        except RecordInvalid as exc:
            yield _problem(exc.kind, f"sillytavern chat: {exc.detail}", where, None, exc.message_index)
    yield sillytavern.read(header, messages, ctx)


def _read_array(stream: BinaryIO, path: str, role_map: dict[str, str], progress: Progress | None, raw: BinaryIO) -> Iterator[Item]:
    """A JSON array of records, with the line where each record starts."""
    data = stream.read().removeprefix(_BOM)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield _bad_utf8(data, exc.start, RecordContext(path, 0, None, role_map))
        return
    del data
    decoder = json.JSONDecoder()
    pos = _skip_space(text, _skip_space(text, 0) + 1)
    line, counted, index = 1, 0, 0
    while pos < len(text) and text[pos] != "]":
        line += text.count("\n", counted, pos)
        counted = pos
        ctx = RecordContext(path, index, line, role_map)
        try:
            value, end = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield _syntax_problem(exc, ctx)
            return
        yield _array_record(text, pos, end, value, ctx)
        index += 1
        if progress is not None and index % 4096 == 0:
            progress(raw.tell())
        pos = _skip_space(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_space(text, pos + 1)
        elif pos < len(text) and text[pos] != "]":
            break
    end_problem = _array_end(text, pos)
    if end_problem:
        detail, at = end_problem
        line += text.count("\n", counted, at)
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        yield RecordProblem(ProblemKind.UNPARSEABLE, detail, path, index, line, column)


def _array_record(text: str, start: int, end: int, value: Any, ctx: RecordContext) -> Item:
    """One array element as a record; one with a lone surrogate escape is unparseable, as in JSONL."""
    if _SURROGATE_ESCAPE.search(text, start, end):
        try:
            orjson.loads(text[start:end])
        except orjson.JSONDecodeError as exc:
            return RecordProblem(ProblemKind.UNPARSEABLE, f"invalid JSON: {exc.msg}", ctx.path, ctx.index, ctx.line)
    return decode_record(value, ctx)


def _array_end(text: str, pos: int) -> tuple[str, int] | None:
    """What is wrong at the end of an array (not closed, or followed by more data) and where."""
    if pos >= len(text):
        return "the JSON array is not closed with ']' (is the file truncated?)", len(text)
    if text[pos] != "]":
        return "expected ',' or ']' after the record; the rest of the array is not read", pos
    after = _skip_space(text, pos + 1)
    if after < len(text):
        return "unexpected data after the closing ']' of the array is not read", after
    return None


def _read_text(stream: BinaryIO, path: str, role_map: dict[str, str]) -> Iterator[Item]:
    """A ``.txt`` file holding one Human:/Assistant: transcript (a blank one holds nothing)."""
    ctx = RecordContext(path, 0, 1, role_map)
    data = stream.read().removeprefix(_BOM)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield _bad_utf8(data, exc.start, ctx)
        return
    record = {"text": text}
    if transcript.matches(record):
        yield transcript.read(record, ctx)
    elif text.strip():
        yield _problem(ProblemKind.UNRECOGNIZED, "text file has no Human:/Assistant: turn markers", ctx)


def _parses(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


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


def _damaged(exc: Exception, ctx: RecordContext) -> RecordProblem:
    detail = f"the compressed file is damaged ({exc}); records after this point are not read"
    return _problem(ProblemKind.UNPARSEABLE, detail, ctx)


def _bad_utf8(data: bytes, start: int, ctx: RecordContext) -> RecordProblem:
    """Invalid UTF-8 at byte ``start`` of ``data``, located by line (offset by ``ctx.line``) and byte column."""
    line = data.count(b"\n", 0, start) + (ctx.line or 1)
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    detail = f"invalid UTF-8 (byte 0x{data[start]:02x} at column {column})"
    return RecordProblem(ProblemKind.UNPARSEABLE, detail, ctx.path, ctx.index, line, column)


def _unparseable(raw: bytes | str, exc: orjson.JSONDecodeError, ctx: RecordContext, whole: bool = False) -> RecordProblem:
    """A JSON syntax error in a line (or, with ``whole``, in a document whose lines ``exc`` counts)."""
    if not isinstance(raw, str):
        data = bytes(raw)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            return _bad_utf8(data, bad.start, ctx)
    message = str(exc.msg)
    if "recursion" in message.lower() or "depth" in message.lower():
        message = "nested too deeply (more than 1,024 levels)"
    line = exc.lineno if whole else ctx.line
    return RecordProblem(ProblemKind.UNPARSEABLE, f"invalid JSON: {message}", ctx.path, ctx.index, line, exc.colno)


def _syntax_problem(exc: Exception, ctx: RecordContext) -> RecordProblem:
    suffix = "; the rest of the array is not read"
    if isinstance(exc, RecursionError):
        return RecordProblem(ProblemKind.UNPARSEABLE, f"nested too deeply{suffix}", ctx.path, ctx.index, ctx.line)
    assert isinstance(exc, json.JSONDecodeError)
    return RecordProblem(ProblemKind.UNPARSEABLE, f"invalid JSON: {exc.msg}{suffix}", ctx.path, ctx.index, exc.lineno, exc.colno)
