"""Emotional drift: does the character's affect move without cause over neutral turns?

Each reply gets a VADER compound valence in [-1, 1] (the ``vaderSentiment`` lexicon ships in its
wheel; ``pip install 'threadsmith[probe]'``). Over a probe's scripted neutral turns:

* **slope**: the least-squares slope of valence against turn index, per 10 turns;
* **volatility**: the mean absolute change from one reply to the next.

VADER on literary prose is coarse: compare variants on the same scripts, not absolute values.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from threadsmith.errors import MissingDependency
from threadsmith.probe.scores.outcome import Outcome, ReplyContext


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError as exc:
        raise MissingDependency("vaderSentiment", extra="probe", purpose="Scoring emotional drift") from exc
    return SentimentIntensityAnalyzer()


def valence(text: str) -> float:
    """VADER compound valence of a text, in [-1, 1] (0 for an empty text)."""
    return float(_analyzer().polarity_scores(text)["compound"]) if text.strip() else 0.0


def slope(values: Sequence[float]) -> float:
    """Least-squares slope of values against their index (0 for fewer than two values)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    var = sum((i - mean_x) ** 2 for i in range(n))
    return sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values)) / var


def volatility(values: Sequence[float]) -> float:
    """Mean absolute change between consecutive values."""
    return sum(abs(b - a) for a, b in zip(values, values[1:])) / (len(values) - 1) if len(values) > 1 else 0.0


def drift(replies: Sequence[str], context: ReplyContext | None = None, max_slope: float = 2.0,
          max_volatility: float = 0.6, band: Sequence[float] | None = None) -> Outcome:
    """Valence drift over a probe's replies: the value is |slope| per 10 turns; passes when the
    slope and volatility stay within bounds (and, given a ``band``, every valence is inside it)."""
    values = [valence(r) for r in replies]
    per_10 = slope(values) * 10
    vol = volatility(values)
    problems = []
    if abs(per_10) > max_slope:
        problems.append(f"valence drifts {per_10:+.2f} per 10 turns")
    if vol > max_volatility:
        problems.append(f"valence swings {vol:.2f} per turn")
    if band is not None:
        low, high = band
        outside = [v for v in values if not low <= v <= high]
        if outside:
            problems.append(f"{len(outside)} of {len(values)} replies outside valence {low}..{high}")
    trail = " ".join(f"{v:+.2f}" for v in values)
    return Outcome(round(abs(per_10), 4), not problems, "; ".join(problems + [f"valence: {trail}"]))
