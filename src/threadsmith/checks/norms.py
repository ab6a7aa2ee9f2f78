"""Dataset norms: tallies of which convention each entry follows, and the entries that deviate.

A :class:`ConventionCheck` is a dataset check over the bitmask of
:func:`threadsmith.checks.conventions.conventions`. Each of its :class:`Dimension` objects labels an
entry (``*asterisk*`` actions, curly quotes ...) and ``finish()`` reports the entries whose label
differs from one that at least ``dominance`` of the participating entries share.

Memory and speed: a :class:`Norms` tally counts the masks (a few dozen distinct values in a
dataset), so every label count is exact at the end, and keeps only the entries that may turn
out to deviate. Observing an entry whose mask follows the running majority of every dimension
costs one dictionary increment and one set test.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from threadsmith.checks import conventions as cv
from threadsmith.checks.base import DatasetCheck, DatasetHit, EntryRef
from threadsmith.checks.profile import CheckContext
from threadsmith.model import Conversation


class Dimension:
    """One convention a check tallies: how to label an entry's mask, and how to name the labels."""

    def __init__(self, label: Callable[[int], int], names: tuple[str, ...], population: str,
                 norms: tuple[int, ...] | None = None) -> None:
        self.label = label  # mask -> label (1-based), or 0 when the entry does not take part
        self.names = names  # names[label - 1] says what an entry of that label does ("uses ...")
        self.population = population  # "entries that mark actions"
        self.norms = norms  # labels that may be a norm to report against (None: any)


class Norms:
    """The tally of one check's dimensions over the dataset, with the entries that may deviate.

    Entries are kept while the tally warms up and afterwards only when one of their labels is
    not the running majority of its dimension, so memory follows the deviants, not the dataset.
    A dimension whose minority grows past what a dominant norm allows is given up (it can have
    no norm to report against); when every dimension is given up, nothing more is kept.
    """

    __slots__ = ("dimensions", "give_up_shares", "masks", "kept", "total", "given_up", "_labels", "_majority",
                 "_typical", "_deviants", "_next_refresh")
    WARMUP = 2000
    #: Observations between refreshes of the running majorities.
    REFRESH = 512

    def __init__(self, dimensions: tuple[Dimension, ...], give_up_shares: tuple[float, ...]) -> None:
        self.dimensions = dimensions
        self.give_up_shares = give_up_shares
        self.masks: defaultdict[int, int] = defaultdict(int)  # mask -> entries
        #: (ref, mask, detail) of the entries that may deviate, in observation order.
        self.kept: list[tuple[EntryRef, int, Any]] = []
        self.total = 0
        self.given_up = [False] * len(dimensions)
        self._labels: dict[int, tuple[int, ...]] = {}
        self._majority = [0] * len(dimensions)
        self._typical: set[int] = set()  # masks that follow every running majority
        self._deviants = [0] * len(dimensions)  # kept entries beyond the warm-up that deviate, per dimension
        self._next_refresh = self.WARMUP + 1

    def observe_summary(self, summary: int | tuple[int, Any], ref: EntryRef) -> None:
        """Observe a :class:`ConventionCheck` summary: a mask, or (mask, detail)."""
        if summary.__class__ is int:
            self.masks[summary] += 1  # type: ignore[index]
            total = self.total = self.total + 1
            if summary in self._typical and total < self._next_refresh:
                return  # the usual entry: one increment and one set test
            self._observe(summary, ref, None, total)  # type: ignore[arg-type]
        else:
            self.observe(summary[0], ref, summary[1])  # type: ignore[index]

    def observe_many(self, summaries: Sequence[int | tuple[int, Any] | None], refs: Sequence[EntryRef]) -> None:
        """:meth:`observe_summary` for a batch (None ones skipped), the usual entries counted inline."""
        masks, typical = self.masks, self._typical
        for summary, ref in zip(summaries, refs):
            if summary.__class__ is int:
                masks[summary] += 1  # type: ignore[index]
                total = self.total = self.total + 1
                if summary in typical and total < self._next_refresh:
                    continue
                self._observe(summary, ref, None, total)  # type: ignore[arg-type]
                typical = self._typical  # a refresh may have made a new set
            elif summary is not None:
                self.observe(summary[0], ref, summary[1])  # type: ignore[index]
                typical = self._typical

    def observe(self, mask: int, ref: EntryRef, detail: Any) -> None:
        self.masks[mask] += 1
        self.total += 1
        self._observe(mask, ref, detail, self.total)

    def _observe(self, mask: int, ref: EntryRef, detail: Any, total: int) -> None:
        if total >= self._next_refresh:
            self._refresh()
        elif mask in self._typical:
            return
        if total <= self.WARMUP:
            self.kept.append((ref, mask, detail))
        elif mask not in self._typical:
            deviant = False
            for d, label in enumerate(self.labels(mask)):
                if label and label != self._majority[d] and not self.given_up[d]:
                    self._deviants[d] += 1
                    deviant = True
            if deviant:
                self.kept.append((ref, mask, detail))
            else:
                self._typical.add(mask)

    def labels(self, mask: int) -> tuple[int, ...]:
        labels = self._labels.get(mask)
        if labels is None:
            labels = self._labels[mask] = tuple(d.label(mask) for d in self.dimensions)
        return labels

    def counts(self, d: int) -> list[int]:
        """The entries of each label of dimension ``d`` (index 0: not taking part)."""
        counts = [0] * (len(self.dimensions[d].names) + 1)
        for mask, n in self.masks.items():
            counts[self.labels(mask)[d]] += n
        return counts

    def _refresh(self) -> None:
        self._next_refresh = self.total + self.REFRESH
        before = (list(self._majority), list(self.given_up))
        for d in range(len(self.dimensions)):
            counts = self.counts(d)
            self._majority[d] = max(range(1, len(counts)), key=counts.__getitem__)
            if self.total > self.WARMUP and self._deviants[d] > self.give_up_shares[d] * (self.total - counts[0]):
                self.given_up[d] = True
        if all(self.given_up):
            self.kept = []
        if before == (self._majority, self.given_up) and self._typical:
            return
        self._typical = {mask for mask in self.masks if all(
            not label or label == majority or given_up
            for label, majority, given_up in zip(self.labels(mask), self._majority, self.given_up))}
        if self.total >= self.WARMUP:  # the entries that follow the new majorities need not be kept
            self.kept = [entry for entry in self.kept if entry[1] not in self._typical]

    def dominant(self, d: int, support: int, dominance: float) -> tuple[int, float] | None:
        """The dominant label of dimension ``d`` and its share, when there is one."""
        if self.given_up[d]:
            return None
        counts = self.counts(d)
        total = sum(counts) - counts[0]
        if total < support or total == 0:
            return None
        label = max(range(1, len(counts)), key=counts.__getitem__)
        share = counts[label] / total
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
        # Outside roleplay data a roleplay-only check sits out, unless told to judge narration anyway.
        self._skip = self.roleplay_only and not self._roleplay and bool(self.options.get("only_roleplay", True))
        if self.roleplay_only and not self._roleplay and not self._skip:
            self._roleplay = True
        self.norms = Norms(self.dimensions, tuple(1.1 - self._dominance(d) for d in self.dimensions))
        # observe() runs in the main process once per entry: go straight to the tally (one call less).
        self.observe = self.norms.observe_summary  # type: ignore[method-assign]
        self.observe_many = self.norms.observe_many  # type: ignore[method-assign]

    def summarize(self, conversation: Conversation) -> int | tuple[int, Any] | None:
        if self._skip:
            return None
        mask = cv.conventions(conversation, self._roleplay)
        if not mask & cv.HAS_REPLY:
            return None
        if mask & self.detail_bits:
            return mask, self.detail(conversation, mask)
        return mask

    def detail(self, conversation: Conversation, mask: int) -> tuple[tuple[int, str] | None, ...] | None:
        """Per dimension, where and what the entry's reportable feature is: (message index, excerpt)."""
        return None

    def observe(self, summary: int | tuple[int, Any], ref: EntryRef) -> None:  # replaced in __init__
        self.norms.observe_summary(summary, ref)

    def finish(self) -> Iterator[DatasetHit]:
        support, norms = int(self.options["min_support"]), self.norms
        for d, dimension in enumerate(self.dimensions):
            found = norms.dominant(d, support, self._dominance(dimension))
            if found is None or (dimension.norms is not None and found[0] not in dimension.norms):
                continue
            label, share = found
            usual = f"{_percent(share)} of {dimension.population} {_plural(dimension.names[label - 1])}"
            for ref, mask, detail in norms.kept:
                kept = norms.labels(mask)[d]
                if not kept or kept == label:
                    continue
                what = dimension.names[kept - 1]
                where = detail[d] if detail else None
                if where is None:
                    yield DatasetHit(ref, f"entry {what}; {usual}", fixable=False)
                else:
                    yield DatasetHit(ref, f"assistant message {where[0]} {what} ({where[1]}); {usual}",
                                     where[0], fixable=False)

    def _dominance(self, dimension: Dimension) -> float:
        return float(self.options["dominance"])
