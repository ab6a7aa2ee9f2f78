"""Repetition checks (RP): over-represented openers, assistant turns reused verbatim.

Overused phrases (RP004) live in phrases.py; near-duplicate conversations (RP002) in
near_duplicates.py; exact duplicates (RP001) in duplicates.py.

Per-turn state is kept in typed arrays (a few bytes a turn), never as Python objects, so a
million conversations stay within tens of megabytes.
"""

from __future__ import annotations

import heapq
import struct
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from threadsmith.checks.base import DatasetCheck, DatasetHit, EntryRef, present
from threadsmith.checks.features import Features, features, shared_fingerprint
from threadsmith.checks.near_duplicates import listing, repeated_runs, run_stops, where
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.checks.text import view
from threadsmith.model import Conversation, Family, Severity

#: Items (openers, prompts) gathered before they are counted into a :class:`HeavyHitters` at once.
BATCH_ITEMS = 65_536


class HeavyHitters:
    """The most frequent items of a stream in bounded memory (Misra-Gries with ``size`` counters).

    Every item more frequent than ``total / (size + 1)`` is kept; counts are low by at most that.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.total = 0
        self.counts: dict[str, int] = {}

    def add(self, item: str) -> None:
        """Count one occurrence."""
        self.total += 1
        counts = self.counts
        if item in counts:
            counts[item] += 1
        elif len(counts) < self.size:
            counts[item] = 1
        else:
            self.counts = {k: v - 1 for k, v in counts.items() if v > 1}

    def add_counts(self, counts: Iterable[tuple[str, int]]) -> None:
        """Count many items at once (a mergeable Misra-Gries summary: the same error bound)."""
        merged = self.counts
        for item, count in counts:
            self.total += count
            merged[item] = merged.get(item, 0) + count
        self._cut(merged)

    def add_counter(self, counts: Counter) -> None:
        """:meth:`add_counts` of a Counter, which this takes over: the old counters are added into
        it (a few hundred) rather than its items into them (tens of thousands)."""
        self.total += counts.total()
        for item, count in self.counts.items():
            counts[item] += count
        self._cut(dict(counts))

    def _cut(self, merged: dict[str, int]) -> None:
        if len(merged) > self.size:
            cut = heapq.nlargest(self.size + 1, merged.values())[-1]
            merged = {k: v - cut for k, v in merged.items() if v > cut}
        self.counts = merged

    def top(self, k: int) -> list[tuple[str, int]]:
        """The ``k`` largest counters, largest first."""
        return sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


class BatchedCounts:
    """Items gathered in a list and counted into a :class:`HeavyHitters` a batch at a time
    (observe() then costs one list extend)."""

    def __init__(self, size: int) -> None:
        self.heavy = HeavyHitters(size)
        self.pending: list = []

    def extend(self, items: Iterable) -> None:
        """Take items; count them when enough are gathered."""
        self.pending.extend(items)
        if len(self.pending) >= BATCH_ITEMS:
            self.flush()

    def flush(self) -> None:
        """Count the gathered items."""
        if self.pending:
            self.heavy.add_counter(Counter(self.pending))
            self.pending = []

    def top(self, k: int) -> list[tuple[str, int]]:
        """The ``k`` largest counters (after counting what is gathered)."""
        self.flush()
        return self.heavy.top(k)

    @property
    def total(self) -> int:
        """Items counted so far (after counting what is gathered)."""
        self.flush()
        return self.heavy.total


#: A message's role, mixed into the CRC-32 of its digest as the starting value.
_ROLE_SEEDS = {"system": 1, "user": 2, "assistant": 3, "tool": 4}


def message_digests(f: Features) -> bytes:
    """8 bytes per message up to the last answering turn: a CRC-32 of its role and words (case,
    punctuation and spacing ignored) and an Adler-32 of its words, computed once per conversation
    for the reused turns (RP005), the system prompts (LV003) and the contradiction contexts (CT).

    An answering turn kept whole in the stream is hashed as its word hashes (features.py), any
    other message as its words joined by spaces: identical turns always take the same way.
    """
    found = f.cache.get("digests")
    if found is None:
        found = f.cache["digests"] = _digest_messages(f)
    return found[0]


def context_columns(f: Features) -> tuple[bytes, list[int]]:
    """Each answering turn's context key (8 bytes, joined) and context words, made in the same
    pass as :func:`message_digests`.

    The key is a CRC-32 and an Adler-32 of the digests of every earlier message (its role and its
    words); the words count the earlier messages but the system prompts.
    """
    found = f.cache.get("digests")
    if found is None:
        found = f.cache["digests"] = _digest_messages(f)
    return found[1], found[2]


_DIGEST = struct.Struct("=II")  # as array("I") packs (word_digest())


def _digest_messages(f: Features) -> tuple[bytes, bytes, list[int]]:
    """One pass over the messages up to the last answering turn: their digests, and each answering
    turn's context key and words (see :func:`message_digests`, :func:`context_columns`)."""
    answering = f.turns
    if not answering:
        return b"", b"", []
    views, values, bounds = view(f.conversation), memoryview(f.values), f.bounds
    crc32, adler32, seeds, pack = zlib.crc32, zlib.adler32, _ROLE_SEEDS, _DIGEST.pack
    out, keys, said_words = bytearray(), array("I"), []
    crc, adler, done, said, k, turn = 0, 1, 0, 0, 0, answering[0][0]
    for j in range(answering[-1][0] + 1):
        role, _, _, words = views[j]
        if j == turn:  # an answering turn: its context is every message before it
            blob = out[done:]
            crc, adler, done = crc32(blob, crc), adler32(blob, adler), len(out)
            keys.append(crc)
            keys.append(adler)
            said_words.append(said)
            lo, hi = bounds[k] + 1, bounds[k + 1] - 1
            k += 1
            turn = answering[k][0] if k < len(answering) else -1
            if hi - lo == len(words):  # kept whole in the stream: hashed as its word hashes
                hashes = values[8 * lo:8 * hi]
                out += pack(crc32(hashes, 3), adler32(hashes))
                said += len(words)
                continue
        data = " ".join(words).encode("utf-8", "surrogatepass")  # as word_digest() makes it
        out += pack(crc32(data, seeds.get(role, 5)), adler32(data))
        if role != "system":
            said += len(words)
    return bytes(out), keys.tobytes(), said_words


def add_indices(target: array, indices: tuple[int, ...]) -> None:
    """Append increasing message indices to a 16-bit array (the rare larger ones capped)."""
    if indices and indices[-1] > 0xFFFF:
        indices = tuple(min(i, 0xFFFF) for i in indices)
    target.extend(indices)


def word_digest(role: str, words: tuple[str, ...]) -> bytes:
    """The digest :func:`message_digests` gives a message that is no answering turn kept whole."""
    data = " ".join(words).encode("utf-8", "surrogatepass")
    return array("I", (zlib.crc32(data, _ROLE_SEEDS.get(role, 5)), zlib.adler32(data))).tobytes()


def openers(f: Features, n: int) -> tuple[bytes, str]:
    """The answering turns longer than ``n`` words: their message indices (``<u2``, capped) and
    first ``n`` words, the openers joined by newlines (words hold none): two objects, cheap to
    pickle, whatever the number of turns (cached with the features)."""
    key = ("openers", n)
    found = f.cache.get(key)
    if found is None:
        indices, texts = f.openers(n)
        found = f.cache[key] = (array("H", [min(i, 0xFFFF) for i in indices]).tobytes(), "\n".join(texts))
    return found


def opener(words: tuple[str, ...], n: int) -> str | None:
    """The first ``n`` words of a turn, or None when the turn is not longer than that."""
    return " ".join(words[:n]) if len(words) > n else None


@register
class OverusedOpener(DatasetCheck):
    """Many assistant turns start with the same words.

    What it does:
        Takes the first ``words`` (default 3) words of every assistant turn that answers a user
        (case and punctuation ignored; turns not longer than that are skipped). An opener that
        starts at least ``min_share`` (default 10%) of the turns and at least ``min_count``
        (default 20) of them is reported once for the dataset (``entry_index`` null) and on
        each turn that carries it (at most ``max_listed`` turns an opener, default 1000).
    Why it matters:
        Fine-tuning amplifies habits: a model trained on replies that mostly begin "Certainly!
        Here's" will begin nearly every reply that way, whatever the question.
    Example:
        1,200 of 5,000 replies begin "As an AI, ..." (24%).
    Fix:
        None automatic: rewrite the openings of the listed turns (or drop some of them) so
        that no single opener dominates.
    """

    code = "RP003"
    name = "overused-opener"
    family = Family.REPETITION
    severity = Severity.INFO
    observe_cost = 4.0  # measured on 100k entries (decoding included): a light check costs about 1
    defaults = {"words": 3, "min_share": 0.10, "min_count": 20, "max_listed": 1000}

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._words = int(self.options["words"])
        self._hashes = array("q")
        self._messages = array("H")
        self._counts = array("H")
        self._refs: list[EntryRef] = []
        self._texts = BatchedCounts(256)

    def summarize(self, conversation: Conversation) -> tuple[bytes, str] | None:
        found = openers(features(conversation), self._words)
        return found if found[0] else None

    def observe(self, summary: tuple[bytes, str], ref: EntryRef) -> None:
        self.observe_many([summary], [ref])

    def observe_many(self, summaries: Sequence[tuple[bytes, str] | None], refs: Sequence[EntryRef]) -> None:
        summaries, refs = present(summaries, refs)
        if not summaries:
            return
        indices, joined = zip(*summaries)
        texts = "\n".join(joined).split("\n")
        self._refs += refs
        sizes = np.fromiter(map(len, indices), dtype=np.int64, count=len(indices)) >> 1
        self._counts.frombytes(np.minimum(sizes, 0xFFFF).astype(np.uint16).tobytes())
        self._messages.frombytes(b"".join(indices))
        self._hashes.frombytes(np.fromiter(map(hash, texts), dtype=np.int64, count=len(texts)).tobytes())
        self._texts.extend(texts)

    def finish(self) -> Iterator[DatasetHit]:
        total = len(self._hashes)
        hashes = np.frombuffer(self._hashes, dtype=np.int64)
        entries = np.repeat(np.arange(len(self._refs)), np.frombuffer(self._counts, dtype=np.uint16))
        floor = max(int(self.options["min_count"]), self.options["min_share"] * total)
        for text, _ in self._texts.top(20):
            mask = hashes == hash(text)
            count = int(mask.sum())
            if count < floor:
                continue
            share = f"{count:,} of {total:,} assistant turns ({count / total:.0%})"
            limit = int(self.options["max_listed"])
            listed = "" if count <= limit else f"; the first {limit:,} are listed"
            yield DatasetHit(None, f"{share} open with '{text}'{listed}")
            rows = np.flatnonzero(mask)[:limit].tolist()
            for row in rows:
                yield DatasetHit(self._refs[int(entries[row])], f"assistant message {self._messages[row]} opens with "
                                 f"'{text}', like {share}", message_index=self._messages[row])


@register
class ReusedAssistantTurn(DatasetCheck):
    """The same assistant turn appears word for word in different conversations.

    What it does:
        Hashes every assistant turn that answers a user and has at least ``min_words`` words
        (default 8), case, punctuation and spacing ignored, and reports each conversation that
        shares a turn with another conversation. Conversations that are exact duplicates of each
        other are left to exact-duplicate (RP001); greetings sent before the first user turn are
        not counted.
    Why it matters:
        A reply trained verbatim in many contexts becomes a canned answer: the model learns to
        emit it whatever was asked, and it weighs as much as all its copies together.
    Example:
        Entries 4 and 90 both answer with "I'm sorry, but I cannot help with that request, as it
        goes against my guidelines."
    Fix:
        None automatic: rewrite the reused turns so that each fits its own conversation, or
        drop the extra copies.
    """

    code = "RP005"
    name = "reused-assistant-turn"
    family = Family.REPETITION
    severity = Severity.WARNING
    observe_cost = 2.0  # measured on 100k entries (decoding included): a light check costs about 1
    defaults = {"min_words": 8}

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._least = int(self.options["min_words"])
        self._hashes = array("Q")
        self._messages = array("H")
        self._counts = array("H")
        self._fingerprints = array("Q")
        self._refs: list[EntryRef] = []

    def summarize(self, conversation: Conversation) -> bytes | None:
        f = features(conversation)
        least = self._least
        indices = [i for i, w in f.turns if len(w) >= least]
        if not indices:
            return None
        digests = message_digests(f)  # one bytes object: fingerprint (8), turn hashes (8 each), indices (<u2 each)
        return b"".join([shared_fingerprint(conversation)[:8], *[digests[8 * i:8 * i + 8] for i in indices],
                         array("H", [min(i, 0xFFFF) for i in indices]).tobytes()])

    def observe(self, summary: bytes, ref: EntryRef) -> None:
        self.observe_many([summary], [ref])

    def observe_many(self, summaries: Sequence[bytes | None], refs: Sequence[EntryRef]) -> None:
        summaries, refs = present(summaries, refs)
        if not summaries:
            return
        # The batch's summaries as one byte array, each byte told by its offset in its summary.
        blob = np.frombuffer(b"".join(summaries), dtype=np.uint8)
        sizes = np.fromiter(map(len, summaries), dtype=np.int64, count=len(summaries))
        turns = (sizes - 8) // 10
        offsets = np.arange(len(blob)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        indices_at = np.repeat(8 + 8 * turns, sizes)
        self._refs += refs
        self._fingerprints.frombytes(blob[offsets < 8].tobytes())
        self._counts.frombytes(np.minimum(turns, 0xFFFF).astype(np.uint16).tobytes())
        self._hashes.frombytes(blob[(offsets >= 8) & (offsets < indices_at)].tobytes())
        self._messages.frombytes(blob[offsets >= indices_at].tobytes())

    def finish(self) -> Iterator[DatasetHit]:
        hashes = np.frombuffer(self._hashes, dtype=np.uint64)
        self._entries = np.repeat(np.arange(len(self._refs)), np.frombuffer(self._counts, dtype=np.uint16))
        rows, starts = repeated_runs(hashes)
        for lo, hi in zip(starts.tolist(), run_stops(starts, len(rows)).tolist()):
            yield from self._group(rows[lo:hi].tolist())

    def _group(self, rows: list[int]) -> Iterator[DatasetHit]:
        entries: set[int] = set()
        conversations: set[int] = set()
        kept: list[int] = []
        for row in rows:
            entry = int(self._entries[row])
            fp = self._fingerprints[entry]
            if entry in entries or fp in conversations:
                continue
            entries.add(entry)
            conversations.add(fp)
            kept.append(row)
        if len(kept) < 2:
            return
        first = kept[0]
        refs = [self._refs[int(self._entries[r])] for r in kept]
        first_ref, first_msg = refs[0], self._messages[first]
        for row, ref in zip(kept, refs):
            msg = self._messages[row]
            if row == first:
                others = len(kept) - 1
                text = (f"assistant message {msg} is reused verbatim in {others} other conversation"
                        f"{'s' if others != 1 else ''} ({listing(refs[1:])})")
            else:
                text = (f"assistant message {msg} repeats assistant message {first_msg} of "
                        f"{where(first_ref, ref)} verbatim ({len(kept)} conversations share it)")
            yield DatasetHit(ref, text, message_index=msg)
