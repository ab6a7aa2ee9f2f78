"""Repetition check RP004: phrases (word n-grams) used in far more replies than any phrase should be.

Streaming in bounded memory, in batches of conversations:

* each conversation's summary is the 64-bit hashes of its reply 3-grams (in order) and its reply
  words; a batch combines neighbouring 3-gram hashes into ``words``-gram hashes with numpy;
* occurrences are counted in a fixed table of 2**22 hashed buckets (16 MB);
* a phrase whose bucket holds at least ``min_share / 4`` of the conversations seen so far is
  *tracked* from then on: its text is taken from the batch, and the entries that carry it are
  kept (at most ``max_listed`` a phrase). A phrase that grew common only late in the stream may
  miss a few of its earliest carriers: fewer than a quarter of its count.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

import numpy as np
from rensa import RMinHash

from threadsmith.checks.base import DatasetCheck, DatasetHit, EntryRef
from threadsmith.checks.near_duplicates import reply_words, shingles
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.model import Conversation, Family, Severity

_BITS = 22
_BATCH = 8192
_MIX = np.uint64(0x9E3779B97F4A7C15)


class _Tracker:
    """Bucketed phrase counts, plus the text and carriers of the phrases that became common."""

    def __init__(self, n: int, track_share: float, max_listed: int) -> None:
        self.n = n
        self.track_share = track_share
        self.max_listed = max_listed
        self.counts = np.zeros(1 << _BITS, dtype=np.uint32)
        self.seen = 0
        self.texts: dict[int, str] = {}
        self.carriers: dict[int, list[int]] = {}
        self.df: dict[int, int] = {}

    def add_batch(self, hashes: list[bytes], texts: list[str], first_entry: int) -> None:
        """Count one batch: per entry, its 3-gram hashes and its reply words."""
        self.seen += len(hashes)
        grams, entries, positions = self._grams(hashes)
        if not len(grams):
            return
        buckets = (grams >> np.uint64(64 - _BITS)).astype(np.int64)
        self.counts += np.bincount(buckets, minlength=1 << _BITS).astype(np.uint32)
        floor = max(2.0, self.track_share * self.seen)
        hot = np.flatnonzero(self.counts[buckets] >= floor)
        if not len(hot):
            return
        pairs = np.unique(np.stack([grams[hot], entries[hot].astype(np.uint64)]), axis=1)
        starts = np.flatnonzero(np.r_[True, pairs[0, 1:] != pairs[0, :-1]])
        ends = np.r_[starts[1:], pairs.shape[1]]
        for gram, lo, hi in zip(pairs[0, starts].tolist(), starts.tolist(), ends.tolist()):
            self.df[gram] = self.df.get(gram, 0) + hi - lo
            listed = self.carriers.setdefault(gram, [])
            room = self.max_listed - len(listed)
            if room > 0:
                listed += (pairs[1, lo:min(hi, lo + room)].astype(np.int64) + first_entry).tolist()
        for i in hot.tolist():
            gram = int(grams[i])
            if gram not in self.texts:
                words = texts[int(entries[i])].split()
                self.texts[gram] = " ".join(words[positions[i]:positions[i] + self.n])

    def _grams(self, hashes: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``words``-gram hashes with the batch entry and word position of each."""
        lengths = np.array([len(h) // 8 for h in hashes])
        flat = np.frombuffer(b"".join(hashes), dtype=np.uint64)
        entries = np.repeat(np.arange(len(hashes)), lengths)
        positions = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        extra = self.n - 3
        size = len(flat) - extra
        if size <= 0:
            return flat[:0], entries[:0], positions[:0]
        grams = flat[:size].copy()
        for j in range(1, extra + 1):
            grams = grams * _MIX ^ flat[j:j + size]
        # Runs that open a conversation's replies are left to overused-opener (RP003).
        whole = (entries[:size] == entries[extra:]) & (positions[:size] > 0)
        return grams[whole], entries[:size][whole], positions[:size][whole]


@register
class OverusedPhrase(DatasetCheck):
    """A phrase recurs in a large share of the assistant replies.

    What it does:
        Counts every run of ``words`` consecutive words (default 4) in the replies of each
        conversation (case and punctuation ignored) and reports the phrases found in at least
        ``min_share`` of the conversations (default 5%, and at least ``min_count``, default 20):
        once for the dataset with the share, and on each conversation that uses them (at
        most ``max_listed`` a phrase, default 1000). Overlapping runs of about the same
        frequency are reported as one longer phrase; at most ``max_phrases`` (default 10).
        The first words of a conversation's replies are left to overused-opener (RP003).
    Why it matters:
        Catchphrases are what a fine-tuned model picks up first: a sign-off in a fifth of the
        replies ends up in nearly all of the model's answers.
    Example:
        "let me know if you have any other questions" closes 2,300 of 10,000 replies (23%).
    Fix:
        None automatic: rewrite or remove the phrase in most of the listed replies, so that
        it appears only where it fits.
    """

    code = "RP004"
    name = "overused-phrase"
    family = Family.REPETITION
    severity = Severity.INFO
    defaults = {"words": 4, "min_share": 0.05, "min_count": 20, "max_phrases": 10, "max_listed": 1000}

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        n = min(8, max(3, int(self.options["words"])))
        self._tracker = _Tracker(n, float(self.options["min_share"]) / 4, int(self.options["max_listed"]))
        self._pending: list[tuple[bytes, str]] = []
        self._refs: list[EntryRef] = []

    def summarize(self, conversation: Conversation) -> tuple[bytes, str] | None:
        words = reply_words(conversation)
        if len(words) < self._tracker.n:
            return None
        hashes = RMinHash.hash_token_sets([shingles(conversation)])[0]
        return array("Q", hashes).tobytes(), " ".join(words)

    def observe(self, summary: tuple[bytes, str], ref: EntryRef) -> None:
        self._pending.append(summary)
        self._refs.append(ref)
        if len(self._pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            hashes, texts = zip(*self._pending)
            self._tracker.add_batch(list(hashes), list(texts), len(self._refs) - len(self._pending))
            self._pending = []

    def finish(self) -> Iterator[DatasetHit]:
        self._flush()
        total = len(self._refs)
        floor = max(int(self.options["min_count"]), self.options["min_share"] * total)
        tracker = self._tracker
        common = sorted((g for g, c in tracker.df.items() if c >= floor), key=lambda g: (-tracker.df[g], g))
        for phrase, grams in _merge(common, tracker)[: int(self.options["max_phrases"])]:
            df = max(tracker.df[g] for g in grams)
            entries = sorted({e for g in grams for e in tracker.carriers[g]})[: int(self.options["max_listed"])]
            share = f"{df:,} of {total:,} conversations ({df / total:.0%})"
            yield DatasetHit(None, f"the phrase '{phrase}' recurs in the replies of {share}")
            for entry in entries:
                yield DatasetHit(self._refs[entry], f"the replies use the overused phrase '{phrase}' (in {share})")


def _merge(common: list[int], tracker: _Tracker) -> list[tuple[str, list[int]]]:
    """Chains of overlapping n-grams of similar frequency, as ``(phrase, grams)``, most frequent first."""
    by_text = {tracker.texts[g]: g for g in common if g in tracker.texts}
    heads = {" ".join(t.split()[:-1]): t for t in by_text}
    tails = {" ".join(t.split()[1:]): t for t in by_text}
    used: set[str] = set()
    out = []
    for gram in common:
        text = tracker.texts.get(gram)
        if text is None or text in used:
            continue
        used.add(text)
        words, grams = text.split(), [gram]
        for step, table in ((1, heads), (-1, tails)):
            edge = text
            while True:
                key = " ".join(edge.split()[1:] if step == 1 else edge.split()[:-1])
                nxt = table.get(key)
                if nxt is None or nxt in used or tracker.df[by_text[nxt]] < 0.7 * tracker.df[gram]:
                    break
                used.add(nxt)
                grams.append(by_text[nxt])
                words = words + [nxt.split()[-1]] if step == 1 else [nxt.split()[0]] + words
                edge = nxt
        out.append((" ".join(words), grams))
    return out
