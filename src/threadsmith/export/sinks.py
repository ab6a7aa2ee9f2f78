"""Where records go: JSONL or Parquet files, written as they come and committed atomically.

A sink writes to a hidden temporary file beside its target and renames it into place on
:meth:`commit` (after fsync), so an export that fails half way never leaves half a file; the
SHA-256 of a JSONL file is computed while it is written. Parquet rows are buffered in batches
of :data:`PARQUET_BATCH` (one row group each), so memory stays flat in the dataset size.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from typing import Any

import orjson

from threadsmith.errors import MissingDependency, UserError

PARQUET_BATCH = 2000
_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _temp_beside(target: str) -> str:
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise UserError(f"Cannot write {target}: the folder {folder} does not exist.")
    return os.path.join(folder, f".threadsmith-{secrets.token_hex(6)}.tmp")


class JsonlSink:
    """Records as JSON lines (UTF-8, keys in order), hashed on the way."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.records = 0
        self._tmp = _temp_beside(path)
        self._handle = open(self._tmp, "wb")
        self._digest = hashlib.sha256()

    def write(self, record: dict[str, Any]) -> None:
        """Append one record."""
        line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        self._handle.write(line)
        self._digest.update(line)
        self.records += 1

    def commit(self) -> str:
        """Flush, fsync and rename into place; the file's SHA-256."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.replace(self._tmp, self.path)
        return self._digest.hexdigest()

    def discard(self) -> None:
        """Drop the temporary file (after an error)."""
        self._handle.close()
        if os.path.exists(self._tmp):
            os.unlink(self._tmp)


def parquet_schema() -> Any:
    """The Arrow schema of ``hf`` rows: id, messages (role, content), tags."""
    pa = _pyarrow()
    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    return pa.schema([("id", pa.string()), ("messages", pa.list_(message)), ("tags", pa.list_(pa.string()))])


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError:
        raise MissingDependency("pyarrow", extra="export", purpose="Writing Parquet files") from None
    return pyarrow


class ParquetSink:
    """``hf`` rows as a Parquet file, one row group per :data:`PARQUET_BATCH` rows.

    With ``arrow_path``, the same batches also go to an Arrow IPC stream file: the data file of
    a ``save_to_disk`` folder, written here so that copy streams too.
    """

    def __init__(self, path: str, arrow_path: str | None = None) -> None:
        import pyarrow.parquet as pq

        pa = _pyarrow()
        self.path = path
        self.arrow_path = arrow_path
        self.records = 0
        self._tmp = _temp_beside(path)
        self._schema = parquet_schema()
        self._writer = pq.ParquetWriter(self._tmp, self._schema, compression="zstd")
        self._arrow_tmp = _temp_beside(arrow_path) if arrow_path else None
        self._stream = pa.ipc.new_stream(self._arrow_tmp, self._schema) if self._arrow_tmp else None
        self._rows: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        """Append one row (written with its batch)."""
        self._rows.append(record)
        self.records += 1
        if len(self._rows) >= PARQUET_BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            table = _pyarrow().Table.from_pylist(self._rows, schema=self._schema)
            self._writer.write_table(table)
            if self._stream is not None:
                self._stream.write_table(table)
            self._rows = []

    def commit(self) -> str:
        """Close the files and rename them into place; the Parquet file's SHA-256."""
        self._flush()
        self._writer.close()
        for tmp, target in ((self._tmp, self.path), (self._arrow_tmp, self.arrow_path)):
            if tmp is None or target is None:
                continue
            if tmp == self._arrow_tmp and self._stream is not None:
                self._stream.close()
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        return sha256_file(self.path)

    def discard(self) -> None:
        """Drop the temporary files (after an error)."""
        try:
            self._writer.close()
            if self._stream is not None:
                self._stream.close()
        finally:
            for tmp in (self._tmp, self._arrow_tmp):
                if tmp is not None and os.path.exists(tmp):
                    os.unlink(tmp)


Sink = JsonlSink | ParquetSink


def open_sink(path: str, parquet: bool, arrow_path: str | None = None) -> Sink:
    """A sink for ``path``: Parquet (and an Arrow copy at ``arrow_path``) for ``hf`` exports, JSONL otherwise."""
    if parquet:
        _pyarrow()
        if arrow_path:
            os.makedirs(os.path.dirname(arrow_path), exist_ok=True)
        return ParquetSink(path, arrow_path)
    return JsonlSink(path)
