"""Parquet files (Hugging Face datasets' shards, ``threadsmith export --to hf``): one record per row.

Rows are read a batch at a time (bounded memory) and each goes through the same record readers
as a JSON line, so every chat shape a JSONL file may hold reads from Parquet too. Parquet gives
every row every column and every struct field, so a field a record did not have comes back as
null: nulls are dropped, as if the record had been written as JSON. Values JSON has no type for
(bytes, dates, decimals) become strings. A row has no line: problems name its row index.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from threadsmith.errors import MissingDependency
from threadsmith.formats.record import RecordContext
from threadsmith.model import Conversation, ProblemKind, RecordProblem

MAGIC = b"PAR1"
BATCH_ROWS = 1024
Decode = Callable[[Any, RecordContext], "Conversation | RecordProblem"]


def is_parquet(head: bytes) -> bool:
    """True for the first bytes of a Parquet file."""
    return head[:4] == MAGIC


def read(path: str, decode: Decode, role_map: Mapping[str, str],
         progress: Callable[[int], None] | None = None) -> Iterator[Conversation | RecordProblem]:
    """Every row of the file as a conversation or the problem that stops it being one."""
    try:
        import pyarrow
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingDependency("pyarrow", extra="export", purpose="Reading Parquet files") from None
    index = 0
    try:
        file = pq.ParquetFile(path)
        rows = file.metadata.num_rows
        batches = file.iter_batches(batch_size=BATCH_ROWS)
        size = os.path.getsize(path)
        for batch in batches:
            for row in batch.to_pylist():
                yield decode(_plain(row), RecordContext(path, index, None, dict(role_map)))
                index += 1
            if progress is not None:
                progress(size * index // max(rows, 1))
    except (pyarrow.ArrowException, OSError) as exc:
        detail = f"not a readable Parquet file ({exc}); rows after this point are not read"
        yield RecordProblem(ProblemKind.UNPARSEABLE, detail, path, index, None)


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
