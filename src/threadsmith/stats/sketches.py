"""Bounded summaries for one streaming pass: bucketed histograms, capped counters, distinct sketches.

Each holds a fixed amount of memory whatever the dataset size, so statistics over a million
conversations fit in a few megabytes. Counts that had to be approximated say so.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any

import numpy as np

#: Word counts: steps of about 1.5x, so short and very long turns both get readable buckets.
WORD_BOUNDS = (0, 1, 2, 3, 5, 8, 13, 20, 30, 50, 80, 130, 200, 300, 500, 800, 1300, 2000, 3000, 5000)
#: Turns per conversation: one bucket per count up to 10, wider after.
TURN_BOUNDS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 30, 50, 100, 200)
#: Estimated tokens per conversation: powers of two, the sizes context windows come in.
TOKEN_BOUNDS = (0, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072)


def _short(n: int) -> str:
    return f"{n // 1024}k" if n >= 1024 and n % 1024 == 0 else f"{n:,}"


@dataclass(frozen=True, slots=True)
class Distribution:
    """A histogram over fixed buckets plus exact count, sum, minimum and maximum.

    ``bounds[i]`` is the lowest value of bucket ``i``; the last bucket is open-ended.
    """

    unit: str
    bounds: tuple[int, ...]
    counts: tuple[int, ...]
    count: int = 0
    total: int = 0
    minimum: int = 0
    maximum: int = 0

    @property
    def mean(self) -> float:
        """The exact mean (0 when empty)."""
        return self.total / self.count if self.count else 0.0

    def labels(self) -> list[str]:
        """One label per bucket: ``5`` (one value), ``5-7`` (inclusive), ``1k-2k`` (up to 2k) or ``5,000+``."""
        out = []
        for lo, hi in zip(self.bounds, (*self.bounds[1:], None), strict=True):
            if hi is None:
                out.append(f"{_short(lo)}+")
            elif hi - lo == 1:
                out.append(_short(lo))
            elif hi % 1024 == 0:
                out.append(f"{_short(lo)}-{_short(hi)}")
            else:
                out.append(f"{_short(lo)}-{_short(hi - 1)}")
        return out

    def quantile(self, q: float) -> float:
        """An estimate of the ``q`` quantile, interpolated inside its bucket (exact at the ends)."""
        if not self.count:
            return 0.0
        target, seen = q * self.count, 0
        for i, n in enumerate(self.counts):
            if n and seen + n >= target:
                lo = max(self.bounds[i], self.minimum)
                hi = min(self.bounds[i + 1] - 1 if i + 1 < len(self.bounds) else self.maximum, self.maximum)
                return lo + (hi - lo) * max(0.0, target - seen) / n
            seen += n
        return float(self.maximum)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: buckets with labels, and the summary numbers."""
        return {
            "unit": self.unit,
            "count": self.count,
            "sum": self.total,
            "min": self.minimum,
            "max": self.maximum,
            "mean": round(self.mean, 2),
            "p50": round(self.quantile(0.5), 1),
            "p90": round(self.quantile(0.9), 1),
            "p99": round(self.quantile(0.99), 1),
            "buckets": [{"from": lo, "label": label, "count": n}
                        for lo, label, n in zip(self.bounds, self.labels(), self.counts, strict=True)],
        }


class Histogram:
    """Builds a :class:`Distribution` one value at a time."""

    __slots__ = ("unit", "bounds", "counts", "count", "total", "minimum", "maximum")

    def __init__(self, unit: str, bounds: tuple[int, ...]) -> None:
        self.unit, self.bounds = unit, bounds
        self.counts = [0] * len(bounds)
        self.count = self.total = self.maximum = 0
        self.minimum: int | None = None

    def add(self, value: int) -> None:
        """Count one value (negative values count as 0)."""
        value = max(0, value)
        self.counts[max(0, bisect_right(self.bounds, value) - 1)] += 1
        self.count += 1
        self.total += value
        self.maximum = max(self.maximum, value)
        self.minimum = value if self.minimum is None else min(self.minimum, value)

    def result(self) -> Distribution:
        """The frozen distribution."""
        return Distribution(self.unit, self.bounds, tuple(self.counts), self.count, self.total,
                            self.minimum or 0, self.maximum)


def digest(text: str) -> int:
    """A 64-bit hash of a string, stable across runs (unlike ``hash``)."""
    return int.from_bytes(blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


class DistinctSketch:
    """Counts distinct values: exactly up to ``k`` of them, then estimated from the k smallest hashes (KMV)."""

    __slots__ = ("k", "_heap", "_members")

    def __init__(self, k: int = 2048) -> None:
        self.k = k
        self._heap: list[int] = []  # negated hashes: a max-heap of the k smallest
        self._members: set[int] = set()

    def add(self, value: str) -> None:
        """Observe one value."""
        h = digest(value)
        if h in self._members:
            return
        if len(self._heap) < self.k:
            heapq.heappush(self._heap, -h)
            self._members.add(h)
        elif h < -self._heap[0]:
            self._members.discard(-heapq.heappushpop(self._heap, -h))
            self._members.add(h)

    @property
    def exact(self) -> bool:
        """True while fewer than ``k`` distinct values were seen (the count is then exact)."""
        return len(self._heap) < self.k

    def estimate(self) -> int:
        """The number of distinct values seen (estimated beyond ``k``, within a few percent)."""
        if self.exact:
            return len(self._heap)
        return round((self.k - 1) * (1 << 64) / (-self._heap[0] + 1))


class TopCounter:
    """Counts keys but keeps at most ``10 * cap`` of them: the ``cap`` most common survive a prune.

    Keys that are frequent overall stay exact or nearly so; a count is never too high, only
    possibly too low for keys that were pruned and came back (``approximate`` says when that
    may have happened).
    """

    __slots__ = ("cap", "counts", "total", "approximate", "_distinct")

    def __init__(self, cap: int, *, distinct: bool = True) -> None:
        self.cap = cap
        self.counts: Counter[Hashable] = Counter()
        self.total = 0
        self.approximate = False
        self._distinct = DistinctSketch() if distinct else None

    def add(self, key: Hashable, n: int = 1) -> None:
        """Count ``key`` ``n`` times."""
        self.counts[key] += n
        self.total += n
        if self._distinct is not None:
            self._distinct.add(str(key))
        if len(self.counts) > 10 * self.cap:
            self.prune()

    def update(self, keys: set[Hashable] | list[Hashable]) -> None:
        """Count each key once (faster than :meth:`add` for many keys; no distinct count)."""
        self.counts.update(keys)
        self.total += len(keys)
        if len(self.counts) > 10 * self.cap:
            self.prune()

    def prune(self) -> None:
        """Keep the ``cap`` most common keys: what ``Counter(dict(counts.most_common(cap)))`` keeps,
        in its order (by count, ties in the order keys came), several times faster (the prune of
        the n-gram counter was a quarter of ``threadsmith stats``)."""
        keys, size = list(self.counts), len(self.counts)
        self.approximate = True
        if size <= self.cap:
            self.counts = Counter(dict(self.counts.most_common()))
            return
        values = np.fromiter(self.counts.values(), dtype=np.int64, count=size)
        threshold = np.partition(values, size - self.cap)[size - self.cap]  # the cap-th largest count
        above = np.flatnonzero(values > threshold)
        ties = np.flatnonzero(values == threshold)[: self.cap - len(above)]  # the first to come win ties
        kept = np.concatenate([above, ties])
        kept = kept[np.lexsort((kept, -values[kept]))]
        self.counts = Counter(dict(zip([keys[i] for i in kept.tolist()], values[kept].tolist())))

    def distinct(self) -> int | None:
        """How many distinct keys were seen (None when not tracked)."""
        if self._distinct is None:
            return None if self.approximate else len(self.counts)
        return len(self.counts) if not self.approximate and self._distinct.exact else self._distinct.estimate()

    def top(self, k: int) -> tuple[tuple[Any, int], ...]:
        """The ``k`` most common keys with their counts, most common first (ties by key)."""
        return tuple(sorted(self.counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:k])
