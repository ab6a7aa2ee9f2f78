"""Phrase overuse: stock phrases, repetitive wording, and phrases a fine-tune introduced.

* :func:`slop_rate`: stock phrases per 1,000 words, with SN009's phrase list and matcher
  (:func:`threadsmith.checks.slop.stock_phrase_hits`; a single word weighs 0.5, a phrase 1).
* :func:`distinct_n`: unique n-grams over all n-grams of a set of replies, each cut to the same
  word budget first (distinct-n falls with length, so unequal lengths would decide it).
* :func:`introduced_phrases`: phrases of three words or more that a variant repeats across its
  replies and the base model does not: counted per reply, used in at least two probes (topic words
  drop out), a share at least three times the base's, and a one-sided Fisher exact test.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from threadsmith.checks.slop import WEIGHTS, phrase_label, stock_phrase_hits
from threadsmith.checks.text import COMMON_WORDS, ngrams, words
from threadsmith.model import Conversation, Message
from threadsmith.probe.scores.outcome import Outcome, ReplyContext


def slop_rate(reply: str, context: ReplyContext | None = None, max: float = 10.0) -> Outcome:
    """Stock phrases per 1,000 words of the reply; passes at or below ``max``."""
    total, hits, _ = stock_phrase_hits(Conversation("reply", (Message("assistant", reply),)))
    if not total:
        return Outcome(0.0, True, "")
    rate = 1000 * sum(WEIGHTS[p] for p in hits) / total
    labels = ", ".join(sorted({phrase_label(p) for p in hits}))
    return Outcome(round(rate, 2), rate <= max, f"{rate:.0f} per 1,000 words: {labels}" if hits else "")


def distinct_n(replies: Sequence[str], n: int = 2, budget: int = 50) -> float:
    """Distinct n-grams / all n-grams over the replies, each cut to its first ``budget`` words."""
    grams: list[tuple[str, ...]] = []
    for reply in replies:
        grams.extend(ngrams(words(reply)[:budget], n))
    return len(set(grams)) / len(grams) if grams else 0.0


@dataclass(frozen=True, slots=True)
class Introduced:
    """A phrase the variant uses more than the base: in how many of its replies (``count``) against
    the base's (``base_count``), in how many probes, and the one-sided Fisher exact p-value."""

    phrase: str
    p: float
    count: int
    base_count: int
    probes: int


def _grams(text: str, sizes: Sequence[int]) -> set[tuple[str, ...]]:
    tokens = words(text)
    found = set()
    for n in sizes:
        for gram in ngrams(tokens, n):
            if not all(w in COMMON_WORDS for w in gram):
                found.add(gram)
    return found


def fisher_greater(k: int, n: int, k_other: int, n_other: int) -> float:
    """One-sided Fisher exact p-value that ``k`` of ``n`` is a larger share than ``k_other`` of ``n_other``."""
    total, hits = n + n_other, k + k_other
    denominator = math.comb(total, n)
    return sum(math.comb(hits, x) * math.comb(total - hits, n - x) for x in range(k, min(hits, n) + 1)) / denominator


def introduced_phrases(variant: Sequence[tuple[str, str]], base: Sequence[tuple[str, str]],
                       sizes: Sequence[int] = (3, 4), min_probes: int = 2, min_replies: int = 3,
                       min_ratio: float = 3.0, max_p: float = 0.1, top: int = 15) -> list[Introduced]:
    """Phrases the variant repeats and the base does not; both are (probe id, reply) pairs.

    A phrase counts once per reply. It is introduced when it is three words or more (two-word
    phrases are mostly topic words: "the lamp"), the variant uses it in at least ``min_replies``
    replies to at least ``min_probes`` probes, its share of the variant's replies is at least
    ``min_ratio`` times the base's (half a reply added to the base's count, so a base that never
    uses it still needs a real share), and a one-sided Fisher exact test puts the difference at
    p <= ``max_p``. Probe sets are small, so the test is one of several gates, not the only one.
    """
    mine: Counter[tuple[str, ...]] = Counter()
    theirs: Counter[tuple[str, ...]] = Counter()
    probes: dict[tuple[str, ...], set[str]] = {}
    for probe_id, reply in variant:
        for gram in _grams(reply, sizes):
            mine[gram] += 1
            probes.setdefault(gram, set()).add(probe_id)
    for _, reply in base:
        theirs.update(_grams(reply, sizes))
    n_mine, n_theirs = len(variant), len(base)
    found = []
    for gram, count in mine.items():
        if count < min_replies or len(probes[gram]) < min_probes:
            continue
        other = theirs[gram]
        if n_theirs and count / n_mine < min_ratio * (other + 0.5) / n_theirs:
            continue
        p = fisher_greater(count, n_mine, other, n_theirs) if n_theirs else 0.0
        if p <= max_p:
            found.append(Introduced(" ".join(gram), round(p, 4), count, other, len(probes[gram])))
    found.sort(key=lambda i: (i.p, -i.count, i.phrase))
    return _without_contained(found)[:top]


def _without_contained(found: list[Introduced]) -> list[Introduced]:
    """Drop a phrase inside a longer kept one with the same count ("deep breath" in "a deep breath")."""
    kept: list[Introduced] = []
    for item in sorted(found, key=lambda i: -len(i.phrase)):
        if not any(item.phrase in k.phrase and item.count <= k.count for k in kept):
            kept.append(item)
    kept.sort(key=lambda i: (i.p, -i.count, i.phrase))
    return kept
