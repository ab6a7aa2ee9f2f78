"""Dataset norms: tallies of which convention each entry follows, and the entries that deviate.

A :class:`ConventionCheck` is a dataset check over the bitmask of
:func:`threadsmith.checks.conventions.conventions`. Each of its :class:`Dimension` objects labels an
entry (``*asterisk*`` actions, curly quotes ...), a :class:`Norm` tallies the labels in constant
memory plus the entries that may deviate, and ``finish()`` reports the entries whose label differs
from one that at least ``dominance`` of the participating entries share.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

from threadsmith.checks import conventions as cv
from threadsmith.checks.base import DatasetCheck, DatasetHit, EntryRef
from threadsmith.checks.profile import CheckContext
from threadsmith.model import Conversation


class Norm:
    """One convention's tally over the dataset, with the entries that may turn out to deviate.

    Entries are kept while the tally warms up and afterwards only when their style is not the
    running majority, so memory follows the deviants, not the dataset. When the minority grows
    past what a dominant norm allows, keeping stops: there is no norm to report against.
    """

    __slots__ = ("counts", "give_up_share", "given_up", "kept", "majority", "total")
    WARMUP = 2000

    def __init__(self, labels: int, give_up_share: float = 0.35) -> None:
        self.counts = [0] * (labels + 1)
        #: (ref, label, detail) of the entries that may deviate.
        self.kept: list[tuple[EntryRef, int, Any]] = []
        self.total = 0
        self.majority = 0
        self.given_up = False
        #: Past this share of the dataset kept beyond the warm-up, no norm can be dominant enough.
        self.give_up_share = give_up_share

    def observe(self, label: int, ref: EntryRef, detail: Any) -> None:
        counts = self.counts
        counts[label] += 1
        self.total += 1
        if counts[label] > counts[self.majority]:
            self.majority = label
        if self.given_up or (label == self.majority and self.total > self.WARMUP):
            return
        self.kept.append((ref, label, detail))
        if len(self.kept) - self.WARMUP > self.give_up_share * self.total:
            self.given_up, self.kept = True, []

    def dominant(self, support: int, dominance: float) -> tuple[int, float] | None:
        """The dominant label and its share, when there is one."""
        if self.given_up or self.total < support:
            return None
        label = max(range(1, len(self.counts)), key=self.counts.__getitem__)
        share = self.counts[label] / self.total
        return (label, share) if share >= dominance else None


_PLURAL = {"uses": "use", "has": "have", "mixes": "mix", "quotes": "quote", "writes": "write",
           "narrates": "narrate", "starts": "start"}


def _plural(phrase: str) -> str:
    """'uses no HTML' -> 'use no HTML' (the phrase said of many entries)."""
    verb, _, rest = phrase.partition(" ")
    return f"{_PLURAL.get(verb, verb)} {rest}"


def _percent(share: float) -> str:
    """A share rounded down, so 99.97% never reads as 100%."""
    return f"{math.floor(share * 1000) / 10:g}%"


class Dimension:
    """One convention a check tallies: how to label an entry's mask, and how to name the labels."""

    def __init__(self, label: Callable[[int], int], names: tuple[str, ...], population: str,
                 norms: tuple[int, ...] | None = None) -> None:
        self.label = label  # mask -> label (1-based), or 0 when the entry does not take part
        self.names = names  # names[label - 1] says what an entry of that label does ("uses ...")
        self.population = population  # "entries that mark actions"
        self.norms = norms  # labels that may be a norm to report against (None: any)


class ConventionCheck(DatasetCheck):
    """Base of the FM checks that report entries deviating from a dominant convention."""

    dimensions: ClassVar[tuple[Dimension, ...]] = ()
    roleplay_only: ClassVar[bool] = False
    #: Mask bits for which :meth:`detail` is worth computing (a rare, reportable feature).
    detail_bits: ClassVar[int] = 0
    defaults: ClassVar[Mapping[str, Any]] = {"dominance": 0.9, "min_support": 12}

    def __init__(self, options: Mapping[str, Any] | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._roleplay = self.context.kind == "roleplay"
        self._norms = [Norm(len(d.names), 1.1 - self._dominance(d)) for d in self.dimensions]

    def summarize(self, conversation: Conversation) -> int | tuple[int, Any]:
        roleplay = self._roleplay
        if self.roleplay_only and not roleplay:
            if self.options.get("only_roleplay", True):
                return 0
            roleplay = True  # told to judge narration anyway: read the data as roleplay
        mask = cv.conventions(conversation, roleplay)
        if mask & self.detail_bits:
            return mask, self.detail(conversation, mask)
        return mask

    def detail(self, conversation: Conversation, mask: int) -> tuple[tuple[int, str] | None, ...] | None:
        """Per dimension, where and what the entry's reportable feature is: (message index, excerpt)."""
        return None

    def observe(self, summary: int | tuple[int, Any], ref: EntryRef) -> None:
        mask, detail = summary if isinstance(summary, tuple) else (summary, None)
        if not mask & cv.HAS_REPLY:
            return
        for i, (dimension, norm) in enumerate(zip(self.dimensions, self._norms)):
            label = dimension.label(mask)
            if label:
                norm.observe(label, ref, detail[i] if detail else None)

    def finish(self) -> Iterator[DatasetHit]:
        support = int(self.options["min_support"])
        for dimension, norm in zip(self.dimensions, self._norms):
            found = norm.dominant(support, self._dominance(dimension))
            if found is None or (dimension.norms is not None and found[0] not in dimension.norms):
                continue
            label, share = found
            usual = f"{_percent(share)} of {dimension.population} {_plural(dimension.names[label - 1])}"
            for ref, kept, detail in norm.kept:
                if kept == label:
                    continue
                what = dimension.names[kept - 1]
                if detail is None:
                    yield DatasetHit(ref, f"entry {what}; {usual}", fixable=False)
                else:
                    yield DatasetHit(ref, f"assistant message {detail[0]} {what} ({detail[1]}); {usual}",
                                     detail[0], fixable=False)

    def _dominance(self, dimension: Dimension) -> float:
        return float(self.options["dominance"])
