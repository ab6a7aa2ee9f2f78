"""Sorted pages of one version: the orders a browser page can be read in, each as keyset SQL.

Every order ends in a unique key, so a cursor (the last row's key) gives the next page exactly
and no page reads more than it shows, at any depth:

==============  ===================================  =============================================
sort            key                                  read through
==============  ===================================  =============================================
``position``    position, entry                      ``states_by_position``
``chars``       characters, content, entry           ``contents_by_chars`` then ``states_by_content``
``-chars``      the same, longest first              (a dataset that is a small part of the
``turns``,      turns, content, entry                workspace is sorted whole instead: O(its
``-turns``                                           entries), cheaper than walking others' contents)
``changed``     version of the last change, state    ``states_by_start``, newest first
``findings``    finding codes, position, entry       entries with codes (per content and per entry)
                                                     ranked once per version and audit, most first;
                                                     then the entries without, in position order
==============  ===================================  =============================================
"""

from __future__ import annotations

from dataclasses import dataclass

from threadsmith.store.states import BY_POSITION

#: The sort names, in the order a page offers them.
SORTS = ("position", "chars", "-chars", "turns", "-turns", "changed", "findings")
#: A sort's cursor: the key of the last row of the previous page.
Key = tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Order:
    """How to read one order: the FROM clause, the key columns, ORDER BY, and the after-cursor test."""

    source: str
    #: The key columns (selected after the slot's columns) and how many there are.
    key: str
    width: int
    order: str
    #: SQL testing that a row comes after the cursor; ``uses[i]`` is the key value of its i-th ``?``.
    after: str
    uses: tuple[int, ...]
    #: Values of the ``?`` in ``key`` and ``source``, in that order.
    params: tuple[object, ...] = ()
    #: True when ``source`` already joins ``contents c``.
    has_contents: bool = False

    def after_params(self, key: Key) -> list[object]:
        """The values for :attr:`after` given the cursor ``key``."""
        return [key[i] for i in self.uses]


def by_position() -> Order:
    return Order(BY_POSITION, "s.position, s.entry_id", 2, "s.position, s.entry_id", "(s.position, s.entry_id) > (?, ?)",
                 (0, 1))


def by_length(column: str, descending: bool, walk: bool) -> Order:
    """Characters or turns; ``walk``: through the contents index (else the version's states, then a sort)."""
    if walk:
        source = (f"contents c INDEXED BY contents_by_{column} CROSS JOIN states s INDEXED BY states_by_content "
                  "ON s.content_id = c.id")
    else:
        source = f"{BY_POSITION} JOIN contents c INDEXED BY contents_lengths ON c.id = s.content_id"
    way, cmp = (" DESC", "<") if descending else ("", ">")
    # The first test bounds the index range; the second is exact (entries sharing a content).
    after = f"(c.{column}, c.id) {cmp}= (?, ?) AND (c.{column}, c.id, s.entry_id) {cmp} (?, ?, ?)"
    return Order(source, f"c.{column}, c.id, s.entry_id", 3, f"c.{column}{way}, c.id{way}, s.entry_id{way}", after,
                 (0, 1, 0, 1, 2), has_contents=True)


def by_change() -> Order:
    return Order("states s INDEXED BY states_by_start", "s.valid_from, s.id", 2, "s.valid_from DESC, s.id DESC",
                 "(s.valid_from, s.id) < (?, ?)", (0, 1))


#: Finding codes of a state's entry: those cached for its content (one audit configuration) plus the
#: dataset-level ones of its entry (one audit run). Both read through migration 6's indexes.
COUNT = ("(SELECT count(*) FROM finding_codes k WHERE k.config_id = ? AND k.content_id = s.content_id) + "
         "(SELECT count(*) FROM run_entry_codes r WHERE r.run_id = ? AND r.entry_id = s.entry_id)")
#: The states of entries with a finding code (on their content, or dataset-level on the entry).
HITS = ("(SELECT s.id AS sid FROM (SELECT content_id FROM finding_codes WHERE config_id = ? GROUP BY content_id) h "
        "CROSS JOIN states s INDEXED BY states_by_content ON s.content_id = h.content_id UNION "
        "SELECT s.id FROM (SELECT entry_id FROM run_entry_codes WHERE run_id = ? GROUP BY entry_id) h "
        "CROSS JOIN states s INDEXED BY states_by_entry ON s.entry_id = h.entry_id) AS hit "
        "CROSS JOIN states s ON s.id = hit.sid")


def without_findings(config_id: int, run_id: int) -> tuple[str, list[object]]:
    """The test (and its params) that an entry has no finding code: the tail of the findings order."""
    return ("NOT EXISTS (SELECT 1 FROM finding_codes k WHERE k.config_id = ? AND k.content_id = s.content_id) AND "
            "NOT EXISTS (SELECT 1 FROM run_entry_codes r WHERE r.run_id = ? AND r.entry_id = s.entry_id)",
            [config_id, run_id])
