"""Phrase overuse: stock phrases, repetitive wording, and phrases a fine-tune introduced.

* :func:`slop_rate`: stock phrases per 1,000 words, with SN009's phrase list and matcher
  (:func:`threadsmith.checks.slop.stock_phrase_hits`; a single word weighs 0.5, a phrase 1).
* :func:`distinct_n`: unique n-grams over all n-grams of a set of replies, each cut to the same
  word budget first (distinct-n falls with length, so unequal lengths would decide it).
* :func:`introduced_phrases`: n-grams over-represented in a variant's replies against the base
  model's replies to the same probes: log-odds ratio with an informative Dirichlet prior
  (Monroe et al. 2008), counted only when used in at least two probes (topic words drop out).
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


#: The informative prior: each phrase's pooled count (both sides) times this, as pseudo-counts.
_PRIOR_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Introduced:
    """A phrase the variant uses more than the base: z-score, counts, and in how many probes."""

    phrase: str
    z: float
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


def introduced_phrases(variant: Sequence[tuple[str, str]], base: Sequence[tuple[str, str]],
                       sizes: Sequence[int] = (2, 3, 4), min_probes: int = 2, top: int = 15,
                       min_z: float = 1.96) -> list[Introduced]:
    """Phrases over-represented in ``variant`` against ``base``; both are (probe id, reply) pairs.

    Counts are per reply (a phrase repeated in one reply counts once), with the pooled counts as
    the prior, so rare phrases need more evidence.
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
    n_mine, n_theirs = sum(mine.values()), sum(theirs.values())
    prior_total = _PRIOR_SHARE * (n_mine + n_theirs)
    found = []
    for gram, count in mine.items():
        if len(probes[gram]) < min_probes:
            continue
        other = theirs[gram]
        alpha = _PRIOR_SHARE * (count + other)
        delta = (math.log((count + alpha) / (n_mine + prior_total - count - alpha))
                 - math.log((other + alpha) / (n_theirs + prior_total - other - alpha)))
        z = delta / math.sqrt(1 / (count + alpha) + 1 / (other + alpha))
        if z >= min_z:
            found.append(Introduced(" ".join(gram), round(z, 2), count, other, len(probes[gram])))
    found.sort(key=lambda i: (-i.z, i.phrase))
    return _without_contained(found)[:top]


def _without_contained(found: list[Introduced]) -> list[Introduced]:
    """Drop a phrase inside a longer kept one with the same count ("deep breath" in "a deep breath")."""
    kept: list[Introduced] = []
    for item in sorted(found, key=lambda i: -len(i.phrase)):
        if not any(item.phrase in k.phrase and item.count <= k.count for k in kept):
            kept.append(item)
    kept.sort(key=lambda i: (-i.z, i.phrase))
    return kept
