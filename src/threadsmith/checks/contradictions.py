"""Contradiction checks (CT): the same context answered in materially different ways.

Each assistant turn that answers a user is keyed by a hash of its context: the system prompt and
every message before it, compared on their text with case, punctuation and spacing ignored (so
"What's your name?" and "what's your name" are the same context). Its reply is kept as a 16-slot
MinHash of its content words (function words left out), one byte a slot, with the number of
content words, the reply's yes/no polarity and a hash of its claim words (negations, numbers,
antonyms: claims.py): 32 bytes a turn in all (features.py computes them once per conversation).
At the end, contexts shared by several conversations whose replies differ materially are
reported on every member.

The context holds the earlier assistant turns too: two conversations that already parted ways
are not compared again on their later turns.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterator
from typing import ClassVar

import numpy as np

from threadsmith.checks.base import DatasetCheck, DatasetHit, EntryRef
from threadsmith.checks.features import SKETCH_SLOTS, features
from threadsmith.checks.near_duplicates import listing
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.model import Conversation, Family, Severity

SLOTS = SKETCH_SLOTS
#: Chance that two unrelated one-byte slots agree.
_CHANCE = 1 / 256
#: At most this many different answers are told apart in one group.
_MAX_ANSWERS = 64
_RECORD = struct.Struct("<H8s16sBBI")
#: One answering turn: message index, context key, reply sketch, content words (at most 255),
#: polarity (1: opens with yes, 2: with no, 0: neither) and claims hash.
RECORD = np.dtype([("message", "<u2"), ("context", "<u8"), ("sketch", "u1", (SLOTS,)), ("size", "u1"),
                   ("polarity", "u1"), ("claims", "<u4")])
assert RECORD.itemsize == _RECORD.size

#: ``(message index, context key, context words without the system prompt, record)``.
Turn = tuple[int, bytes, int, bytes]


def turns(conversation: Conversation) -> list[Turn]:
    """Every answering assistant turn with its context key and record (cached per conversation)."""
    f = features(conversation)
    found = f.cache.get("ct")
    if found is None:
        low, counts, claims = f.sketches()
        found = []
        for k, ((index, key, words), (_, reply)) in enumerate(zip(f.contexts(), f.turns)):
            record = _RECORD.pack(min(index, 0xFFFF), key, low[SLOTS * k:SLOTS * k + SLOTS], min(counts[k], 255),
                                  _POLARITY.get(reply[0], 0), claims[k])
            found.append((index, key, words, record))
        f.cache["ct"] = found
    return found


def overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated share of the smaller reply's content words found in the other (0 for yes against no).

    ``a`` and ``b`` are :data:`RECORD` rows. From the MinHash estimate of the Jaccard similarity
    J and the set sizes: ``|A & B| = J (|A| + |B|) / (1 + J)``, divided by ``min(|A|, |B|)``.
    "Paris." and "The capital of France is Paris." agree (1.0); "No, it's unsafe." and "Yes,
    it's fine." do not.
    """
    agree = (a["sketch"] == b["sketch"]).mean(axis=-1)
    jaccard = np.clip((agree - _CHANCE) / (1 - _CHANCE), 0.0, 1.0)
    size_a, size_b = a["size"].astype(float), b["size"].astype(float)
    common = jaccard * (size_a + size_b) / (1 + jaccard)
    share = np.clip(common / np.maximum(1.0, np.minimum(size_a, size_b)), 0.0, 1.0)
    pol_a, pol_b = a["polarity"], b["polarity"]
    return np.where((pol_a != pol_b) & (pol_a > 0) & (pol_b > 0), 0.0, share)


_POLARITY = {"yes": 1, "yeah": 1, "yep": 1, "sure": 1, "correct": 1, "absolutely": 1, "definitely": 1,
             "no": 2, "nope": 2, "not": 2, "never": 2, "incorrect": 2}


def answers(records: np.ndarray, same: float, near: float = 1.1) -> np.ndarray:
    """For each row, the index of the first earlier row that gives the same answer (itself if none).

    Two replies give the same answer when their overlap reaches ``same``, unless it reaches
    ``near`` (nearly the same words) and their claims differ: the same reply with a claim reversed.
    """
    labels = np.arange(len(records))
    reps: list[int] = []
    for i in range(len(records)):
        if reps:
            mine = records[i]
            sims = overlap(records[reps], mine)
            flipped = (sims >= near) & (records["claims"][reps] != mine["claims"])
            sims = np.where(flipped, 0.0, sims)
            best = int(np.argmax(sims))
            if sims[best] >= same:
                labels[i] = reps[best]
                continue
        if len(reps) < _MAX_ANSWERS:
            reps.append(i)
    return labels


class _ConflictingAnswers(DatasetCheck):
    """Shared by the contradiction checks: they differ in the contexts they look at."""

    #: True for the check about contexts of fewer than ``short_words`` words.
    short: ClassVar[bool] = False
    defaults = {"same_answer_overlap": 0.5, "near_identical": 0.5, "short_words": 4}

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._records = bytearray()
        self._counts = array("H")
        self._refs: list[EntryRef] = []

    def summarize(self, conversation: Conversation) -> bytes | None:
        limit = int(self.options["short_words"])
        found = turns(conversation)
        if all((t[2] < limit) == self.short for t in found):
            return b"".join(t[3] for t in found) or None
        return b"".join(t[3] for t in found if (t[2] < limit) == self.short) or None

    def observe(self, summary: bytes, ref: EntryRef) -> None:
        self._refs.append(ref)
        self._counts.append(min(len(summary) // RECORD.itemsize, 0xFFFF))
        self._records += summary

    def finish(self) -> Iterator[DatasetHit]:
        records = np.frombuffer(self._records, dtype=RECORD)
        self._entries = np.repeat(np.arange(len(self._refs)), np.frombuffer(self._counts, dtype=np.uint16))
        keys = records["context"]
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(keys) else np.empty(0, int)
        ends = np.r_[starts[1:], len(ordered)].astype(int)
        shared = ends - starts > 1
        for lo, hi in zip(starts[shared].tolist(), ends[shared].tolist()):
            yield from self._group(order[lo:hi], records)

    def _group(self, rows: np.ndarray, records: np.ndarray) -> Iterator[DatasetHit]:
        labels = answers(records[rows], float(self.options["same_answer_overlap"]), float(self.options["near_identical"]))
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
