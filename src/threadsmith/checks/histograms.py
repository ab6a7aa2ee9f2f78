"""Robust length statistics in constant memory: log-scale bins and :class:`LogHistogram`, a
fixed-size histogram of them with median, quantiles and median absolute deviation (the length
and weak-turn checks keep their dataset statistics in these)."""

from __future__ import annotations

import math


BINS_PER_DOUBLING = 4
BIN_TABLE = [int(BINS_PER_DOUBLING * math.log2(n + 1)) for n in range(4096)]


def log_bin(n: int) -> int:
    """The log-scale bin of a non-negative count: four bins per doubling of ``n + 1``."""
    return BIN_TABLE[n] if n < 4096 else int(BINS_PER_DOUBLING * math.log2(n + 1))


def bin_value(bin_: float) -> float:
    """The count at the middle of a (fractional) bin: the inverse of :func:`log_bin`."""
    return 2 ** (bin_ / BINS_PER_DOUBLING) - 1


class LogHistogram:
    """Counts of integer bins ``0 .. size-1`` with median and median absolute deviation."""

    __slots__ = ("counts", "count", "_median", "_median_at", "_stats")

    def __init__(self, size: int = 96) -> None:
        self.counts = [0] * size
        self.count = 0
        self._median = 0.0
        self._median_at = 0
        self._stats: tuple[int, float, float] | None = None

    def add(self, bin_: int) -> None:
        """Count one value of bin ``bin_`` (clipped into range)."""
        self.counts[min(max(bin_, 0), len(self.counts) - 1)] += 1
        self.count += 1

    def running_median(self) -> float:
        """The median as a count (``bin_value``), refreshed as the histogram grows by 1/16."""
        if self.count - self._median_at > max(16, self._median_at >> 4):
            self._median, self._median_at = bin_value(self.median_bin()), self.count
        return self._median

    def _compute(self) -> tuple[int, float, float]:
        if self._stats is None or self._stats[0] != self.count:
            median = quantile_bin(self.counts, self.count)
            distances: dict[float, int] = {}
            for b, n in enumerate(self.counts):
                if n:
                    d = abs(b + 0.5 - median)
                    distances[d] = distances.get(d, 0) + n
            cumulative, mad = 0, 0.0
            for d in sorted(distances):
                cumulative += distances[d]
                if cumulative * 2 >= self.count:
                    mad = d
                    break
            self._stats = (self.count, median, mad)
        return self._stats

    def median_bin(self) -> float:
        """The median bin (interpolated within its bin)."""
        return self._compute()[1] if self.count else 0.0

    def median_value(self) -> float:
        """The median as a count."""
        return bin_value(self.median_bin())

    def quantile_value(self, q: float, leave_out: int | None = None) -> float:
        """The ``q`` quantile (0-1) as a count; ``leave_out`` leaves one value of that bin out
        (the value being judged, which in a small group would drag a low quantile down to itself)."""
        counts, total = self.counts, self.count
        if leave_out is not None and 0 <= leave_out < len(counts) and counts[leave_out]:
            counts = list(counts)
            counts[leave_out] -= 1
            total -= 1
        return bin_value(quantile_bin(counts, total, q)) if total else 0.0

    def spread(self) -> float:
        """MAD scaled to a standard deviation (x1.4826), in bins; at least one bin."""
        return max(1.0, 1.4826 * self._compute()[2]) if self.count else 1.0


def quantile_bin(counts: list[int], total: int, q: float = 0.5) -> float:
    """The (interpolated) bin at quantile ``q`` of histogram ``counts`` holding ``total`` values."""
    target, cumulative = q * total, 0
    for b, n in enumerate(counts):
        if n and cumulative + n >= target:
            return b + (target - cumulative) / n
        cumulative += n
    return float(len(counts))
