"""Importing dataset files into a workspace: read, prepare (in worker processes), store as one version.

Large JSONL files are decoded and prepared (canonical bytes, digest) by worker processes
(:mod:`~threadsmith.workspace.preparation`) while this process writes them in bulk
(:class:`~threadsmith.store.bulk.BulkImport`); everything lands in one transaction, so an import that
fails or is killed half-way leaves the workspace as it was. Full-text indexing of the new
contents is deferred to the first search (:func:`index_pending`), which keeps imports fast.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Mapping, Sequence

from threadsmith.audit import expand_paths
from threadsmith.errors import UserError
from threadsmith.model import RecordProblem
from threadsmith.store import Store
from threadsmith.workspace.preparation import prepared_chunks
from threadsmith.workspace.results import ImportResult
from threadsmith.workspace.versioning import commit, next_number, utc_now

#: ``progress(path, records_done)`` is called after each stored chunk, inside the transaction.
ImportProgress = Callable[[str, int], None]
#: Indexing at least this many pending contents is a bulk build (see :func:`index_pending`).
_BULK_INDEX = 1000


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
        loader = store.bulk_import(dataset.id, batch, number, store.states.next_position(dataset.id))
        imported = fresh = 0
        for path in files:
            with contextlib.closing(prepared_chunks(path, dict(role_map or {}))) as chunks:
                for records, found in chunks:
                    problems += found
                    fresh += loader.add(path, records)
                    imported += len(records)
                    if progress is not None:
                        progress(path, imported)
        if not imported:
            raise _nothing_read(files, problems)
        loader.finish()
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


def _nothing_read(files: list[str], problems: list[RecordProblem]) -> UserError:
    first = problems[0] if problems else None
    detail = f" First problem: {first.path} line {first.line}: {first.detail}." if first else ""
    return UserError(f"No conversation could be read from {', '.join(files)}; nothing was imported.{detail}",
                     hint="Check the file with: threadsmith audit FILE")
