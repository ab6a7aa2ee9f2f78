"""Repetition check RP004: phrases (word n-grams) used in far more replies than any phrase should be.

Streaming in bounded memory, in batches of conversations:

* each conversation's summary is the 64-bit ``words``-gram hashes of its reply stream (features.py:
  the answering turns' words, each turn between a start and an end marker, capped), the folded
  text of those turns (the strings view() holds: nothing to build) and the stream's length. The
  summary is first *pending* (the stream's word hashes): settle() makes the n-gram hashes of a
  worker's chunk at once with numpy, so that the main process (and a re-audit from the workspace
  cache) only counts them. A batch splits a turn's text into words only where a phrase needs it;
* occurrences are counted in a fixed table of 2**20 hashed buckets (8 MB);
* a phrase whose bucket holds at least a quarter of the smallest reported share of the
  conversations seen so far is *tracked* from then on: its text is taken from the batch, and the
  entries that carry it are kept (at most ``max_listed`` a phrase). A phrase that grew common only
  late in the stream may miss a few of its earliest carriers: fewer than a quarter of its count.

A workspace caches the summaries without the turn texts (they were ~40% of the bytes a re-audit
reads): a phrase first seen in such a summary keeps where it is (entry and token), and finish()
reads the few entries it needs back (:attr:`DatasetCheck.recall`) for the reported phrases' text.

The markers make "opens a reply with" and "closes a reply with" part of a phrase, so a short
catchphrase always said at the same place is as specific as a longer one said anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from threadsmith.checks.base import DatasetCheck, DatasetHit, EntryRef, present
from threadsmith.checks.features import END, START, TURN_HEAD, TURN_TAIL, Features, features
from threadsmith.checks.near_duplicates import gram_hashes, prefix_values
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.checks.text import folded_words, view
from threadsmith.model import Conversation, Family, Severity

_BITS = 20
_BATCH = 8192
#: Tokens per block when a batch's n-gram hashes are computed (a few arrays of it fit in the CPU cache).
_BLOCK = 1 << 15
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(64 - _BITS)
_MARKERS = (START, END)
#: A settled summary: the entry's n-gram hashes, its answering turns' folded text (None as a
#: workspace caches it), its stream's tokens.
Settled = tuple[bytes, tuple[str, ...] | None, int]


class _Tracker:
    """Bucketed phrase counts, plus the text and carriers of the phrases that became common."""

    def __init__(self, n: int, track_share: float, max_listed: int, least: int = 8) -> None:
        self.n = n
        self.least = least
        self.track_share = track_share
        self.max_listed = max_listed
        self.counts = np.zeros(1 << _BITS, dtype=np.int64)
        self.seen = 0
        self.texts: dict[int, str] = {}
        #: Where a tracked phrase without text is: (entry, token), read back at the end.
        self.spots: dict[int, tuple[int, int]] = {}
        self.carriers: dict[int, list[int]] = {}
        self.df: dict[int, int] = {}

    def add_batch(self, grams: list[bytes], texts: list[tuple[str, ...] | None], tokens: list[int],
                  first_entry: int) -> None:
        """Count one batch: per entry, its settled summary (see :func:`settle`) in three columns."""
        self.seen += len(grams)
        size = sum(tokens) - self.n + 1  # the n-grams of the batch's stream, across entries too
        if size <= 0:
            return
        flat = np.frombuffer(b"".join(grams), dtype="<u8")
        ends = np.cumsum(np.fromiter(map(len, grams), dtype=np.int64, count=len(grams)) >> 3)
        buckets = np.empty(len(flat), dtype=np.intp)
        for lo in range(0, len(flat), _BLOCK):
            np.right_shift(flat[lo:lo + _BLOCK], _SHIFT, out=buckets[lo:lo + _BLOCK], casting="unsafe")
        self.counts += np.bincount(buckets, minlength=1 << _BITS)
        # Those that straddle two entries count as 0 (as they always did): in bucket 0, never tracked.
        self.counts[0] += size - len(flat)
        floor = max(2.0, self.least, self.track_share * self.seen)
        # A table of the hot buckets (1 MB) is cheaper to look every token up in than the counts (8 MB).
        hot = np.flatnonzero((self.counts >= floor)[buckets])
        hot = hot[flat[hot] != 0]
        if not len(hot):
            return
        entries = np.searchsorted(ends, hot, side="right")
        starts = np.r_[0, ends[:-1]]
        hot_grams = flat[hot]
        order = np.lexsort((entries, hot_grams))
        hot, hot_grams, entries = hot[order], hot_grams[order], entries[order]
        fresh = np.r_[True, (hot_grams[1:] != hot_grams[:-1]) | (entries[1:] != entries[:-1])]
        hot, hot_grams, entries = hot[fresh], hot_grams[fresh], entries[fresh]
        runs = np.flatnonzero(np.r_[True, hot_grams[1:] != hot_grams[:-1]])
        stops = np.r_[runs[1:], len(hot_grams)]
        split: dict[int, list[str]] = {}
        for gram, lo, hi in zip(hot_grams[runs].tolist(), runs.tolist(), stops.tolist()):
            self.df[gram] = self.df.get(gram, 0) + hi - lo
            listed = self.carriers.setdefault(gram, [])
            room = self.max_listed - len(listed)
            if room > 0:
                listed += (entries[lo:min(hi, lo + room)] + first_entry).tolist()
            if gram not in self.texts and gram not in self.spots:
                entry = int(entries[lo])
                at = int(hot[lo] - starts[entry])
                if texts[entry] is None:
                    self.spots[gram] = (entry + first_entry, at)
                    continue
                words = split.get(entry)
                if words is None:
                    words = split[entry] = stream_tokens(texts[entry], tokens[entry])  # type: ignore[arg-type]
                self.texts[gram] = " ".join(words[at:at + self.n])


def gram_stream(hashes: list[bytes], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``words``-gram hash that starts at each token of the batch (0 where the gram would
    run past its entry's last token), and the end of each entry's tokens.

    Computed a block of tokens at a time, in place: the arrays of a block stay in the CPU
    cache, where whole-batch temporaries (tens of megabytes) would not.
    """
    words = np.frombuffer(b"".join(hashes), dtype="<u8")
    ends = np.cumsum(np.fromiter(map(len, hashes), dtype=np.int64, count=len(hashes)) >> 3)
    size = len(words) - n + 1
    if size <= 0:
        return words[:0], ends
    grams = np.empty(size, dtype=np.uint64)
    scratch = np.empty(_BLOCK + n, dtype=np.uint64)
    for lo in range(0, size, _BLOCK):
        block = grams[lo:lo + _BLOCK]
        count = len(block)
        trigrams = gram_hashes(words[lo:lo + count + n - 1], scratch[:count + n - 3])
        if n == 3:
            block[:] = trigrams[:count]
            continue
        np.multiply(trigrams[:count], _MIX, out=block)
        block ^= trigrams[1:1 + count]
        for j in range(2, n - 2):
            block *= _MIX
            block ^= trigrams[j:j + count]
    for j in range(1, n):
        straddle = ends - j
        grams[straddle[(straddle >= 0) & (straddle < size)]] = 0
    return grams, ends


def settle(summaries: list, n: int) -> list:
    """Every pending summary (``[stream word hashes, turn texts]``) settled into ``(n-gram hashes,
    turn texts, tokens)``: the hash of each ``n``-gram within the entry's stream, made for a whole
    batch (a worker's chunk) at once, where the main process made them for every audit."""
    todo = [s for s in summaries if s.__class__ is list]
    if not todo:
        return summaries
    if len(todo) == 1:  # one conversation (the runner settling as it goes): fewer numpy calls
        words = todo[0][0]
        return [(_entry_grams(np.frombuffer(words, dtype="<u8"), n), s[1], len(words) >> 3)
                if s.__class__ is list else s for s in summaries]
    hashes = [s[0] for s in todo]
    grams, ends = gram_stream(hashes, n)
    data = grams.tobytes()
    settled = {}
    for s, end, size in zip(todo, ends.tolist(), map(len, hashes)):
        tokens = size >> 3
        start = 8 * (end - tokens)
        settled[id(s)] = (data[start:start + 8 * max(0, tokens - n + 1)], s[1], tokens)
    return [settled[id(s)] if s.__class__ is list else s for s in summaries]


def _entry_grams(words: np.ndarray, n: int) -> bytes:
    """:func:`gram_stream` of one entry's word hashes, as bytes (no entry to straddle into)."""
    size = len(words) - n + 1
    if size <= 0:
        return b""
    trigrams = gram_hashes(words)
    if n == 3:
        return trigrams.tobytes()
    grams = trigrams[:size] * _MIX
    grams ^= trigrams[1:1 + size]
    for j in range(2, n - 2):
        grams *= _MIX
        grams ^= trigrams[j:j + size]
    return grams.tobytes()


def stream_tokens(texts: tuple[str, ...], length: int) -> list[str]:
    """The first ``length`` tokens of a reply stream (features.py), rebuilt from its turns' folded
    text: each turn's words (head and tail of a long one) between a start and an end marker."""
    tokens: list[str] = []
    for text in texts:
        words = folded_words(text)
        if len(words) > TURN_HEAD + TURN_TAIL:
            words = words[:TURN_HEAD] + words[-TURN_TAIL:]
        tokens.append(START)
        tokens += words
        tokens.append(END)
        if len(tokens) >= length:
            break
    return tokens[:length]


def turn_texts(f: Features) -> tuple[str, ...]:
    """The folded text of the answering turns the stream prefix holds (cached with the features)."""
    found = f.cache.get("turn_texts")
    if found is None:
        views, bounds, prefix = view(f.conversation), f.bounds, f.prefix
        found = f.cache["turn_texts"] = tuple([views[i][2] for k, (i, _) in enumerate(f.turns) if bounds[k] < prefix])
    return found


def _size(phrase: str) -> tuple[int, int]:
    """``(words, markers)`` of a phrase's tokens."""
    tokens = phrase.split()
    markers = sum(1 for t in tokens if t in _MARKERS)
    return len(tokens) - markers, markers


def _display(phrase: str) -> str:
    return " ".join(t for t in phrase.split() if t not in _MARKERS)


@register
class OverusedPhrase(DatasetCheck):
    """A phrase recurs in a large share of the assistant replies.

    What it does:
        Counts every run of ``words`` consecutive words (default 4) in the replies of each
        conversation (case and punctuation ignored; where a reply starts or ends counts as a
        word) and merges overlapping runs of about the same frequency into longer phrases. A
        phrase is reported when it is in at least ``min_share`` of the conversations (default
        5%), or, when it is at least ``long_words`` words long (default 5, a reply's start or end
        counting as one), in at least ``long_share`` of them (default 2.5%); always in at least
        ``min_count`` conversations (default 20). It is reported once for the dataset with the
        share, and on each conversation that uses it (at most ``max_listed`` a phrase, default
        1000); at most ``max_phrases`` phrases (default 10).
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
    observe_cost = 12.0  # measured on 100k entries (decoding included): a light check costs about 1
    recalls = True  # a workspace caches its summaries without the turn texts (see the module's doc)
    defaults = {"words": 4, "min_share": 0.05, "long_words": 5, "long_share": 0.025, "min_count": 20,
                "max_phrases": 10, "max_listed": 1000}

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        n = min(8, max(3, int(self.options["words"])))
        lowest = min(float(self.options["min_share"]), float(self.options["long_share"]))
        self._tracker = _Tracker(n, lowest / 4, int(self.options["max_listed"]), int(self.options["min_count"]) // 4)
        self._pending_grams: list[bytes] = []
        self._pending_texts: list[tuple[str, ...]] = []
        self._pending_tokens: list[int] = []
        self._refs: list[EntryRef] = []

    def summarize(self, conversation: Conversation) -> list | None:
        f = features(conversation)
        if f.reply_words < self._tracker.n - 2:
            return None
        return [prefix_values(f), turn_texts(f)]  # pending: settle() makes its n-gram hashes

    def settle(self, summaries: list) -> list:
        return settle(summaries, self._tracker.n)

    def stored(self, summary: Settled | list) -> Settled:
        grams, _, tokens = settle([summary], self._tracker.n)[0]
        return grams, None, tokens

    def observe(self, summary: Settled | list, ref: EntryRef) -> None:
        self.observe_many([summary], [ref])

    def observe_many(self, summaries: Sequence[Settled | list | None], refs: Sequence[EntryRef]) -> None:
        summaries = settle(list(summaries), self._tracker.n)
        summaries, refs = present(summaries, refs)
        if summaries:
            grams, texts, tokens = zip(*summaries)
            self._pending_grams += grams
            self._pending_texts += texts
            self._pending_tokens += tokens
            self._refs += refs
        if len(self._pending_grams) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending_grams:
            first = len(self._refs) - len(self._pending_grams)
            self._tracker.add_batch(self._pending_grams, self._pending_texts, self._pending_tokens, first)
            self._pending_grams, self._pending_texts, self._pending_tokens = [], [], []

    def finish(self) -> Iterator[DatasetHit]:
        self._flush()
        total = len(self._refs)
        least = int(self.options["min_count"])
        floor = max(least, self.options["min_share"] * total)
        long_floor = max(least, self.options["long_share"] * total)
        tracker = self._tracker
        common = sorted((g for g, c in tracker.df.items() if c >= min(floor, long_floor)),
                        key=lambda g: (-tracker.df[g], g))
        self._read_back([g for g in common if g in tracker.spots])
        reported = 0
        for phrase, grams in _merge(common, tracker):
            df = max(tracker.df[g] for g in grams)
            words, markers = _size(phrase)
            plain = words >= tracker.n and df >= floor
            if not plain and not (words >= 3 and words + markers >= self.options["long_words"] and df >= long_floor):
                continue
            entries = sorted({e for g in grams for e in tracker.carriers[g]})[: int(self.options["max_listed"])]
            share = f"{df:,} of {total:,} conversations ({df / total:.0%})"
            shown = _display(phrase)
            yield DatasetHit(None, f"the phrase '{shown}' recurs in the replies of {share}")
            for entry in entries:
                yield DatasetHit(self._refs[entry], f"the replies use the overused phrase '{shown}' (in {share})")
            reported += 1
            if reported >= int(self.options["max_phrases"]):
                break

    def _read_back(self, grams: list[int]) -> None:
        """Give the tracked phrases first seen in summaries without text (a workspace's cache)
        their text, from the entries they were seen in, read back (a few hundred at most)."""
        if not grams:
            return
        if self.recall is None:
            raise RuntimeError("RP004 was fed summaries without their text and no way to read the entries back")
        tracker, n = self._tracker, self._tracker.n
        entries = sorted({tracker.spots[g][0] for g in grams})
        streams = {}
        for entry, conversation in zip(entries, self.recall([self._refs[e] for e in entries])):
            f = features(conversation)
            streams[entry] = (_entry_grams(np.frombuffer(prefix_values(f), dtype="<u8"), n), turn_texts(f))
        for gram in grams:
            entry, at = tracker.spots.pop(gram)
            hashes, texts = streams[entry]
            if len(hashes) < 8 * (at + 1) or int.from_bytes(hashes[8 * at:8 * at + 8], "little") != gram:
                raise RuntimeError(f"RP004 read back entry {self._refs[entry].entry_index} and found other text "
                                   "than it observed there")
            tracker.texts[gram] = " ".join(stream_tokens(texts, at + n)[at:at + n])


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
