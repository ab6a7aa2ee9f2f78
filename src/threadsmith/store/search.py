"""Search: FTS5 over message text, with filters joined against one version's states.

Text matches come from the contentless ``content_text`` index (one row per content, one
column per role group, so a role filter is an FTS column filter). Tags and speaker names are
exact-match facets; finding codes come from the audit cache; lengths from ``contents``.
Results are pages in a stable order with a keyset cursor: by content then entry when there is
text to match, by position then entry otherwise.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

from threadsmith.errors import UserError
from threadsmith.store.codec import OTHER_ROLE, ROLE_BITS, TEXT_COLUMNS
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
        """How many entries match."""
        source = BY_POSITION
        if filters.match is not None:
            source = "content_text t CROSS JOIN states s INDEXED BY states_by_content ON s.content_id = t.rowid"
        sql, params = self._query(dataset_id, version, filters, None, source)
        with _search_errors():
            return int(self.conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0])

    def _query(self, dataset_id: int, version: int, f: Filters, after: tuple[float, int] | None, source: str,
               content_ids: list[int] | None = None) -> tuple[str, list[object]]:
        params: list[object] = []
        where = []
        if f.match is not None:
            if content_ids is not None:
                # The ids come first (CROSS JOIN fixes the order), each reaching its states by index.
                source = "json_each(?) AS j CROSS JOIN states s INDEXED BY states_by_content ON s.content_id = j.value"
                params.append(orjson.dumps(content_ids).decode())
            else:
                where.append("content_text MATCH ?")
                params.append(_with_roles(f.match, f.roles))
            order = "s.content_id, s.entry_id"
            cursor = "(s.content_id, s.entry_id) > (?, ?)"
        else:
            order = "s.position, s.entry_id"
            cursor = "(s.position, s.entry_id) > (?, ?)"
        where.append(VISIBLE)
        params += [dataset_id, version, version]
        joins = " JOIN entries e ON e.id = s.entry_id"
        content_terms, content_params = _content_terms(f)
        if content_terms:
            joins += " JOIN contents c ON c.id = s.content_id"
            where += content_terms
            params += content_params
        facet_terms, facet_params = _facet_terms(f)
        where += facet_terms
        params += facet_params
        if f.excluded is not None:
            where.append("s.excluded IS NOT NULL" if f.excluded else "s.excluded IS NULL")
        if after is not None:
            where.append(cursor)
            params += [after[0], after[1]]
        sql = f"SELECT {SLOT_COLUMNS} FROM {source}{joins} WHERE {' AND '.join(where)} ORDER BY {order}"
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
