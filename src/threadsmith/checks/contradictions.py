"""Contradiction checks (CT): the same context answered in materially different ways.

Each assistant turn that answers a user is keyed by a hash of its context: the system prompt and
every message before it, compared on their text with case, punctuation and spacing ignored (so
"What's your name?" and "what's your name" are the same context). Its reply is kept as a 16-slot
MinHash of its content words (function words left out), one byte a slot, with the number of
content words, the reply's yes/no polarity and a hash of its claim words (negations, numbers,
antonyms: claims.py): 32 bytes a turn in all. At the end, contexts shared by several
conversations whose replies differ materially are reported on every member.

Speed: a conversation's summary is first *pending* (context keys, made in the one pass over the
messages that makes the message digests of repetition.py, polarities, and the stream's word
hashes from features.py); :func:`settle` makes the records of a whole batch (a worker's chunk)
at once: one MinHash call and a few numpy passes for every turn's sketch, content words and
claims, where one conversation at a time would pay the call and the passes each time.

The context holds the earlier assistant turns too: two conversations that already parted ways
are not compared again on their later turns.
"""

from __future__ import annotations

import itertools
import struct
from array import array
from hashlib import blake2b
from collections.abc import Iterator, Sequence
from typing import ClassVar

import numpy as np

from threadsmith.checks.answer_groups import answers, first_answers, overlap, pair_tables, table_parts
from threadsmith.checks.base import DatasetCheck, DatasetHit, EntryRef, present
from threadsmith.checks.features import FUNCTION, SKETCH_SEED, SKETCH_SLOTS, Features, features
from threadsmith.checks.minhash import digest_rows
from threadsmith.checks.near_duplicates import listing, repeated_runs, run_stops
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.checks.repetition import context_columns
from threadsmith.model import Conversation, Family, Severity

SLOTS = SKETCH_SLOTS
#: One answering turn: message index, context key, reply sketch, content words (at most 255),
#: polarity (1: opens with yes, 2: with no, 0: neither) and claims hash.
RECORD = np.dtype([("message", "<u2"), ("context", "<u8"), ("sketch", "u1", (SLOTS,)), ("size", "u1"),
                   ("polarity", "u1"), ("claims", "<u4")])
assert RECORD.itemsize == 32

#: ``(message index, context key, context words without the system prompt, record)``.
Turn = tuple[int, bytes, int, bytes]
#: A summary before it is settled (see :func:`settle`), per answering turn of the conversation:
#: message indices (``<u2``), context keys (8 bytes), polarities (a byte), the stream's word
#: hashes, and three ``<u4`` a turn: its start and end in the stream and 1 when the summary holds it.
Pending = tuple[bytes, bytes, bytes, bytes, bytes]
_U64 = np.dtype("<u8")
#: A random 32-bit weight per word class (features.py), 0 for plain and function words: a turn's
#: claims hash is the sum of its words' weights, the same for the same multiset of claims.
_WEIGHT_LIST = [0, 0] + [int.from_bytes(blake2b(bytes((k,)), digest_size=4, person=b"ts-claims").digest(), "little")
                         for k in range(2, 256)]
_CLAIM_WEIGHTS = np.array(_WEIGHT_LIST, dtype=np.uint64)
_NOT_CLAIMS = bytes((0, FUNCTION))  # the classes of words that carry no claim
_RECORD = struct.Struct("<H8s16sBBI")  # RECORD, packed one at a time


def turns(conversation: Conversation) -> list[Turn]:
    """Every answering assistant turn with its context key and record (sketch included)."""
    f = features(conversation)
    columns = _columns(f)
    records = settle([_pending(f, columns, None)])[0] if f.turns else None
    if not records:
        return []
    size = RECORD.itemsize
    return [(index, records[k * size + 2:k * size + 10], words, records[k * size:(k + 1) * size])
            for k, ((index, _), words) in enumerate(zip(f.turns, columns[4]))]


def _columns(f: Features) -> tuple[bytes, bytes, bytes, list[int], list[int]]:
    """Per answering turn (cached per conversation): message indices, context keys and polarities
    as :data:`Pending` holds them, the turns' (start, end, 1) in the stream, and their context words."""
    found = f.cache.get("ct")
    if found is None:
        keys, words = context_columns(f)
        bounds, spans = f.bounds, []
        for k in range(1, len(bounds)):  # between the markers; 1: the summary holds the turn
            spans += (bounds[k - 1] + 1, bounds[k] - 1, 1)
        answering = f.turns
        indices = array("H", [index if index < 0xFFFF else 0xFFFF for index, _ in answering]).tobytes()
        polarity = bytes([_POLARITY.get(reply[0], 0) for _, reply in answering])
        found = f.cache["ct"] = (indices, keys, polarity, spans, words)
    return found


def contexts(conversation: Conversation) -> list[tuple[int, bytes, int]]:
    """``(message index, context key, context words)`` of each answering turn: the keys the
    contradiction checks group replies by (export splits keep a shared context in one split)."""
    f = features(conversation)
    if not f.turns:
        return []
    _, keys, _, _, words = _columns(f)
    return [(index, keys[8 * k:8 * k + 8], words[k]) for k, (index, _) in enumerate(f.turns)]


def _pending(f: Features, columns: tuple[bytes, bytes, bytes, list[int], list[int]],
             keep: list[int] | None) -> Pending:
    """The pending summary of the turns ``keep`` marks with 1 (all when None)."""
    indices, keys, polarity, spans, _ = columns
    if keep is not None:
        spans = spans.copy()
        spans[2::3] = keep
    return indices, keys, polarity, f.values, array("I", spans).tobytes()


def settle(summaries: list[Pending | bytes | None]) -> list[bytes | None]:
    """Every summary as its records (:data:`RECORD`), the pending ones made together: one MinHash
    call for all their turns, and numpy for their content words and claims.

    A turn's sketch is the MinHash of its content words (function words left out; all its words
    when it has no other), ``SLOTS`` slots of which the low byte is kept. Its claims hash is the
    sum of the weights of its words' classes (negations, numbers, antonym sides: claims.py).
    """
    todo = [s for s in summaries if s.__class__ is tuple]
    if not todo:
        return summaries  # type: ignore[return-value]
    if len(todo) == 1:  # one conversation (the runner settling as it goes): fewer numpy calls
        return [_settle_one(s) if s.__class__ is tuple else s for s in summaries]  # type: ignore[arg-type]
    values = np.frombuffer(b"".join([s[3] for s in todo]), dtype=_U64)
    numbers = np.frombuffer(b"".join([s[4] for s in todo]), dtype="<u4").reshape(-1, 3).astype(np.int64)
    counts = [len(s[2]) for s in todo]  # turns per summary (a polarity byte each)
    starts = np.cumsum([0] + [len(s[3]) >> 3 for s in todo[:-1]], dtype=np.int64)  # each stream's first token
    numbers[:, :2] += np.repeat(starts, counts)[:, None]
    lo, hi = numbers[:, 0], numbers[:, 1]
    codes = values.view(np.uint8)[::8]  # the low byte of a word hash is its class; markers are function words
    content = codes != FUNCTION
    # Sums from each turn's start to the next one's: what lies between two turns is markers, which
    # count for nothing (function words), and so is what follows a stream's last turn.
    sizes = np.add.reduceat(content, lo, dtype=np.int64)
    claims = np.add.reduceat(_CLAIM_WEIGHTS[codes], lo) & np.uint64(0xFFFFFFFF)
    if not sizes.all():  # a turn of function words only: all its words stand
        for k in np.flatnonzero(sizes == 0).tolist():
            content[lo[k]:hi[k]] = True
        sizes = np.where(sizes == 0, hi - lo, sizes)
    rows = digest_rows(values[content], np.r_[0, np.cumsum(sizes)].astype(np.uint64), SLOTS, SKETCH_SEED)
    records = np.zeros(len(numbers), dtype=RECORD)
    records["message"] = np.frombuffer(b"".join([s[0] for s in todo]), dtype="<u2")
    records["context"] = np.frombuffer(b"".join([s[1] for s in todo]), dtype=_U64)
    records["polarity"] = np.frombuffer(b"".join([s[2] for s in todo]), dtype=np.uint8)
    records["size"] = np.minimum(sizes, 255)
    records["claims"] = claims
    low = array("I", itertools.chain.from_iterable(rows)).tobytes()[::4]  # the low byte of each slot
    records["sketch"] = np.frombuffer(low, dtype=np.uint8).reshape(-1, SLOTS)
    return _split(summaries, records, numbers[:, 2].astype(bool), counts)


def _split(summaries: list, records: np.ndarray, kept: np.ndarray, counts: list[int]) -> list[bytes | None]:
    """The records each pending summary keeps (``kept``, ``counts`` turns each), in its place."""
    data = (records if kept.all() else records[kept]).tobytes()
    held = iter(np.add.reduceat(kept, np.cumsum([0] + counts[:-1], dtype=np.int64)).tolist())
    out, at = [], 0
    for s in summaries:
        if s.__class__ is tuple:
            size = next(held) * RECORD.itemsize
            out.append(data[at:at + size] or None)
            at += size
        else:
            out.append(s)
    return out


def _settle_one(summary: Pending) -> bytes | None:
    """:func:`settle` for a single summary, the same records with a few numpy calls fewer."""
    indices, keys, polarity, values, numbers = summary
    codes, spans = values[0::8], array("I", numbers)
    content = np.frombuffer(codes, dtype=np.uint8) != FUNCTION
    sizes, claims, weights = [], [], _WEIGHT_LIST
    for k in range(0, len(spans), 3):
        lo, hi = spans[k], spans[k + 1]
        size = hi - lo - codes.count(FUNCTION, lo, hi)
        if not size:  # a turn of function words only: all its words stand
            content[lo:hi] = True
            size = hi - lo
        sizes.append(size)
        claims.append(sum(map(weights.__getitem__, codes[lo:hi].translate(None, _NOT_CLAIMS))) & 0xFFFFFFFF)
    rows = digest_rows(np.frombuffer(values, dtype=_U64)[content], [0, *itertools.accumulate(sizes)], SLOTS,
                       SKETCH_SEED)
    pack, out, turn = _RECORD.pack, [], 0
    for k, row in enumerate(rows):
        if spans[3 * k + 2]:
            low = array("I", row).tobytes()[::4]
            out.append(pack(indices[2 * turn] | indices[2 * turn + 1] << 8, keys[8 * turn:8 * turn + 8], low,
                            min(sizes[k], 255), polarity[turn], claims[k]))
        turn += 1
    return b"".join(out) or None


_POLARITY = {"yes": 1, "yeah": 1, "yep": 1, "sure": 1, "correct": 1, "absolutely": 1, "definitely": 1,
             "no": 2, "nope": 2, "not": 2, "never": 2, "incorrect": 2}


class _ConflictingAnswers(DatasetCheck):
    """Shared by the contradiction checks: they differ in the contexts they look at."""

    #: True for the check about contexts of fewer than ``short_words`` words.
    short: ClassVar[bool] = False
    defaults = {"same_answer_overlap": 0.5, "near_identical": 0.5, "short_words": 4}

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        #: A key of the features cache no other user takes (a tuple, not a name or a number).
        self._key = ("ct", int(self.options["short_words"]))
        self._records = bytearray()
        self._counts = array("H")
        self._refs: list[EntryRef] = []

    def summarize(self, conversation: Conversation) -> Pending | None:
        f = features(conversation)
        split = f.cache.get(self._key)
        if split is None:  # (long, short): the pending records of the two checks, made once for both
            split = (None, None)
            if f.turns:
                columns, limit = _columns(f), self._key[1]
                short = [1 if words < limit else 0 for words in columns[4]]
                if not any(short):
                    split = (_pending(f, columns, None), None)
                elif all(short):
                    split = (None, _pending(f, columns, None))
                else:
                    split = (_pending(f, columns, [1 - k for k in short]), _pending(f, columns, short))
            f.cache[self._key] = split
        return split[self.short]

    def settle(self, summaries: list) -> list:
        return settle(summaries)

    def observe(self, summary: bytes | Pending, ref: EntryRef) -> None:
        if summary.__class__ is not bytes:
            summary = settle([summary])[0]  # type: ignore[assignment]
        self._refs.append(ref)
        self._counts.append(min(len(summary) // RECORD.itemsize, 0xFFFF))
        self._records += summary  # type: ignore[operator]

    def observe_many(self, summaries: Sequence[bytes | Pending | None], refs: Sequence[EntryRef]) -> None:
        summaries = settle(list(summaries))
        summaries, refs = present(summaries, refs)
        if summaries:
            self._refs += refs
            sizes = np.fromiter(map(len, summaries), dtype=np.int64, count=len(summaries)) // RECORD.itemsize
            self._counts.frombytes(np.minimum(sizes, 0xFFFF).astype(np.uint16).tobytes())
            self._records += b"".join(summaries)

    def finish(self) -> Iterator[DatasetHit]:
        records = np.frombuffer(self._records, dtype=RECORD)
        self._entries = np.repeat(np.arange(len(self._refs)), np.frombuffer(self._counts, dtype=np.uint16))
        rows, starts = repeated_runs(np.ascontiguousarray(records["context"]))
        stops = run_stops(starts, len(rows))
        same, near = float(self.options["same_answer_overlap"]), float(self.options["near_identical"])
        for part in table_parts(stops - starts):
            tables = pair_tables(records, rows, starts[part], stops[part], near)
            for lo, hi in zip(starts[part].tolist(), stops[part].tolist()):
                table = tables.get(lo)
                group = rows[lo:hi]
                labels = first_answers(table, same) if table is not None else answers(records[group], same, near)
                yield from self._group(group, records, labels)

    def _group(self, rows: np.ndarray, records: np.ndarray, labels: np.ndarray) -> Iterator[DatasetHit]:
        distinct = len(set(labels.tolist()))
        if distinct < 2:
            return
        refs = [self._refs[int(self._entries[r])] for r in rows.tolist()]
        examples: dict[int, list[EntryRef]] = {}
        for label, ref in zip(labels.tolist(), refs):
            if len(examples.setdefault(label, [])) < 5:
                examples[label].append(ref)
        for row, ref, label in zip(rows.tolist(), refs, labels.tolist()):
            others = [r for other, group in examples.items() if other != label for r in group][:5]
            msg = int(records[row]["message"])
            yield DatasetHit(ref, f"assistant message {msg} answers the same context as {listing(others, 4)} "
                                  f"differently ({distinct} different answers among {len(refs)} conversations)",
                             message_index=msg)


@register
class ConflictingAnswers(_ConflictingAnswers):
    """The same context is answered in materially different ways by different entries.

    What it does:
        Groups assistant turns by their context (system prompt and every earlier message,
        compared on their words: case, punctuation and spacing are ignored) and reports every
        entry of a group whose replies differ materially: less than ``same_answer_overlap``
        (default 0.5) of the shorter reply's content words (function words left out) are in
        the other, as estimated from MinHash sketches; or one opens with yes and the other
        with no; or they share at least ``near_identical`` (default 0.5) of their content
        words but not their claims (claims.py: negations, numbers, the sides of antonym
        pairs, counted as a multiset): the same reply with a negation added or dropped, a
        number changed or a word swapped for its antonym ("safe" / "dangerous"). Words, not
        meaning, are compared: a paraphrase in other words counts as a different answer.
        Contexts of fewer than ``short_words`` (default 4) words besides the system prompt are
        left to CT002.
    Why it matters:
        Two targets for one input teach the model that both are right: it learns to answer at
        random between them (a name, a fact, a policy), and training pulls in opposite directions.
    Example:
        Entry 3: "What is your name?" -> "I am Nova, made by Acme." and entry 8: "What is your
        name?" -> "My name is Claude."; entry 4: "Can I freeze cooked rice?" -> "Yes, it keeps
        for 3 months." and entry 9: the same question -> "Yes, it keeps for 6 months."
    Fix:
        None automatic: pick the answer that teaches what you mean and rewrite or drop the others.
    """

    code = "CT001"
    name = "conflicting-answers"
    family = Family.CONTRADICTION
    severity = Severity.WARNING
    observe_cost = 1.5  # measured on 100k entries (decoding included): a light check costs about 1


@register
class ConflictingShortPromptAnswers(_ConflictingAnswers):
    """A very short context ("Hi", "Thanks!") is answered differently by different entries.

    What it does:
        Like conflicting-answers (CT001), for contexts of fewer than ``short_words`` (default 4)
        words besides the system prompt: every entry of a group whose replies differ
        materially is reported, as information.
    Why it matters:
        A short generic prompt answered many ways may be welcome variety (greetings) or a
        contradiction (a persona that introduces itself under two names); only you can tell,
        and the model will learn the mix.
    Example:
        With the same system prompt, entry 2: "Hi" -> "Hello! I'm Nova." and entry 5: "Hi" ->
        "Hey, Sam here, what's up?"
    Fix:
        None automatic: check that the answers agree on what matters (identity, tone,
        facts); make them agree or drop the odd ones out.
    """

    code = "CT002"
    name = "conflicting-short-prompt-answers"
    family = Family.CONTRADICTION
    severity = Severity.INFO
    short = True
