"""The browser's filters: query-string parameters <-> a workspace Query (shared by the API and the page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Query as Param

from threadsmith.workspace.searching import SORTS
from threadsmith.workspace.query import Query

_SHOWN = {"included": False, "excluded": True, "all": None}


@dataclass(frozen=True, slots=True)
class BrowseFilters:
    """What the dataset browser filters on (every field optional)."""

    q: str | None = None
    fts: bool = False
    role: str | None = None
    tag: str | None = None
    character: str | None = None
    code: str | None = None
    min_chars: int | None = None
    max_chars: int | None = None
    min_turns: int | None = None
    max_turns: int | None = None
    show: str = "included"
    #: The page order (``threadsmith.workspace.searching.SORTS``); a text search keeps its index order.
    sort: str = "position"

    @property
    def order(self) -> str:
        """The sort the search uses: ``position`` while there is search text (matches are not sorted)."""
        return "position" if self.q and self.q.strip() else self.sort

    def query(self) -> Query:
        """The workspace query."""
        one = lambda value: (value.strip(),) if value and value.strip() else ()  # noqa: E731
        text = self.q.strip() if self.q and self.q.strip() else None
        return Query(text=text, fts=self.fts, roles=one(self.role), tags=one(self.tag), characters=one(self.character),
                     codes=one(self.code), min_chars=self.min_chars, max_chars=self.max_chars,
                     min_turns=self.min_turns, max_turns=self.max_turns, excluded=_SHOWN.get(self.show, False))

    def params(self) -> dict[str, object]:
        """The non-default filters as query-string parameters (for links)."""
        out: dict[str, object] = {}
        for name in self.__slots__:  # type: ignore[attr-defined]
            value = getattr(self, name)
            if value not in (None, "", False) and (name, value) not in (("show", "included"), ("sort", "position")):
                out[name] = "1" if value is True else value
        return out


#: Counts arrive as text: an empty form field means "no limit".
Count = Annotated[str | None, Param(max_length=10, pattern=r"^[0-9]*$")]
Text = Annotated[str | None, Param(max_length=500)]


def browse_filters(q: Text = None, fts: bool = False, role: Text = None, tag: Text = None, character: Text = None,
                   code: Annotated[str | None, Param(max_length=100)] = None, min_chars: Count = None,
                   max_chars: Count = None, min_turns: Count = None, max_turns: Count = None,
                   show: Literal["included", "excluded", "all"] = "included",
                   sort: Literal[SORTS] = "position") -> BrowseFilters:  # type: ignore[valid-type]
    """FastAPI dependency: the filters from the query string."""
    return BrowseFilters(q, fts, role, tag, character, code, _count(min_chars), _count(max_chars), _count(min_turns),
                         _count(max_turns), show, sort)


def _count(value: str | None) -> int | None:
    return int(value) if value else None
