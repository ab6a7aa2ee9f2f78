"""Search: FTS5 over message text, with filters joined against one version's states.

Text matches come from the contentless ``content_text`` index (one row per content, one
column per role group, so a role filter is an FTS column filter). Tags and speaker names are
exact-match facets; finding codes come from the audit cache; lengths from ``contents``.
Results are pages in a stable order with a keyset cursor: by content then entry when there is
text to match, by position then entry otherwise, or in one of the orders of
:mod:`threadsmith.store.sorting` (length, last change, most findings).
"""

from __future__ import annotations

import bisect
import contextlib
import math
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

from threadsmith.errors import UserError
from threadsmith.store import sorting
from threadsmith.store.codec import OTHER_ROLE, ROLE_BITS, TEXT_COLUMNS
from threadsmith.store.sorting import Key
from threadsmith.store.states import BY_POSITION, SLOT_COLUMNS, VISIBLE, Slot


@dataclass(frozen=True, slots=True)
class Filters:
    """What entries to select, in store terms (the facade builds this from a user's query)."""

    #: An FTS5 match expression (already quoted / validated by the caller), or None.
    match: str | None = None
    roles: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    #: Finding codes, looked up in the audit cache of ``config_id`` and the dataset findings of ``run_id``.
    codes: tuple[str, ...] = ()
    config_id: int | None = None
    run_id: int | None = None
    min_chars: int | None = None
    max_chars: int | None = None
    min_turns: int | None = None
    max_turns: int | None = None
    #: None: both; True: only excluded entries; False: only included ones.
    excluded: bool | None = False


class Search:
    """Queries over one version of a dataset."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        #: The findings order of the latest few versions browsed (see :meth:`_by_findings`).
        self._rankings: dict[tuple[int, int, int, int], list[tuple[int, float, int, int]]] = {}

    def select(self, dataset_id: int, version: int, filters: Filters, *,
               after: tuple[float, int] | None = None, limit: int | None = 50) -> Iterator[Slot]:
        """Matching entries, one page after ``after`` (``(content id, entry id)`` with text, else position)."""
        with _search_errors():
            if filters.match is None:
                sql, params = self._query(dataset_id, version, filters, after, BY_POSITION)
                if limit is not None:
                    sql += " LIMIT ?"
                    params.append(limit)
                for row in self.conn.execute(sql, params):
                    yield Slot(*row)
            else:
                yield from self._select_text(dataset_id, version, filters, after, limit)

    def _select_text(self, dataset_id: int, version: int, f: Filters, after: tuple[float, int] | None,
                     limit: int | None) -> Iterator[Slot]:
        """Text matches: content ids from the FTS index in ascending batches, then their entries.

        Asking FTS5 first (by rowid, which it does fast) keeps the query planner from scanning
        the states and probing the index per row; batches grow until the page is full.
        """
        expression = _with_roles(f.match or "", f.roles)
        low = int(after[0]) - 1 if after is not None else 0
        batch, found = 256, 0
        while True:
            ids = [cid for (cid,) in self.conn.execute(
                "SELECT rowid FROM content_text WHERE content_text MATCH ? AND rowid > ? ORDER BY rowid LIMIT ?",
                (expression, low, batch))]
            if not ids:
                return
            sql, params = self._query(dataset_id, version, f, after, BY_POSITION, content_ids=ids)
            for row in self.conn.execute(sql, params):
                yield Slot(*row)
                found += 1
                if limit is not None and found >= limit:
                    return
            if len(ids) < batch:
                return
            low, batch = ids[-1], min(batch * 4, 65_536)

    def count(self, dataset_id: int, version: int, filters: Filters) -> int:
        """How many entries match.

        Without filters: the version's entry count less (or only) its excluded entries, O(excluded).
        With a tag or speaker name: from the entries carrying it (``content_facets``), not every entry.
        """
        if filters == Filters(excluded=filters.excluded):
            return self._count_all(dataset_id, version, filters.excluded)
        source, facet = BY_POSITION, []
        if filters.match is not None:
            source = "content_text t CROSS JOIN states s INDEXED BY states_by_content ON s.content_id = t.rowid"
        elif filters.tags or filters.names:
            facet = ["t", filters.tags[0]] if filters.tags else ["n", filters.names[0]]
            source = ("(SELECT content_id FROM content_facets WHERE kind = ? AND value = ?) AS fc "
                      "CROSS JOIN states s INDEXED BY states_by_content ON s.content_id = fc.content_id")
        sql, params = self._query(dataset_id, version, filters, None, source, counting=True)
        with _search_errors():
            return int(self.conn.execute(sql, [*facet, *params]).fetchone()[0])

    def _count_all(self, dataset_id: int, version: int, excluded: bool | None) -> int:
        row = self.conn.execute("SELECT entries FROM versions WHERE dataset_id = ? AND number = ?",
                                (dataset_id, version)).fetchone()
        total = int(row[0]) if row else 0
        if excluded is None:
            return total
        out = int(self.conn.execute(
            "SELECT count(*) FROM states s INDEXED BY states_excluded WHERE s.dataset_id = ? AND s.valid_from <= ? "
            "AND (s.valid_to IS NULL OR s.valid_to > ?) AND s.excluded IS NOT NULL",
            (dataset_id, version, version)).fetchone()[0])
        return out if excluded else total - out

    def sorted_page(self, dataset_id: int, version: int, filters: Filters, sort: str, *, after: Key | None = None,
                    limit: int = 50) -> list[tuple[Slot, Key]]:
        """A page in a :data:`~threadsmith.store.sorting.SORTS` order (no text match), each entry with its key."""
        if filters.match is not None:
            raise UserError("A text search lists its matches in index order; it cannot be sorted.",
                            hint="Clear the search text to sort, or sort by position.")
        if sort == "findings":
            return self._by_findings(dataset_id, version, filters, after, limit)
        if sort == "changed":
            order = sorting.by_change()
        elif sort.lstrip("-") in ("chars", "turns"):
            order = sorting.by_length(sort.lstrip("-"), sort.startswith("-"), self._walk(dataset_id, version))
        else:
            order = sorting.by_position()
        return self._page(dataset_id, version, filters, order, after, limit)

    def _walk(self, dataset_id: int, version: int) -> bool:
        """True when walking the contents in length order beats sorting this version's entries:
        the version holds a good part of every content stored (both numbers read in O(1))."""
        entries = self.conn.execute("SELECT entries FROM versions WHERE dataset_id = ? AND number = ?",
                                    (dataset_id, version)).fetchone()
        contents = self.conn.execute("SELECT max(id) FROM contents").fetchone()[0] or 0
        return entries is not None and entries[0] * 8 >= contents

    def _by_findings(self, dataset_id: int, version: int, f: Filters, after: Key | None,
                     limit: int) -> list[tuple[Slot, Key]]:
        """Most finding codes first, then the entries without findings by position (their key's n is 0).

        The ranking (entries with findings, in order) is computed once per version and audit run and
        kept with this connection (a version never changes); a page then bisects to its cursor and
        reads the next ranked entries through the filters, like a text search reads its matches.
        """
        if f.config_id is None or f.run_id is None:
            raise UserError("Sorting by findings needs an audit of this version.",
                            hint="Run: threadsmith audit --dataset NAME")
        out: list[tuple[Slot, Key]] = []
        if after is None or after[0] > 0:
            ranked = self._ranked(dataset_id, version, f.config_id, f.run_id)
            start = 0 if after is None else bisect.bisect_right(ranked, (-after[0], after[1], after[2], math.inf))
            batch = 256
            while start < len(ranked) and len(out) < limit:
                chunk = ranked[start:start + batch]
                ids = orjson.dumps([row[3] for row in chunk]).decode()
                order = sorting.Order("json_each(?) AS j CROSS JOIN states s ON s.id = j.value", "j.key", 1, "j.key",
                                      "1", (), (ids,))
                for slot, (index,) in self._page(dataset_id, version, f, order, None, limit - len(out)):
                    neg, position, entry_id, _ = chunk[int(index)]
                    out.append((slot, (-neg, position, entry_id)))
                start, batch = start + len(chunk), min(batch * 4, 65_536)
            if len(out) >= limit:
                return out
            after = None
        rest = self._page(dataset_id, version, f, sorting.by_position(), (after[1], after[2]) if after else None,
                          limit - len(out), extra=sorting.without_findings(f.config_id, f.run_id))
        return out + [(slot, (0, *key)) for slot, key in rest]

    def _ranked(self, dataset_id: int, version: int, config_id: int, run_id: int) -> list[tuple[int, float, int, int]]:
        """``(-codes, position, entry id, state id)`` of every entry of the version with a finding code, sorted."""
        cache_key = (dataset_id, version, config_id, run_id)
        if cache_key not in self._rankings:
            if len(self._rankings) >= 4:
                self._rankings.pop(next(iter(self._rankings)))
            sql = (f"SELECT -({sorting.COUNT}), s.position, s.entry_id, s.id FROM {sorting.HITS} "
                   f"WHERE {VISIBLE} ORDER BY 1, 2, 3")
            self._rankings[cache_key] = [tuple(row) for row in self.conn.execute(
                sql, (config_id, run_id, config_id, run_id, dataset_id, version, version))]
        return self._rankings[cache_key]

    def _page(self, dataset_id: int, version: int, f: Filters, order: sorting.Order, after: Key | None, limit: int,
              extra: tuple[str, list[object]] | None = None) -> list[tuple[Slot, Key]]:
        sql, params = self._query(dataset_id, version, f, None, order.source, order=order, key=after, extra=extra)
        rows = self.conn.execute(f"{sql} LIMIT ?", [*params, limit]).fetchall()
        width = order.width
        return [(Slot(*row[:-width]), tuple(row[-width:])) for row in rows]

    def _query(self, dataset_id: int, version: int, f: Filters, after: tuple[float, int] | None, source: str,
               content_ids: list[int] | None = None, order: sorting.Order | None = None, key: Key | None = None,
               extra: tuple[str, list[object]] | None = None, counting: bool = False) -> tuple[str, list[object]]:
        """The SELECT of a page (or, ``counting``, of the number of matches: no entry columns, no order)."""
        params: list[object] = []
        where = []
        columns = SLOT_COLUMNS
        if f.match is not None:
            if content_ids is not None:
                # The ids come first (CROSS JOIN fixes the order), each reaching its states by index.
                source = "json_each(?) AS j CROSS JOIN states s INDEXED BY states_by_content ON s.content_id = j.value"
                params.append(orjson.dumps(content_ids).decode())
            else:
                where.append("content_text MATCH ?")
                params.append(_with_roles(f.match, f.roles))
            sequence = "s.content_id, s.entry_id"
            cursor = "(s.content_id, s.entry_id) > (?, ?)"
        elif order is not None:
            sequence, cursor, columns = order.order, order.after, f"{SLOT_COLUMNS}, {order.key}"
            params += order.params
        else:
            sequence = "s.position, s.entry_id"
            cursor = "(s.position, s.entry_id) > (?, ?)"
        where.append(VISIBLE)
        params += [dataset_id, version, version]
        joins = "" if counting else " JOIN entries e ON e.id = s.entry_id"
        content_terms, content_params = _content_terms(f)
        if content_terms:
            if order is None or not order.has_contents:  # the lengths without reading the bodies
                joins += " JOIN contents c INDEXED BY contents_lengths ON c.id = s.content_id"
            where += content_terms
            params += content_params
        facet_terms, facet_params = _facet_terms(f)
        where += facet_terms
        params += facet_params
        if extra is not None:
            where.append(extra[0])
            params += extra[1]
        if f.excluded is not None:
            where.append("s.excluded IS NOT NULL" if f.excluded else "s.excluded IS NULL")
        if after is not None:
            where.append(cursor)
            params += [after[0], after[1]]
        if key is not None and order is not None:
            where.append(cursor)
            params += order.after_params(key)
        if counting:
            return f"SELECT count(*) FROM {source}{joins} WHERE {' AND '.join(where)}", params
        sql = f"SELECT {columns} FROM {source}{joins} WHERE {' AND '.join(where)} ORDER BY {sequence}"
        return sql, params


@contextlib.contextmanager
def _search_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "fts5" not in str(exc) and "MATCH" not in str(exc):
            raise
        raise UserError(f"The search expression is not valid FTS5 syntax ({exc}).",
                        hint='Search plain words without --fts, or quote a phrase: "like this".') from None


def _with_roles(match: str, roles: tuple[str, ...]) -> str:
    if not roles:
        return match
    columns = sorted({role if role in TEXT_COLUMNS else "other" for role in roles})
    return "{" + " ".join(columns) + "} : (" + match + ")"


def _content_terms(f: Filters) -> tuple[list[str], list[object]]:
    terms: list[str] = []
    params: list[object] = []
    for column, low, high in (("chars", f.min_chars, f.max_chars), ("turns", f.min_turns, f.max_turns)):
        if low is not None:
            terms.append(f"c.{column} >= ?")
            params.append(low)
        if high is not None:
            terms.append(f"c.{column} <= ?")
            params.append(high)
    if f.roles and f.match is None:
        mask = 0
        for role in f.roles:
            mask |= ROLE_BITS.get(role, OTHER_ROLE)
        terms.append("(c.roles & ?) != 0")
        params.append(mask)
    return terms, params


def _facet_terms(f: Filters) -> tuple[list[str], list[object]]:
    terms: list[str] = []
    params: list[object] = []
    for kind, values in (("t", f.tags), ("n", f.names)):
        for value in values:
            terms.append("EXISTS (SELECT 1 FROM content_facets f WHERE f.kind = ? AND f.value = ? "
                         "AND f.content_id = s.content_id)")
            params += [kind, value]
    if f.codes:
        marks = ",".join("?" * len(f.codes))
        per_content = (f"EXISTS (SELECT 1 FROM finding_codes k WHERE k.config_id = ? AND k.code IN ({marks}) "
                       "AND k.content_id = s.content_id)")
        per_entry = (f"EXISTS (SELECT 1 FROM run_entry_codes r WHERE r.run_id = ? AND r.code IN ({marks}) "
                     "AND r.entry_id = s.entry_id)")
        terms.append(f"({per_content} OR {per_entry})")
        params += [f.config_id if f.config_id is not None else -1, *f.codes,
                   f.run_id if f.run_id is not None else -1, *f.codes]
    return terms, params
