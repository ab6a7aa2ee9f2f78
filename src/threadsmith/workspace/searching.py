"""Search and selection: a :class:`Query` over one version, as pages of hits or as every match."""

from __future__ import annotations

from collections.abc import Iterator

from threadsmith.errors import UserError
from threadsmith.store import DatasetRow, Slot, Store
from threadsmith.store.search import Filters
from threadsmith.store.sorting import SORTS, Key
from threadsmith.workspace.query import Query, snippet
from threadsmith.workspace.reading import conversation_of
from threadsmith.workspace.results import SearchHit, SearchResult

#: ``(config id, run id)`` of the audit that finding-code filters read.
FindingScope = tuple[int, int | None]


def filters_for(query: Query, scope: FindingScope | None) -> Filters:
    """The store's filters for a query (finding codes need the audit ``scope``)."""
    codes = query.resolved_codes()
    if codes and scope is None:
        raise UserError("Filtering on findings needs an audit of this dataset.",
                        hint="Run: threadsmith audit --dataset NAME")
    return Filters(
        match=query.match_expression(), roles=query.roles, tags=query.tags, names=query.characters, codes=codes,
        config_id=scope[0] if scope else None, run_id=scope[1] if scope else None,
        min_chars=query.min_chars, max_chars=query.max_chars, min_turns=query.min_turns, max_turns=query.max_turns,
        excluded=query.excluded)


def search(store: Store, dataset: DatasetRow, version: int, query: Query, *, scope: FindingScope | None,
           cursor: str | None = None, limit: int = 50, count: bool = False, sort: str = "position") -> SearchResult:
    """One page of entries matching ``query``, with snippets, in ``sort`` order (:data:`SORTS`)."""
    if sort not in SORTS:
        raise UserError(f"Cannot sort by {sort!r}.", hint=f"Sort by one of: {', '.join(SORTS)}.")
    filters = filters_for(query, scope)
    text_mode = filters.match is not None
    if sort != "position":
        keyed = store.search.sorted_page(dataset.id, version, filters, sort, after=_decode_key(cursor, sort),
                                         limit=limit + 1)
        slots = [slot for slot, _ in keyed]
        last_key = keyed[limit - 1][1] if len(keyed) > limit else None
    else:
        slots = list(store.search.select(dataset.id, version, filters, after=_decode(cursor, text_mode),
                                         limit=limit + 1))
    more = len(slots) > limit
    slots = slots[:limit]
    bodies = store.contents.bodies(s.content_id for s in slots)
    hits = []
    for slot in slots:
        text, roles = snippet(conversation_of(slot, bodies[slot.content_id]), query.text)
        hits.append(SearchHit(slot.key, slot.position, slot.excluded, text, roles))
    total = store.search.count(dataset.id, version, filters) if count else None
    if sort != "position":
        next_cursor = f"s:{sort}:" + ":".join(repr(v) for v in last_key) if last_key is not None else None
    else:
        next_cursor = _encode(slots[-1], text_mode) if more and slots else None
    return SearchResult(tuple(hits), next_cursor, total)


def select(store: Store, dataset: DatasetRow, version: int, query: Query, *,
           scope: FindingScope | None, page: int = 2000) -> Iterator[Slot]:
    """Every entry matching ``query``, fetched page by page."""
    filters = filters_for(query, scope)
    text_mode = filters.match is not None
    after = None
    while True:
        slots = list(store.search.select(dataset.id, version, filters, after=after, limit=page))
        yield from slots
        if len(slots) < page:
            return
        last = slots[-1]
        after = (last.content_id, last.entry_id) if text_mode else (last.position, last.entry_id)


def _decode_key(cursor: str | None, sort: str) -> Key | None:
    """The key in a sorted page's cursor (``s:SORT:v1:v2...``), checked against ``sort``."""
    if cursor is None:
        return None
    try:
        kind, named, *values = cursor.split(":")
        if kind != "s" or named != sort or not 2 <= len(values) <= 3:
            raise ValueError
        return tuple(int(v) if v.lstrip("-").isdigit() else float(v) for v in values)
    except ValueError:
        raise UserError(f"{cursor!r} is not a cursor of this search sorted by {sort}.",
                        hint="Pass the next_cursor of the previous page of the same search and sort.") from None


def _encode(slot: Slot, text_mode: bool) -> str:
    return f"t:{slot.content_id}:{slot.entry_id}" if text_mode else f"p:{slot.position!r}:{slot.entry_id}"


def _decode(cursor: str | None, text_mode: bool) -> tuple[float, int] | None:
    if cursor is None:
        return None
    try:
        kind, first, second = cursor.split(":", 2)
        if kind != ("t" if text_mode else "p"):
            raise ValueError
        return (int(first) if text_mode else float(first)), int(second)
    except ValueError:
        raise UserError(f"{cursor!r} is not a cursor of this search.",
                        hint="Pass the next_cursor of the previous page of the same search.") from None
