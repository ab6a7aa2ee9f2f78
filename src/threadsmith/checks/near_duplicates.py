"""Near-duplicate checks (RP): MinHash-LSH clusters of conversations.

Shared with the repetition and low-variation checks: :func:`answering_turns`, :func:`reply_words`
and :func:`signature` (a MinHash of the word 3-grams of the assistant turns: the word hashes come
from features.py, and the signatures of a batch are made together, see :func:`settle_signatures`),
and :func:`cluster` (LSH banding, verification and connected components over a matrix of
signatures, in numpy).

Signatures are rensa's R-MinHash of the 3-gram hashes; bench/minhash_choice.py measured it against
datasketch (bench/RESULTS.md). Each signature is kept as 64 slots of 16 bits (128 bytes an entry:
128 MB for a million conversations); the band keys are four slots read as one 64-bit integer, so
no per-band hash table is built while streaming.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Iterator, Sequence

import numpy as np

from threadsmith.checks.base import DatasetCheck, DatasetHit, EntryRef
from threadsmith.checks.features import END, MAX_WORDS, NUM_PERM, SEED, START, TURN_HEAD, TURN_TAIL, Features, features
from threadsmith.checks.minhash import digest_rows
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.model import Conversation, Family, Severity

__all__ = ["MAX_WORDS", "NUM_PERM", "TURN_HEAD", "TURN_TAIL", "NearDuplicate", "SignatureStore", "answering_turns",
           "cluster", "components", "listing", "reply_words", "signature", "similarity", "where"]

_FLUSH = 1 << 22
#: Slots per LSH band at high thresholds: four 16-bit slots make one 64-bit band key.
BAND_ROWS = 4


def answering_turns(conversation: Conversation) -> Iterator[tuple[int, tuple[str, ...]]]:
    """``(message index, words)`` of each assistant turn that follows a user turn.

    Assistant turns before the first user turn (a character's greeting, often the same in every
    conversation of a roleplay set) are left out of every repetition and variation measure.
    """
    return iter(features(conversation).turns)


def reply_words(conversation: Conversation) -> tuple[str, ...]:
    """The words of the answering assistant turns, each long turn cut to its head and tail, capped."""
    f = features(conversation)
    return tuple(w for w in f.stream[: f.prefix] if w != START and w != END)


def signature(conversation: Conversation) -> bytes | None:
    """The MinHash of the reply 3-grams: ``NUM_PERM`` little-endian 32-bit slots, or None without text."""
    pending = pending_signature(features(conversation))
    return None if pending is None else settle_signatures([pending])[0]


# --- Signatures settled in batches ---------------------------------------------------------------
# A MinHash call costs much per call and little per row, so RP002 and LV005 summarize a conversation
# into a *pending signature*: ``[stream prefix word hashes, None]``, one list shared by both checks.
# settle() computes the 3-gram hashes and the MinHash of a whole batch (a worker's chunk) at once
# and fills the second item, so the other check finds it done. Signatures are those of
# features.py's Features.signature(), bit for bit.

#: The 3-gram hash of features.py: ``h[i] * K1 ^ h[i + 1] * K2 ^ h[i + 2]`` over word hashes.
_K1, _K2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)
_U64 = np.dtype("<u8")


def pending_signature(f: Features) -> list | None:
    """The pending signature of a conversation (None without reply text), cached with its features."""
    found = f.cache.get("minhash", False)
    if found is False:
        found = None
        if f.prefix:
            found = [f.values if f.prefix == len(f.stream) else f.values[:8 * f.prefix], None]
        f.cache["minhash"] = found
    return found


def prefix_values(f: Features) -> bytes:
    """The word hashes of the stream prefix (8 bytes a token, see features.py)."""
    pending = pending_signature(f)
    return pending[0] if pending is not None else b""


def gram_hashes(flat: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The hash of the 3-gram that starts at each token but the last two (word hashes in, see
    features.py); into ``out`` (of that length) when given."""
    if len(flat) < 3:
        return flat[:0]
    grams = np.multiply(flat[:-2], _K1, out=out)
    grams ^= flat[1:-1] * _K2
    grams ^= flat[2:]
    return grams


def gram_rows(flat: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 3-gram hashes of many rows of word hashes at once (a row of fewer than 3 tokens keeps
    its tokens), flattened, and the rows' offsets into them (``len(lengths) + 1`` of them)."""
    ends = np.cumsum(lengths)
    grams = gram_hashes(flat)
    if (lengths >= 3).all():
        keep = np.ones(len(grams), dtype=bool)
        cut = np.concatenate([ends - 2, ends - 1])  # the last two 3-grams of each row straddle into the next
        keep[cut[cut < len(grams)]] = False
        return grams[keep], np.r_[0, np.cumsum(lengths - 2)]
    parts, starts = [], ends - lengths  # rare: rows too short for a 3-gram
    for start, length in zip(starts.tolist(), lengths.tolist()):
        parts.append(grams[start:start + length - 2] if length >= 3 else flat[start:start + length])
    sizes = np.array([len(p) for p in parts], dtype=np.int64)
    return np.concatenate(parts) if parts else grams, np.r_[0, np.cumsum(sizes)]


def settle_signatures(summaries: Sequence[list | bytes | None]) -> list[bytes | None]:
    """Every summary as a signature, the pending ones computed in one MinHash call."""
    todo = {id(s): s for s in summaries if s.__class__ is list and s[1] is None}
    if todo:
        rows = list(todo.values())
        if len(rows) == 1:  # one conversation (the runner settling as it goes): fewer numpy calls
            flat = np.frombuffer(rows[0][0], dtype=_U64)
            grams = gram_hashes(flat) if len(flat) >= 3 else flat
            offsets = np.array([0, len(grams)], dtype=np.uint64)
        else:
            flat = np.frombuffer(b"".join([row[0] for row in rows]), dtype=_U64)
            lengths = np.fromiter((len(row[0]) >> 3 for row in rows), dtype=np.int64, count=len(rows))
            grams, offsets = gram_rows(flat, lengths)
        digests = digest_rows(grams, offsets.astype(np.uint64), NUM_PERM, SEED)
        data, size = array("I", itertools.chain.from_iterable(digests)).tobytes(), 4 * NUM_PERM
        for k, row in enumerate(rows):
            row[1] = data[k * size:(k + 1) * size]
    return [s[1] if s.__class__ is list else s for s in summaries]


class SignatureStore:
    """Signatures of many entries as one uint16 matrix (the low 16 bits of their first ``slots``
    slots), with their refs."""

    def __init__(self, slots: int = NUM_PERM, keep_refs: bool = True) -> None:
        self.slots = slots
        self.refs: list[EntryRef] = []
        self._keep_refs = keep_refs
        self._rows = bytearray()
        self._pending = bytearray()

    def add(self, raw: bytes, ref: EntryRef) -> None:
        """Keep one signature as :func:`signature` gives it."""
        self._pending += raw
        if self._keep_refs:
            self.refs.append(ref)
        if len(self._pending) >= _FLUSH:
            self._flush()

    def add_many(self, raws: Sequence[bytes | None], refs: Sequence[EntryRef]) -> None:
        """Keep the signatures of a batch (None ones skipped)."""
        if None in raws:
            refs = [ref for raw, ref in zip(raws, refs) if raw is not None]
            raws = [raw for raw in raws if raw is not None]
        self._pending += b"".join(raws)
        if self._keep_refs:
            self.refs += refs
        if len(self._pending) >= _FLUSH:
            self._flush()

    def _flush(self) -> None:
        full = np.frombuffer(bytes(self._pending), dtype="<u4").reshape(-1, NUM_PERM)
        self._rows += full[:, : self.slots].astype("<u2").tobytes()
        self._pending = bytearray()

    def matrix(self) -> np.ndarray:
        """The ``(entries, slots)`` uint16 matrix."""
        self._flush()
        return np.frombuffer(bytes(self._rows), dtype="<u2").reshape(-1, self.slots)


def band_rows(threshold: float) -> int:
    """Slots per LSH band for a similarity threshold: pairs at the threshold become candidates in
    more than 99% of cases (64 slots: 16 bands of 4 from 0.75 up, 21 of 3 from 0.45, else 32 of 2)."""
    return 4 if threshold >= 0.75 else 3 if threshold >= 0.45 else 2


def repeated_runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows whose key occurs more than once, grouped by key: ``(rows, starts)``, the groups in
    ascending key order, each group's rows ascending (as a stable argsort of ``keys`` orders them),
    ``starts`` where each group begins in ``rows``.

    Several times faster than that argsort: a count of hashed buckets picks the rows that may
    repeat (the repeated ones and a few that share a bucket), and only those are sorted.
    """
    empty = np.empty(0, dtype=np.int64)
    if len(keys) < 2:
        return empty, empty
    bits = max(8, len(keys).bit_length() + 3)
    buckets = ((keys.astype(np.uint64, copy=False) * _K1) >> np.uint64(64 - bits)).astype(np.intp)
    maybe = np.flatnonzero(np.bincount(buckets, minlength=1 << bits)[buckets] > 1)
    if len(maybe) < 2:
        return empty, empty
    picked = keys[maybe]
    order = np.argsort(picked, kind="stable")
    rows, ordered = maybe[order], picked[order]
    same = ordered[1:] == ordered[:-1]
    repeated = np.r_[same, False] | np.r_[False, same]
    rows, ordered = rows[repeated], ordered[repeated]
    if not len(rows):
        return empty, empty
    return rows, np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])


def run_stops(starts: np.ndarray, size: int) -> np.ndarray:
    """Where each group of :func:`repeated_runs` ends in its ``rows`` (``size`` of them)."""
    return np.r_[starts[1:], size].astype(np.int64)


def _band_pairs(sigs: np.ndarray, rows: int = BAND_ROWS) -> np.ndarray:
    """Candidate pairs ``(2, k)``: rows that agree on every slot of some band (each with its run's first)."""
    n, bands = sigs.shape[0], sigs.shape[1] // rows
    # Each band's slots padded to four, so that a band reads as one 64-bit key (its slots from the
    # lowest 16 bits up), the bands of a row side by side.
    padded = np.zeros((n, bands, 4), dtype=np.uint16)
    padded[:, :, :rows] = sigs[:, :bands * rows].reshape(n, bands, rows)
    band_keys = padded.view(np.uint64).reshape(n, bands).T.copy()
    found = []
    for keys in band_keys:
        members, starts = repeated_runs(keys)
        if not len(members):
            continue
        sizes = run_stops(starts, len(members)) - starts
        firsts = np.repeat(members[starts], sizes)
        later = np.ones(len(members), dtype=bool)
        later[starts] = False
        found.append(np.stack([firsts[later], members[later]]))
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
    a, b = _band_pairs(sigs, band_rows(threshold))
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


class SignatureObserver:
    """What a dataset check collecting MinHash signatures into ``self._store`` shares: batch
    settling in the workers, and observing one or many summaries in the main process."""

    _store: SignatureStore

    def settle(self, summaries: list) -> list:
        return settle_signatures(summaries)

    def observe(self, summary: bytes | list, ref: EntryRef) -> None:
        self._store.add(summary if summary.__class__ is bytes else settle_signatures([summary])[0], ref)

    def observe_many(self, summaries: Sequence[bytes | list | None], refs: Sequence[EntryRef]) -> None:
        self._store.add_many(settle_signatures(summaries), refs)


@register
class NearDuplicate(SignatureObserver, DatasetCheck):
    """Two or more conversations have nearly the same assistant replies.

    What it does:
        Computes a MinHash signature of word 3-grams of each conversation's assistant turns (the
        system prompt and greetings sent before the first user turn are left out, so one
        character's conversations do not all look alike), finds candidate pairs with LSH and
        keeps those whose estimated Jaccard similarity reaches ``threshold`` (default 0.6: a
        reply of 40 words with four words changed still shares about 60% of its 3-grams).
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
    observe_cost = 3.0  # measured on 100k entries (decoding included): a light check costs about 1
    defaults = {"threshold": 0.6, "min_words": 10}

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._store = SignatureStore()

    def summarize(self, conversation: Conversation) -> list | None:
        f = features(conversation)
        if f.reply_words < self.options["min_words"]:
            return None
        return pending_signature(f)

    def finish(self) -> Iterator[DatasetHit]:
        sigs = self._store.matrix()
        labels, identical = cluster(sigs, float(self.options["threshold"]))
        refs = self._store.refs
        reps = np.flatnonzero(identical == np.arange(len(identical)))
        copies = np.bincount(identical, minlength=len(identical))
        # Clusters of two or more distinct signatures, ordered by their first row (the label).
        rows, starts = repeated_runs(labels[reps].astype(np.uint64))
        rows = reps[rows]
        for lo, hi in zip(starts.tolist(), run_stops(starts, len(rows)).tolist()):
            yield from self._report(sigs, rows[lo:hi].tolist(), refs, copies)

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
