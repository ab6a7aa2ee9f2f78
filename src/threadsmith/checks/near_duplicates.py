"""Near-duplicate checks (RP): MinHash-LSH clusters of conversations.

Shared with the repetition and low-variation checks: :func:`reply_words` (the assistant words a
dataset check looks at), :func:`shingles` and :func:`signature` (a MinHash of them), each computed
once per conversation, and :func:`cluster` (LSH banding, verification and connected components
over a matrix of signatures, in numpy).

Signatures are rensa's R-MinHash over word 3-grams of the assistant text; bench/minhash_choice.py
measured it against datasketch (bench/RESULTS.md). Each signature is kept as 64 slots of 16 bits
(128 bytes an entry: 128 MB for a million conversations); the band keys are four slots read as one
64-bit integer, so no per-band hash table is built while streaming.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

import numpy as np
from rensa import RMinHash

from threadsmith.checks.base import DatasetCheck, DatasetHit, EntryRef
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.checks.text import view
from threadsmith.model import Conversation, Family, Severity

#: Slots of a signature; every slot keeps its low 16 bits (random slots agree with p = 2**-16).
NUM_PERM = 64
SEED = 1_618_033
#: Words kept of one assistant turn: its head, and its tail when the turn is longer.
TURN_HEAD, TURN_TAIL = 192, 64
#: Words kept of one conversation in all.
MAX_WORDS = 1024
#: Slots per LSH band: four 16-bit slots make one 64-bit band key.
BAND_ROWS = 4
_FLUSH = 65_536


class _Derived:
    """What the dataset checks derive from the conversation being checked (compute once)."""

    __slots__ = ("conversation", "words", "shingles", "signature")

    def __init__(self, conversation: Conversation | None) -> None:
        self.conversation = conversation
        self.words: tuple[str, ...] | None = None
        self.shingles: list[str] | None = None
        self.signature: bytes | None = None


_last = _Derived(None)


def _derived(conversation: Conversation) -> _Derived:
    global _last
    if _last.conversation is not conversation:
        _last = _Derived(conversation)
    return _last


def answering_turns(conversation: Conversation) -> Iterator[tuple[int, tuple[str, ...]]]:
    """``(message index, words)`` of each assistant turn that follows a user turn.

    Assistant turns before the first user turn (a character's greeting, often the same in every
    conversation of a roleplay set) are left out of every repetition and variation measure.
    """
    answered = False
    for i, v in enumerate(view(conversation)):
        if v.role == "user":
            answered = True
        elif answered and v.role == "assistant" and v.words:
            yield i, v.words


def reply_words(conversation: Conversation) -> tuple[str, ...]:
    """The words of the answering assistant turns, each long turn cut to its head and tail, capped."""
    d = _derived(conversation)
    if d.words is None:
        out: list[str] = []
        for _, w in answering_turns(conversation):
            out += w if len(w) <= TURN_HEAD + TURN_TAIL else w[:TURN_HEAD] + w[-TURN_TAIL:]
            if len(out) >= MAX_WORDS:
                break
        d.words = tuple(out[:MAX_WORDS])
    return d.words


def shingles(conversation: Conversation) -> list[str]:
    """Word 3-grams of :func:`reply_words` (the words themselves when there are fewer than 3)."""
    d = _derived(conversation)
    if d.shingles is None:
        w = reply_words(conversation)
        d.shingles = list(map(" ".join, zip(w, w[1:], w[2:]))) if len(w) >= 3 else list(w)
    return d.shingles


def signature(conversation: Conversation) -> bytes | None:
    """The MinHash of :func:`shingles`: ``NUM_PERM`` little-endian uint32 slots, or None without text."""
    d = _derived(conversation)
    if d.signature is None:
        grams = shingles(conversation)
        if not grams:
            return None
        sketch = RMinHash(NUM_PERM, SEED)
        sketch.update(grams)
        d.signature = array("I", sketch.digest()).tobytes()
    return d.signature


class SignatureStore:
    """Signatures of many entries as one uint16 matrix (the first ``slots`` of each), with their refs."""

    def __init__(self, slots: int = NUM_PERM) -> None:
        self.slots = slots
        self.refs: list[EntryRef] = []
        self._rows = bytearray()
        self._pending = bytearray()

    def add(self, raw: bytes, ref: EntryRef) -> None:
        """Keep one signature as :func:`signature` gives it."""
        self._pending += raw
        self.refs.append(ref)
        if len(self._pending) >= _FLUSH * NUM_PERM * 4:
            self._flush()

    def _flush(self) -> None:
        full = np.frombuffer(bytes(self._pending), dtype="<u4").reshape(-1, NUM_PERM)
        self._rows += full[:, : self.slots].astype(np.uint16).tobytes()
        self._pending = bytearray()

    def matrix(self) -> np.ndarray:
        """The ``(entries, slots)`` uint16 matrix."""
        self._flush()
        return np.frombuffer(self._rows, dtype=np.uint16).reshape(-1, self.slots)


def _band_pairs(sigs: np.ndarray) -> np.ndarray:
    """Candidate pairs ``(2, k)``: rows that agree on every slot of some band (each with its run's first)."""
    n = sigs.shape[0]
    found = []
    for start in range(0, sigs.shape[1] - BAND_ROWS + 1, BAND_ROWS):
        keys = np.ascontiguousarray(sigs[:, start:start + BAND_ROWS]).view(np.uint64).ravel()
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        new_run = np.empty(n, dtype=bool)
        new_run[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new_run[1:])
        firsts = order[np.flatnonzero(new_run)][np.cumsum(new_run) - 1]
        members = ~new_run
        found.append(np.stack([firsts[members], order[members]]))
    if not found:
        return np.empty((2, 0), dtype=np.int64)
    pairs = np.concatenate(found, axis=1)
    keys = np.unique(pairs[0].astype(np.int64) * n + pairs[1])
    return np.stack([keys // n, keys % n])


def similarity(sigs: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of rows ``a[i]`` and ``b[i]`` (share of equal slots)."""
    out = np.empty(len(a), dtype=np.float32)
    for lo in range(0, len(a), 1 << 18):
        hi = lo + (1 << 18)
        out[lo:hi] = (sigs[a[lo:hi]] == sigs[b[lo:hi]]).mean(axis=1)
    return out


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of an edge list: each node's label is the smallest node of its component."""
    parent = np.arange(n, dtype=np.int64)
    while len(a):
        pa, pb = parent[a], parent[b]
        low = np.minimum(pa, pb)
        np.minimum.at(parent, pa, low)
        np.minimum.at(parent, pb, low)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        if np.array_equal(parent[a], parent[b]):
            break
    return parent


def cluster(sigs: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Labels of near-duplicate clusters (LSH candidates verified by estimated Jaccard >= threshold).

    Returns ``(labels, identical)``: ``labels[i]`` is the first row of row i's cluster, and
    ``identical[i]`` is the first row whose signature equals row i's.
    """
    n = sigs.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    a, b = _band_pairs(sigs)
    sim = similarity(sigs, a, b)
    keep = sim >= threshold
    labels = components(n, a[keep], b[keep])
    same = sim >= 1.0
    identical = components(n, a[same], b[same])
    return labels, identical


def where(ref: EntryRef, other: EntryRef | None = None) -> str:
    """``entry 12 (line 13)``, with the file when it differs from ``other``'s."""
    place = f"{ref.path}, " if other is not None and ref.path != other.path else ""
    return f"{place}entry {ref.entry_index}" + (f" (line {ref.line})" if ref.line is not None else "")


def listing(refs: list[EntryRef], most: int = 6) -> str:
    """A short list of entries: ``entry 1, entry 5, entry 9 ...``."""
    return ", ".join(where(r, refs[0]) for r in refs[:most]) + (" ..." if len(refs) > most else "")


@register
class NearDuplicate(DatasetCheck):
    """Two or more conversations have nearly the same assistant replies.

    What it does:
        Computes a MinHash signature of word 3-grams of each conversation's assistant turns (the
        system prompt and greetings sent before the first user turn are left out, so one
        character's conversations do not all look alike), finds candidate pairs with LSH and
        keeps those whose estimated Jaccard similarity reaches ``threshold`` (default 0.8).
        Clusters are reported on every member, the first being the suggested keeper. Replies
        with identical words are left to exact-duplicate (RP001) and reused-assistant-turn
        (RP005); replies shorter than ``min_words`` words are skipped.
    Why it matters:
        A reply trained many times in slightly different wordings weighs like a duplicate: the
        model memorizes it and its phrasing crowds out the rest of the data.
    Example:
        Entry 3 "Paris is the capital of France, known for the Eiffel Tower and its museums." and
        entry 9 "Paris is the capital of France, famous for the Eiffel Tower and its museums."
    Fix:
        None automatic: keep the suggested keeper (or the best member) of each cluster and
        drop or rewrite the others.
    """

    code = "RP002"
    name = "near-duplicate"
    family = Family.REPETITION
    severity = Severity.WARNING
    defaults = {"threshold": 0.8, "min_words": 10}

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._store = SignatureStore()

    def summarize(self, conversation: Conversation) -> bytes | None:
        if len(reply_words(conversation)) < self.options["min_words"]:
            return None
        return signature(conversation)

    def observe(self, summary: bytes, ref: EntryRef) -> None:
        self._store.add(summary, ref)

    def finish(self) -> Iterator[DatasetHit]:
        sigs = self._store.matrix()
        labels, identical = cluster(sigs, float(self.options["threshold"]))
        refs = self._store.refs
        reps = np.flatnonzero(identical == np.arange(len(identical)))
        copies = np.bincount(identical, minlength=len(identical))
        groups: dict[int, list[int]] = {}
        for row in reps.tolist():
            groups.setdefault(int(labels[row]), []).append(row)
        for rows in groups.values():
            if len(rows) < 2:
                continue
            yield from self._report(sigs, rows, refs, copies)

    def _report(
        self, sigs: np.ndarray, rows: list[int], refs: list[EntryRef], copies: np.ndarray,
    ) -> Iterator[DatasetHit]:
        keeper = rows[0]
        members = [refs[r] for r in rows]
        extra = int(copies[rows].sum()) - len(rows)
        tail = f" (and {extra} exact copies)" if extra else ""
        sims = similarity(sigs, np.full(len(rows), keeper), np.array(rows))
        for row, sim in zip(rows, sims.tolist()):
            if row == keeper:
                yield DatasetHit(refs[row], f"first of {len(rows)} near-duplicate conversations{tail} "
                                            f"({listing(members)}); suggested keeper")
            else:
                yield DatasetHit(refs[row], f"near-duplicate of {where(refs[keeper], refs[row])} "
                                            f"(estimated similarity {sim:.2f}; {len(rows)} in the cluster{tail})")
