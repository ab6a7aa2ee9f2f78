"""Response length: is the reply inside the band of lengths the dataset teaches?

The band is the suite's ``length_band`` (words; ``probe init`` takes the 10th and 90th
percentiles of the dataset's assistant replies), or the check's own ``band``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from threadsmith.checks.text import words
from threadsmith.probe.scores.outcome import Outcome, ReplyContext


def in_band(reply: str, context: ReplyContext, band: Sequence[int] | None = None) -> Outcome:
    """The reply's words; passes inside the band. A reply cut off at max_new_tokens fails."""
    count = len(words(reply))
    chosen = tuple(band) if band is not None else context.length_band
    if chosen is None:
        return Outcome(float(count), None, "no length band: set length_band in the suite")
    low, high = chosen
    if context.finish_reason == "length":
        return Outcome(float(count), False, f"cut off at max_new_tokens after {count} words")
    ok = low <= count <= high
    return Outcome(float(count), ok, "" if ok else f"{count} words, outside {low}-{high}")


def band_of(replies: Iterable[str], low: float = 0.1, high: float = 0.9) -> tuple[int, int] | None:
    """The (``low``, ``high``) quantiles of the replies' word counts (None without replies)."""
    counts = sorted(len(words(r)) for r in replies if r.strip())
    if not counts:
        return None
    last = len(counts) - 1
    return counts[round(low * last)], counts[round(high * last)]
