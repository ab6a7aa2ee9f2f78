"""Columnar files, one record per row: Parquet (Hugging Face datasets' shards, ``threadsmith export
--to hf``) and Arrow (the ``data-*.arrow`` files of a ``save_to_disk`` folder, IPC stream or file).

Rows are read a batch at a time (bounded memory) and each goes through the same record readers
as a JSON line, so every chat shape a JSONL file may hold reads from these files too. A column
file gives every row every column and every struct field, so a field a record did not have comes
back as null: nulls are dropped, as if the record had been written as JSON. Values JSON has no
type for (bytes, dates, decimals) become strings. A row has no line: problems name its row index.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from threadsmith.errors import MissingDependency
from threadsmith.formats.record import RecordContext
from threadsmith.model import Conversation, ProblemKind, RecordProblem

PARQUET = b"PAR1"
#: An Arrow IPC file starts with ``ARROW1``; a stream (``save_to_disk``) with a continuation marker.
ARROW_FILE, ARROW_STREAM = b"ARROW1", b"\xff\xff\xff\xff"
BATCH_ROWS = 1024
Decode = Callable[[Any, RecordContext], "Conversation | RecordProblem"]


def kind(head: bytes, name: str) -> str | None:
    """``parquet``, ``arrow-file`` or ``arrow-stream`` for the first bytes (and name) of such a file, else None."""
    if head[:4] == PARQUET:
        return "parquet"
    if head[:6] == ARROW_FILE:
        return "arrow-file"
    if head[:4] == ARROW_STREAM and name.lower().endswith(".arrow"):
        return "arrow-stream"
    return None


def read(path: str, what: str, decode: Decode, role_map: Mapping[str, str],
         progress: Callable[[int], None] | None = None) -> Iterator[Conversation | RecordProblem]:
    """Every row of the file (of :func:`kind` ``what``) as a conversation or the problem that stops it being one."""
    try:
        import pyarrow
    except ImportError:
        raise MissingDependency("pyarrow", extra="export", purpose="Reading Parquet and Arrow files") from None
    labels = dict(role_map)
    index = 0
    try:
        size = os.path.getsize(path)
        for batch, done in _batches(path, what):
            for row in batch.to_pylist():
                yield decode(_plain(row), RecordContext(path, index, None, labels))
                index += 1
            if progress is not None:
                progress(int(size * done))
    except (pyarrow.ArrowException, OSError) as exc:
        detail = f"not a readable {what.split('-')[0]} file ({exc}); rows after this point are not read"
        yield RecordProblem(ProblemKind.UNPARSEABLE, detail, path, index, None)


def _batches(path: str, what: str) -> Iterator[tuple[Any, float]]:
    """Record batches of the file, each with the share of the file read once it is done."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if what == "parquet":
        file = pq.ParquetFile(path)
        rows, seen = max(file.metadata.num_rows, 1), 0
        for batch in file.iter_batches(batch_size=BATCH_ROWS):
            seen += batch.num_rows
            yield batch, seen / rows
        return
    with pa.memory_map(path) as source:
        if what == "arrow-file":
            reader = pa.ipc.open_file(source)
            for k in range(reader.num_record_batches):
                yield reader.get_batch(k), (k + 1) / max(reader.num_record_batches, 1)
            return
        size = max(source.size(), 1)
        for batch in pa.ipc.open_stream(source):
            yield batch, source.tell() / size


def _plain(value: Any) -> Any:
    """A row as JSON would hold it: nulls dropped from objects, other values as JSON types."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)
