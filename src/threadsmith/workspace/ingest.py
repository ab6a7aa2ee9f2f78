"""Importing dataset files into a workspace: read, prepare (in worker processes), store as one version.

Large JSONL files are decoded and prepared (canonical bytes, digest) by a pool of worker
processes while this process writes; everything lands in one transaction, so an import that
fails or is killed half-way leaves the workspace as it was. Full-text indexing of the new
contents is deferred to the first search (:func:`index_pending`), which keeps imports fast.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from threadsmith.audit import expand_paths
from threadsmith.errors import UserError
from threadsmith.formats import RecordContext, decode_line, jsonl_chunks, read_file
from threadsmith.model import Conversation, RecordProblem
from threadsmith.store import NewEntry, PreparedContent, Store, prepare
from threadsmith.store.codec import ContentStats
from threadsmith.workers import MIN_PARALLEL_BYTES, worker_count
from threadsmith.workspace.results import ImportResult
from threadsmith.workspace.versioning import commit, next_number, utc_now

#: ``progress(path, records_done)`` is called after each stored chunk, inside the transaction.
ImportProgress = Callable[[str, int], None]
_CHUNK = 1000
#: Indexing at least this many pending contents is a bulk build (see :func:`index_pending`).
_BULK_INDEX = 1000


@dataclass(frozen=True, slots=True)
class PreparedRecord:
    """One conversation ready to store: the entry to create and its content."""

    entry: NewEntry
    content: PreparedContent

    def __reduce__(self) -> tuple[Callable[..., PreparedRecord], tuple[object, ...]]:
        """Pickle as one flat tuple: several times cheaper than nested dataclasses (workers send millions)."""
        e, c = self.entry, self.content
        return _rebuild, (e.wanted_key, e.record_id, e.source_path, e.source_line, e.source_index, e.source_format,
                          c.hash, c.body, c.stats.turns, c.stats.chars, c.stats.roles, c.facets)


def _rebuild(key: str, record_id: str | None, path: str | None, line: int | None, index: int | None,
             fmt: str | None, digest: bytes, body: bytes, turns: int, chars: int, roles: int,
             facets: tuple[tuple[str, str], ...]) -> PreparedRecord:
    return PreparedRecord(NewEntry(key, record_id, path, line, index, fmt),
                          PreparedContent(digest, body, ContentStats(turns, chars, roles), facets))


def prepare_record(conversation: Conversation) -> PreparedRecord:
    """The entry and content of one conversation read from a file."""
    source = conversation.source
    entry = NewEntry(conversation.id, None if conversation.id_assigned else conversation.id,
                     source.path, source.line, source.index, source.format)
    return PreparedRecord(entry, prepare(conversation, with_text=False))


def import_files(store: Store, paths: Sequence[str | os.PathLike[str]], dataset_name: str, *,
                 role_map: Mapping[str, str] | None = None, message: str | None = None,
                 progress: ImportProgress | None = None) -> ImportResult:
    """Import dataset files into ``dataset_name`` (created when missing) as one new version."""
    started = time.perf_counter()
    files = [os.path.abspath(f) for f in expand_paths(paths)]
    problems: list[RecordProblem] = []
    with store.db.large_cache(), store.write():
        dataset = store.versions.find_dataset(dataset_name) or store.versions.create_dataset(dataset_name, utc_now())
        number = next_number(store, dataset)
        batch = store.add_batch(dataset.id, number, {"files": files}, utc_now())
        position = store.states.next_position(dataset.id)
        imported = fresh = 0
        for path in files:
            for chunk in _prepared_chunks(path, dict(role_map or {})):
                records = [item for item in chunk if isinstance(item, PreparedRecord)]
                problems += [item for item in chunk if isinstance(item, RecordProblem)]
                fresh += _store_chunk(store, dataset.id, batch, number, position, records)
                position += len(records)
                imported += len(records)
                if progress is not None:
                    progress(path, imported)
        if not imported:
            raise _nothing_read(files, problems)
        names = ", ".join(os.path.basename(f) for f in files[:3]) + (" ..." if len(files) > 3 else "")
        text = message or f"import {names}: {imported:,} entries"
        version = commit(store, dataset, "import", text, [], extra_added=imported)
    return ImportResult(dataset_name, version, tuple(files), imported, fresh, tuple(problems),
                        time.perf_counter() - started)


def index_pending(store: Store, progress: Callable[[int], None] | None = None, *, chunk: int = 20_000) -> int:
    """Index every content waiting for the full-text index, one transaction per chunk; how many.

    Many contents are indexed in bulk: FTS5's incremental merging is paused meanwhile and the
    index is merged into one segment at the end (an interrupted bulk build finishes next time).
    """
    if not store.contents.has_pending() and not store.contents.bulk_indexing():
        return 0
    bulk = store.contents.bulk_indexing() or store.contents.pending_count() >= _BULK_INDEX
    if bulk:
        with store.write():
            store.contents.begin_bulk_index()
    total = 0
    while store.contents.has_pending():
        with store.write():
            total += store.contents.index_pending_chunk(chunk)
        if progress is not None:
            progress(total)
    if bulk:
        with store.write():
            store.contents.end_bulk_index()
    return total


def _store_chunk(store: Store, dataset_id: int, batch: int, version: int, position: float,
                 records: list[PreparedRecord]) -> int:
    """Store one chunk of records as new entries of ``version``; how many contents were new."""
    if not records:
        return 0
    content_ids, fresh = store.contents.add([r.content for r in records], index=False)
    entries = store.entries.add(dataset_id, batch, [r.entry for r in records])
    store.states.insert_new((dataset_id, entry_id, content_id, position + i, None, version)
                            for i, ((entry_id, _), content_id) in enumerate(zip(entries, content_ids)))
    return fresh


def _nothing_read(files: list[str], problems: list[RecordProblem]) -> UserError:
    first = problems[0] if problems else None
    detail = f" First problem: {first.path} line {first.line}: {first.detail}." if first else ""
    return UserError(f"No conversation could be read from {', '.join(files)}; nothing was imported.{detail}",
                     hint="Check the file with: threadsmith audit FILE")


def _prepared_chunks(path: str, role_map: dict[str, str]) -> Iterator[list[PreparedRecord | RecordProblem]]:
    """The records of one file, prepared, in file order, in chunks (in parallel for large JSONL)."""
    workers = worker_count()
    chunks = None
    if workers > 1 and os.path.getsize(path) >= MIN_PARALLEL_BYTES:
        chunks = jsonl_chunks(path, size=_CHUNK // 2)
    if chunks is None:
        yield from _sequential(path, role_map)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(workers, initializer=_init, initargs=(role_map,)) as pool:
        yield from pool.imap(_prepare_chunk, ((path, chunk) for chunk in chunks), chunksize=1)


def _sequential(path: str, role_map: dict[str, str]) -> Iterator[list[PreparedRecord | RecordProblem]]:
    chunk: list[PreparedRecord | RecordProblem] = []
    for item in read_file(path, role_map=role_map):
        chunk.append(item if isinstance(item, RecordProblem) else prepare_record(item))
        if len(chunk) >= _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_role_map: dict[str, str] = {}


def _init(role_map: dict[str, str]) -> None:
    global _role_map
    _role_map = {label.strip().lower(): role for label, role in role_map.items()}


def _prepare_chunk(args: tuple[str, Sequence[tuple[int, int, bytes]]]) -> list[PreparedRecord | RecordProblem]:
    """Decode and prepare one chunk of JSONL lines (runs in a worker process)."""
    path, chunk = args
    out: list[PreparedRecord | RecordProblem] = []
    for index, line, raw in chunk:
        item = decode_line(raw, RecordContext(path, index, line, _role_map))
        out.append(item if isinstance(item, RecordProblem) else prepare_record(item))
    return out
