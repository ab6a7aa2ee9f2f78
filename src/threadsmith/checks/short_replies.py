"""Weak-turn check WT003: assistant replies far shorter than the dataset's typical reply in the same context.

Dataset-wide: each reply's length is compared with the replies to similar contexts (same length
class of user turn, same system prompt bucket), with robust statistics over log-scale histograms.
The family's per-conversation checks are in :mod:`threadsmith.checks.weak_turns`.
"""

from __future__ import annotations

import math
import zlib
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any

from threadsmith.checks.base import DatasetCheck, DatasetHit, EntryRef
from threadsmith.checks.histograms import BIN_TABLE, LogHistogram, bin_value, log_bin
from threadsmith.checks.length import exchanges
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.checks.text import view
from threadsmith.checks.weak_turn_text import _SHORT_TRIGGERS, _asks_for_short, minimal_reply
from threadsmith.model import Conversation, Family, Severity


_MAX_WORDS = (1 << 32) - 1
#: Histogram key of all replies to a user turn (context keys are system bucket x 8 + user length class 0-5).
_ALL = 7


def _context_keys(fine: int) -> tuple[int, ...]:
    """The histograms a reply counts in, narrowest first: its context, its user length class, and
    all replies to a user turn. Openers (no user turn before them) are only compared with openers."""
    coarse = fine % 8
    if coarse == 0:
        return (fine, 0) if fine else (0,)
    return (fine, coarse, _ALL) if fine != coarse else (coarse, _ALL)


def _context_name(key: int) -> str:
    if key == _ALL:
        return "replies in this dataset"
    what = "opening messages" if key % 8 == 0 else "replies to similar user turns"
    return what + (" with this system prompt" if key >= 8 else "")


def _user_bucket(words: int) -> int:
    """Length class of the user turn: 0 (none), 1 (1-3 words), 2 (4-15), 3 (16-63), 4 (64-255), 5 (256+)."""
    return min(5, (words.bit_length() + 1) // 2)


_USER_BUCKETS = [_user_bucket(n) for n in range(256)]


@register
class ShortReply(DatasetCheck):
    """An assistant reply is far shorter than the dataset's typical reply in the same context.

    What it does:
        Groups assistant turns by context: the length class of the user turn they answer
        (none, 1-3, 4-15, 16-63, 64-255, 256+ words) and a bucket of the system prompt (so each
        character card or task prompt is compared with itself when it has enough replies),
        falling back to the length class alone, then to all replies to a user turn, where a
        group has fewer than ``min_support`` replies (an opening message is only compared with
        other openings). Against the group's median length and spread (median absolute
        deviation, on a log scale) it reports replies that are at most ``max_fraction`` of the
        median, more than ``mad_factor`` deviations below it, and at most ``low_fraction`` of
        the group's 10th percentile (short even next to its short replies).
        Generic acknowledgements are WT001's and are left out, and so are replies under
        ``short_request_words`` words to user turns that ask for something short by nature (a
        haiku, a slogan, a riddle's answer, "in one sentence", "yes or no" ...).
    Why it matters:
        Replies much shorter than their peers are usually truncated, lazy or placeholder
        targets; they teach the model to stop early exactly where the data says it should not.
    Example:
        In a dataset whose replies to 20-word user turns have a median of 140 words:
        assistant: "The tower is old." (4 words)
    Fix:
        None automatic: complete or rewrite the reply, or drop the example.
    """

    code = "WT003"
    name = "short-reply"
    family = Family.WEAK_TURN
    severity = Severity.WARNING
    observe_cost = 5.0  # measured on 100k entries (decoding included): a light check costs about 1
    defaults = {"min_support": 20, "max_fraction": 0.25, "mad_factor": 3.0, "low_fraction": 0.5,
                "system_buckets": 256, "minimal_max_words": 6, "short_request_words": 100}

    def __init__(self, options: dict[str, Any] | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._buckets = int(self.options["system_buckets"])
        self._minimal_words = int(self.options["minimal_max_words"])
        self._short_request = int(self.options["short_request_words"])
        self._histograms: dict[int, LogHistogram] = {}
        #: (ref, message index, context key, words) of the replies short enough to be reported.
        self._candidates: list[tuple[EntryRef, int, int, int]] = []
        #: Histogram keys (context << 7 | length bin) not counted yet: counted in bulk by _flush().
        self._pending: list[int] = []
        self._counted = 0
        self._flush_at = 256
        #: Per context, the most words a reply may have to be kept as a candidate (see _flush).
        self._limits: dict[int, float] = {}
        self._max_limit = math.inf
        #: Per context, the histograms a reply of it counts in (see _context_keys).
        self._targets: dict[int, list[LogHistogram]] = {}

    def summarize(self, conversation: Conversation) -> tuple[tuple[int, ...], tuple[int, ...], int] | None:
        """Per counted reply, its histogram key (context << 7 | length bin) and index << 32 | words;
        and the fewest words of a reply."""
        system, _, _, _, pairs = exchanges(conversation)
        bucket = (zlib.crc32(system.encode("utf-8", "surrogatepass")) % self._buckets + 1) * 8 if system else 0
        keys, packed, fewest = [], [], _MAX_WORDS
        minimal, short = self._minimal_words, self._short_request
        views = view(conversation)
        for i, words, user_words in pairs:
            if not words or (words <= minimal and minimal_reply(views[i], minimal)):
                continue
            if words < short and user_words > 0 and not _SHORT_TRIGGERS.isdisjoint(views[i - 1][3]) \
                    and _asks_for_short(views[i - 1]):
                continue
            if user_words < 0:
                user_words = 0
            if words > 4095:
                words = min(words, _MAX_WORDS)
                keys.append((bucket + _user_bucket(user_words)) << 7 | min(95, log_bin(words)))
            else:  # the usual sizes: two table lookups
                user_bucket = _USER_BUCKETS[user_words] if user_words < 256 else 5
                keys.append((bucket + user_bucket) << 7 | BIN_TABLE[words])
            packed.append(i << 32 | words)
            if words < fewest:
                fewest = words
        return (tuple(keys), tuple(packed), fewest) if keys else None

    def observe(self, summary: tuple[tuple[int, ...], tuple[int, ...], int], ref: EntryRef) -> None:
        self.observe_many((summary,), (ref,))

    def observe_many(self, summaries: Sequence[tuple[tuple[int, ...], tuple[int, ...], int] | None],
                     refs: Sequence[EntryRef]) -> None:
        """Count each reply's context and length; keep a reply while it could turn out short
        against the final statistics (its context's limit is refreshed at every count)."""
        pending, candidates = self._pending, self._candidates
        for summary, ref in zip(summaries, refs):
            if summary is None:
                continue
            keys, packed, fewest = summary
            pending += keys
            if len(pending) > self._flush_at:
                self._flush()
                pending = self._pending
            if fewest <= self._max_limit:
                limits = self._limits
                for key, p in zip(keys, packed):
                    if p & _MAX_WORDS <= limits.get(key >> 7, math.inf):
                        candidates.append((ref, p >> 32, key >> 7, p & _MAX_WORDS))

    def _flush(self) -> None:
        """Count the pending replies, then refresh each context's candidate limit: every reply while
        its widest histogram has fewer than 200 replies, else those with at most 0.4 x the median
        of a histogram of 32 replies or more (the final test asks for at most ``max_fraction``)."""
        targets, histograms = self._targets, self._histograms
        for key, n in Counter(self._pending).items():
            found = targets.get(key >> 7)
            if found is None:  # a new context: the histograms it counts in, made where missing
                found = targets[key >> 7] = [histograms.get(c) or histograms.setdefault(c, LogHistogram())
                                             for c in _context_keys(key >> 7)]
                self._limits[key >> 7] = math.inf
            bin_ = key & 127
            for hist in found:
                hist.counts[bin_] += n
                hist.count += n
        self._counted += len(self._pending)
        self._pending = []
        self._flush_at = max(256, self._counted >> 4)
        medians = {key: bin_value(_median_bin(h.counts, h.count)) for key, h in self._histograms.items()
                   if h.count >= 32}
        for fine, found in targets.items():
            contexts = _context_keys(fine)
            if found[-1].count < 200:
                self._limits[fine] = math.inf
            else:
                self._limits[fine] = max((medians[k] / 2.5 for k in contexts if k in medians), default=-1.0)
        self._max_limit = max(self._limits.values(), default=math.inf)

    def finish(self) -> Iterator[DatasetHit]:
        self._flush()
        support, fraction = int(self.options["min_support"]), float(self.options["max_fraction"])
        factor, low_fraction = float(self.options["mad_factor"]), float(self.options["low_fraction"])
        #: Per context: (histogram key, histogram, median, the bin a reply must be under, the words
        #: it may have at most), or None when no histogram has enough support.
        judged: dict[int, tuple[int, LogHistogram, float, float, float] | None] = {}
        lows: dict[tuple[int, int], float] = {}  # per (histogram key, bin): the low-quantile limit
        for ref, index, fine, words in self._candidates:
            found = judged.get(fine, False)
            if found is False:
                found = judged[fine] = self._judged(fine, support, fraction, factor)
            if found is None:
                continue
            key, hist, median, top, most = found
            if words > most:
                continue
            bin_ = log_bin(words)
            if bin_ >= top:
                continue
            low = lows.get((key, bin_))
            if low is None:
                low = lows[(key, bin_)] = low_fraction * hist.quantile_value(0.1, leave_out=bin_)
            if words > low:
                continue
            context = _context_name(key)
            yield DatasetHit(ref, f"assistant message {index} has {words} word{'s' * (words != 1)}, far shorter "
                                  f"than the typical {median:.0f} words of {context} ({hist.count} replies)",
                             index, fixable=False)

    def _judged(self, fine: int, support: int, fraction: float, factor: float
                ) -> tuple[int, LogHistogram, float, float, float] | None:
        """The statistics a candidate of context ``fine`` is judged against (see finish)."""
        key = next((k for k in _context_keys(fine) if self._histograms[k].count >= support), None)
        if key is None:
            return None
        hist = self._histograms[key]
        median = hist.median_value()
        return key, hist, median, hist.median_bin() - factor * hist.spread(), fraction * median


def _median_bin(counts: list[int], total: int) -> float:
    """``quantile_bin(counts, total)`` (the median) for ``total > 0``, found by bisection."""
    cumulative = list(accumulate(counts))
    b = bisect_left(cumulative, total * 0.5)
    n = counts[b]
    return b + (total * 0.5 - (cumulative[b] - n)) / n
