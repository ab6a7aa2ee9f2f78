"""Cached audit results: per content (findings and dataset-check summaries) and per version (runs).

A check configuration (codes, options, dataset kind, check code) is one ``check_configs`` row
keyed by its fingerprint; a content's results are cached under (configuration, content), so
auditing a new version only checks the contents that version introduced. Summaries are built-in
values kept with :mod:`marshal`: it loads them faster than pickle (re-audits read every entry's
summaries) and it never imports or calls anything, so a crafted workspace file cannot run code
through them (the code object it could build is never run; anything but a tuple is refused).
Caches written before hold pickles, loaded with an unpickler that refuses every class. A blob
that will not load counts as not cached.
"""

from __future__ import annotations

import io
import marshal
import pickle
import sqlite3
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import orjson

from threadsmith.store.lookup import where_in
from threadsmith.store.states import BY_POSITION, VISIBLE

#: An included entry of a version with its cached result: content id, key, source path and line,
#: finding rows (JSON, None when none) and encoded summaries (None when not cached).
EntryResultRow = tuple[int, str, str | None, int | None, bytes | None, bytes | None]
#: An entry with findings of one code: position, entry id, key, its content's finding rows (JSON).
CodeEntryRow = tuple[float, int, str, bytes | None]
#: An included entry with findings (or no cached result): ordinal among the included entries, key,
#: source path and line, finding rows (JSON) and whether a result is cached.
EntryFindingsRow = tuple[int, str, str | None, int | None, bytes | None, int]


@dataclass(frozen=True, slots=True)
class CachedResult:
    """One content's cached findings (JSON rows) and dataset-check summaries."""

    findings: list[list[Any]]
    summaries: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class RunRow:
    """A stored audit of one version under one configuration."""

    id: int
    version: int
    config_id: int
    created_at: str
    summary: dict[str, Any]
    #: The dataset-level findings as stored (JSON): decoded only by who reads them, since at 1M
    #: entries they run to megabytes and most readers want the summary alone.
    findings_json: bytes | None

    @property
    def dataset_findings(self) -> list[dict[str, Any]]:
        """The dataset-level findings (decoded on each call)."""
        if self.findings_json is None:
            raise ValueError("this audit run was read without its dataset findings (with_findings=False)")
        return orjson.loads(self.findings_json)  # type: ignore[no-any-return]


class _BuiltinsOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the audit cache")


#: The first byte of every pickle this cache wrote (PROTO); never the first byte of a marshal.
_PICKLE = 0x80


#: The first byte of a blob whose summaries are kept in two lanes (see :func:`dump_summaries`).
_LANES = 0x01
_LENGTH = struct.Struct("<I")


def dump_summaries(summaries: Sequence[Any], first: Sequence[int] | None = None) -> bytes:
    """Summaries as :mod:`marshal` data (bytes-like values come back as bytes); a pickle when
    they hold something marshal cannot write (which then never loads: see :func:`load_summaries`).

    With ``first`` (positions, ascending) the summaries are kept in two lanes, the summaries at
    ``first`` and the others, each its own marshal: :func:`load_lane` then decodes one lane alone
    (two processes observe a version, each decoding only its lane). The layout: ``0x01``, the
    number of summaries, the number of positions in ``first`` and those positions (a byte each),
    the first lane's length (``<u4``), the two lanes.
    """
    values = tuple(summaries)
    try:
        if not first or len(values) > 255 or len(first) >= len(values):
            return marshal.dumps(values, 4)
        chosen = set(first)
        head = dump_lane([values[d] for d in first])
        tail = dump_lane([v for d, v in enumerate(values) if d not in chosen])
    except ValueError:
        return pickle.dumps(values, protocol=5)
    return b"".join((bytes((_LANES, len(values), len(first), *first)), _LENGTH.pack(len(head)), head, tail))


def load_summaries(blob: bytes) -> tuple[Any, ...] | None:
    """Summaries back, or None when the blob holds anything but built-in values (or is damaged)."""
    try:
        if blob[0] == _LANES:
            first, rest, order, head, tail = _lanes(blob)
            front, back = load_lane(head, len(first)), load_lane(tail, len(rest))
            return None if front is None or back is None else order(front + back)  # type: ignore[no-any-return]
        loaded = _BuiltinsOnly(io.BytesIO(blob)).load() if blob[0] == _PICKLE else marshal.loads(blob)
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, struct.error):
        return None
    return loaded if type(loaded) is tuple else None


class LaneLayout:
    """Two-lane blobs (see :func:`dump_summaries`) of ``count`` summaries whose first lane holds
    ``first``: :meth:`split` tells them from any other blob with one prefix test."""

    def __init__(self, count: int, first: Sequence[int]) -> None:
        self.header = bytes((_LANES, count, len(first), *first))

    def split(self, blob: bytes) -> tuple[memoryview, memoryview] | None:
        """The blob's two lanes still encoded (:func:`load_lane` decodes one); None for a blob of
        another layout (written before, under other lanes) or a damaged one."""
        return _two_lanes(blob, len(self.header)) if blob.startswith(self.header) else None


def load_lane(part: bytes | memoryview, size: int) -> tuple[Any, ...] | None:
    """One encoded lane of ``size`` summaries back (see :class:`LaneLayout`), or None if damaged."""
    try:
        loaded = marshal.loads(part)
    except (EOFError, ValueError, TypeError):
        return None
    return loaded if type(loaded) is tuple and len(loaded) == size else None


def dump_lane(summaries: Sequence[Any]) -> bytes:
    """One lane of summaries encoded as :func:`load_lane` reads it (ValueError if marshal cannot write them)."""
    return marshal.dumps(tuple(summaries), 4)


#: A two-lane blob's header (its bytes up to the first lane's length) -> (first, rest, order).
_HEADERS: dict[bytes, tuple[tuple[int, ...], tuple[int, ...], Callable[[tuple[Any, ...]], tuple[Any, ...]]]] = {}


def _lanes(blob: bytes) -> tuple[tuple[int, ...], tuple[int, ...], Callable[[tuple[Any, ...]], tuple[Any, ...]],
                                 memoryview, memoryview]:
    """(positions of the first lane and of the second, what puts the two lanes' values back in
    order, the two lanes still encoded) of a two-lane blob."""
    at = 3 + blob[2]
    header = blob[:at]
    known = _HEADERS.get(header)
    if known is None:
        count, first = blob[1], tuple(blob[3:at])
        if len(header) != at or len(set(first)) != len(first) or any(d >= count for d in first) or count < 2:
            raise ValueError("a damaged summaries blob")
        rest = tuple(d for d in range(count) if d not in set(first))
        where = {d: k for k, d in enumerate(first + rest)}  # position -> index in the two lanes joined
        known = (first, rest, itemgetter(*[where[d] for d in range(count)]))
        if len(_HEADERS) < 64:
            _HEADERS[header] = known
    parts = _two_lanes(blob, at)
    if parts is None:
        raise ValueError("a damaged summaries blob")
    return (*known, *parts)


def _two_lanes(blob: bytes, at: int) -> tuple[memoryview, memoryview] | None:
    """The two encoded lanes of a blob whose header ends at ``at`` (None if damaged)."""
    if len(blob) < at + 4:
        return None
    (length,) = _LENGTH.unpack_from(blob, at)
    view = memoryview(blob)[at + 4:]
    return (view[:length], view[length:]) if length <= len(view) else None


class AuditCache:
    """The audit tables."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def config_id(self, fingerprint: str, detail: dict[str, Any]) -> int:
        """The id of a check configuration, recorded on first use (call inside a write)."""
        row = self.conn.execute("SELECT id FROM check_configs WHERE fingerprint = ?", (fingerprint,)).fetchone()
        if row:
            return int(row[0])
        cur = self.conn.execute("INSERT INTO check_configs (fingerprint, detail) VALUES (?, ?)",
                                (fingerprint, orjson.dumps(detail).decode()))
        return int(cur.lastrowid or 0)

    def find_config(self, fingerprint: str) -> int | None:
        """The id of a known configuration, or None."""
        row = self.conn.execute("SELECT id FROM check_configs WHERE fingerprint = ?", (fingerprint,)).fetchone()
        return int(row[0]) if row else None

    def cached(self, config_id: int, content_ids: Iterable[int]) -> dict[int, CachedResult]:
        """The cached results among ``content_ids``: id -> result."""
        out: dict[int, CachedResult] = {}
        for cid, findings, summaries in where_in(
                self.conn, "SELECT content_id, findings, summaries FROM audit_results WHERE config_id = ? "
                "AND content_id IN ({marks})", content_ids, (config_id,)):
            loaded = load_summaries(summaries)
            if loaded is not None:
                out[cid] = CachedResult(orjson.loads(findings) if findings else [], loaded)
        return out

    def missing(self, config_id: int, dataset_id: int, version: int) -> list[int]:
        """The contents of a version's included entries that have no cached result under ``config_id``."""
        return [cid for (cid,) in self.conn.execute(
            f"SELECT DISTINCT s.content_id FROM {BY_POSITION} WHERE {VISIBLE} AND s.excluded IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM audit_results a WHERE a.config_id = ? AND a.content_id = s.content_id)",
            (dataset_id, version, version, config_id))]

    def entry_results(self, config_id: int, dataset_id: int, version: int,
                      size: int = 2000) -> Iterator[list[EntryResultRow]]:
        """Every included entry of a version, in order, with its cached result: one streaming
        query, ``size`` rows at a time."""
        cursor = self.conn.execute(
            f"SELECT s.content_id, e.key, e.source_path, e.source_line, a.findings, a.summaries FROM {BY_POSITION} "
            "JOIN entries e ON e.id = s.entry_id LEFT JOIN audit_results a ON a.config_id = ? AND a.content_id = "
            f"s.content_id WHERE {VISIBLE} AND s.excluded IS NULL ORDER BY s.position, s.entry_id",
            (config_id, dataset_id, version, version))
        while chunk := cursor.fetchmany(size):
            yield chunk

    def entry_findings(self, config_id: int, dataset_id: int, version: int) -> Iterator[EntryFindingsRow]:
        """The included entries of a version that have cached findings or no cached result, in order:
        (ordinal among the included entries, key, source path, line, finding rows JSON, cached)."""
        return iter(self.conn.execute(
            "SELECT * FROM (SELECT row_number() OVER (ORDER BY s.position, s.entry_id) - 1, e.key, e.source_path, "
            f"e.source_line, a.findings, a.content_id IS NOT NULL AS cached FROM {BY_POSITION} "
            "JOIN entries e ON e.id = s.entry_id LEFT JOIN audit_results a ON a.config_id = ? AND a.content_id = "
            f"s.content_id WHERE {VISIBLE} AND s.excluded IS NULL) WHERE findings IS NOT NULL OR NOT cached",
            (config_id, dataset_id, version, version)))

    def code_entries(self, config_id: int, run_id: int, dataset_id: int, version: int, code: str,
                     after: tuple[float, int] | None, limit: int, *, dense: bool = False) -> list[CodeEntryRow]:
        """The included entries of a version with findings of ``code`` (their content's, or the run's
        dataset-level ones), in dataset order after the keyset ``after`` (position, entry id), at most ``limit``:
        (position, entry id, key, the content's finding rows as JSON).

        Two plans: by default the code's entries are collected from its index and sorted (cheap when
        they are few); ``dense`` walks the version in dataset order and keeps the entries that have the
        code, stopping at ``limit`` (cheap when many entries have it: no sort of all of them)."""
        start = after or (float("-inf"), -1)
        if dense:
            return self.conn.execute(
                f"SELECT s.position, s.entry_id, e.key, a.findings FROM {BY_POSITION} JOIN entries e ON e.id = s.entry_id "
                "LEFT JOIN audit_results a ON a.config_id = ? AND a.content_id = s.content_id "
                f"WHERE {VISIBLE} AND s.excluded IS NULL AND (s.position, s.entry_id) > (?, ?) AND ("
                "EXISTS (SELECT 1 FROM finding_codes k WHERE k.config_id = ? AND k.code = ? AND k.content_id = s.content_id) "
                "OR EXISTS (SELECT 1 FROM run_entry_codes r WHERE r.run_id = ? AND r.code = ? AND r.entry_id = s.entry_id)) "
                "ORDER BY s.position, s.entry_id LIMIT ?",
                (config_id, dataset_id, version, version, *start, config_id, code, run_id, code, limit)).fetchall()
        found = (f"SELECT s.position, s.entry_id, s.content_id FROM {{source}} CROSS JOIN states s INDEXED BY {{index}} "
                 f"ON {{on}} WHERE {VISIBLE} AND s.excluded IS NULL AND (s.position, s.entry_id) > (?, ?)")
        by_content = found.format(source="finding_codes k", index="states_by_content", on="s.content_id = k.content_id")
        by_entry = found.format(source="run_entry_codes r", index="states_by_entry", on="s.entry_id = r.entry_id")
        return self.conn.execute(
            f"SELECT m.position, m.entry_id, e.key, a.findings FROM ({by_content} AND k.config_id = ? AND k.code = ? "
            f"UNION {by_entry} AND r.run_id = ? AND r.code = ?) m JOIN entries e ON e.id = m.entry_id "
            "LEFT JOIN audit_results a ON a.config_id = ? AND a.content_id = m.content_id "
            "ORDER BY m.position, m.entry_id LIMIT ?",
            (dataset_id, version, version, *start, config_id, code, dataset_id, version, version, *start, run_id, code,
             config_id, limit)).fetchall()

    def findings_of_keys(self, config_id: int, dataset_id: int, version: int, keys: Iterable[str]) -> dict[str, bytes]:
        """The cached finding rows (JSON) of the included entries ``keys`` of a version (those with findings)."""
        return dict(where_in(
            self.conn, "SELECT e.key, a.findings FROM entries e JOIN states s INDEXED BY states_by_entry "
            "ON s.entry_id = e.id JOIN audit_results a ON a.config_id = ? AND a.content_id = s.content_id "
            f"WHERE {VISIBLE} AND s.excluded IS NULL AND a.findings IS NOT NULL AND e.dataset_id = ? "
            "AND e.key IN ({marks})", keys, (config_id, dataset_id, version, version, dataset_id)))

    def remembered(self, key: str) -> str | None:
        """A small value remembered under ``key`` (e.g. the kind detected for a sample of entries)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def remember(self, key: str, value: str) -> None:
        """Remember a small value (call inside a write)."""
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def store(self, config_id: int, results: dict[int, tuple[list[list[Any]], bytes]]) -> None:
        """Cache results: content id -> (finding rows, encoded summaries). Call inside a write."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO audit_results (config_id, content_id, findings, summaries) VALUES (?, ?, ?, ?)",
            ((config_id, cid, orjson.dumps(rows) if rows else None, blob) for cid, (rows, blob) in results.items()))
        self.conn.executemany(
            "INSERT OR IGNORE INTO finding_codes (config_id, code, content_id) VALUES (?, ?, ?)",
            ((config_id, code, cid) for cid, (rows, _) in results.items() for code in {r[0] for r in rows}))

    def save_run(self, dataset_id: int, version: int, config_id: int, now: str, summary: dict[str, Any],
                 dataset_findings: list[dict[str, Any]], entry_codes: Iterable[tuple[str, int]]) -> int:
        """Record the audit of a version (replacing an older run of the same version and configuration)."""
        old = self.conn.execute("SELECT id FROM audit_runs WHERE dataset_id = ? AND version = ? AND config_id = ?",
                                (dataset_id, version, config_id)).fetchone()
        if old:
            self.conn.execute("DELETE FROM run_entry_codes WHERE run_id = ?", (old[0],))
            self.conn.execute("DELETE FROM audit_runs WHERE id = ?", (old[0],))
        cur = self.conn.execute(
            "INSERT INTO audit_runs (dataset_id, version, config_id, created_at, summary, dataset_findings) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (dataset_id, version, config_id, now, orjson.dumps(summary), orjson.dumps(dataset_findings)))
        run_id = int(cur.lastrowid or 0)
        self.conn.executemany("INSERT OR IGNORE INTO run_entry_codes (run_id, code, entry_id) VALUES (?, ?, ?)",
                              ((run_id, code, entry_id) for code, entry_id in entry_codes))
        return run_id

    def run(self, dataset_id: int, version: int, config_id: int | None = None, *,
            with_findings: bool = True) -> RunRow | None:
        """The latest run of a version (under ``config_id``, or any configuration); without
        ``with_findings`` its dataset findings (megabytes on a big dataset) are not read."""
        sql = (f"SELECT {_run_columns(with_findings)} FROM audit_runs WHERE dataset_id = ? AND version = ?")
        params: list[object] = [dataset_id, version]
        if config_id is not None:
            sql += " AND config_id = ?"
            params.append(config_id)
        row = self.conn.execute(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
        return _run(row) if row else None

    def latest_run(self, dataset_id: int, *, with_findings: bool = True) -> RunRow | None:
        """The most recent audit of any version of the dataset (``with_findings``: as in :meth:`run`)."""
        row = self.conn.execute(f"SELECT {_run_columns(with_findings)} FROM audit_runs "
                                "WHERE dataset_id = ? ORDER BY id DESC LIMIT 1", (dataset_id,)).fetchone()
        return _run(row) if row else None


def _run_columns(with_findings: bool) -> str:
    return "id, version, config_id, created_at, summary, " + ("dataset_findings" if with_findings else "NULL")


def _run(row: tuple[Any, ...]) -> RunRow:
    return RunRow(row[0], row[1], row[2], row[3], orjson.loads(row[4]), row[5])
