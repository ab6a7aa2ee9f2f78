"""The split's first pass over a large JSONL file, in worker processes.

Each worker decodes a chunk of lines and computes :func:`~threadsmith.export.splits.entry_keys`
for each conversation; it sends back, per line, a stub of the conversation (id, tags and
position: all a filter reads) with its keys, or the problem that made the line unreadable.
The main process applies the filters in order and keeps the keys, as in a sequential pass.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from threadsmith.export.splits import EntryKeys, entry_keys
from threadsmith.formats import RecordContext, decode_line
from threadsmith.model import Conversation, RecordProblem, Source
from threadsmith.workers import quiet_worker

Chunk = Sequence[tuple[int, int, bytes]]
Keyed = tuple[Conversation, EntryKeys] | RecordProblem


def keys_of_chunk(path: str, chunk: Chunk, role_map: Mapping[str, str], stratify: str | None) -> list[Keyed]:
    """Decode one chunk of numbered lines; a stub and the keys of each conversation (runs in a worker)."""
    out: list[Keyed] = []
    for index, line, raw in chunk:
        item = decode_line(raw, RecordContext(path, index, line, role_map))
        if isinstance(item, RecordProblem):
            out.append(item)
            continue
        source = Source(item.source.path, item.source.index, item.source.line)
        out.append((Conversation(item.id, (), item.tags, source=source), entry_keys(item, stratify)))
    return out


def _run(args: tuple[str, Chunk, Mapping[str, str], str | None]) -> list[Keyed]:
    return keys_of_chunk(*args)


def parallel_keys(path: str, chunks: Iterable[Chunk], role_map: Mapping[str, str], stratify: str | None,
                  workers: int) -> Iterator[Keyed]:
    """Every line's stub and keys (or problem), in file order, computed by ``workers`` processes."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    labels: Any = dict(role_map)
    with multiprocessing.get_context(method).Pool(workers, initializer=quiet_worker) as pool:
        work = ((path, chunk, labels, stratify) for chunk in chunks)
        for results in pool.imap(_run, work, chunksize=1):
            yield from results
