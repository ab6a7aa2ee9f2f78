"""Contradiction checks (CT): the same context answered in materially different ways.

Each assistant turn that answers a user is keyed by a hash of its context: the system prompt and
every message before it, compared on their words (case, punctuation and spacing ignored, so
"What's your name?" and "what's your name" are the same context). Its reply is kept as a 16-slot
MinHash of its content-word set, one byte a slot, with the set's size and the reply's
yes/no polarity (about 32 bytes a turn in all). At the end, contexts
shared by several conversations whose replies differ materially are reported on every member.

The context holds the earlier assistant turns too: two conversations that already parted ways
are not compared again on their later turns.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from hashlib import blake2b
from typing import ClassVar

import numpy as np
from rensa import RMinHash

from threadsmith.checks.base import DatasetCheck, DatasetHit, EntryRef
from threadsmith.checks.near_duplicates import listing
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.checks.text import view
from threadsmith.model import Conversation, Family, Severity

SLOTS = 16
_SEED = 2_718_281
#: Chance that two unrelated one-byte slots agree.
_CHANCE = 1 / 256
#: At most this many different answers are told apart in one group.
_MAX_ANSWERS = 64

#: Function words left out of a reply's word set (negations and yes/no are kept: they carry the answer).
STOPWORDS = frozenset(
    "a an the and or but if then so of to in on at by for with from as is are was were be been being am "
    "i i'm me my you your it it's its this that these those there here he she they we our their his her "
    "do does did have has had will would can could should may might shall just also very really too "
    "what which who whom how when where why some any all each more most much many such than".split())
_POLARITY = {"yes": 1, "yeah": 1, "yep": 1, "sure": 1, "correct": 1, "absolutely": 1, "definitely": 1,
             "no": 2, "nope": 2, "not": 2, "never": 2, "incorrect": 2}

#: ``(message index, context hash, context words without the system prompt, reply sketch)``;
#: the sketch ends with two bytes: the number of distinct content words (at most 255) and the
#: reply's polarity (1: opens with yes, 2: with no, 0: neither).
Turn = tuple[int, int, int, bytes]

_last: tuple[Conversation | None, tuple[Turn, ...]] = (None, ())


def turns(conversation: Conversation) -> tuple[Turn, ...]:
    """Every answering assistant turn with its context key and reply sketch (cached per conversation)."""
    global _last
    if _last[0] is conversation:
        return _last[1]
    out: list[Turn] = []
    context = blake2b(digest_size=8)
    words = 0
    answered = False
    for i, v in enumerate(view(conversation)):
        if v.role == "assistant" and answered and v.words:
            content = set(v.words) - STOPWORDS or set(v.words)
            sketch = RMinHash(SLOTS, _SEED)
            sketch.update(content)
            key = int.from_bytes(context.digest(), "little")
            tail = bytes((min(255, len(content)), _POLARITY.get(v.words[0], 0)))
            out.append((i, key, words, array("I", sketch.digest()).tobytes()[::4] + tail))
        answered = answered or v.role == "user"
        if v.role != "system":
            words += len(v.words)
        context.update(("\x1e" + v.role + "\x1f" + "\x1f".join(v.words)).encode("utf-8", "surrogatepass"))
    _last = (conversation, tuple(out))
    return _last[1]


def overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated share of the smaller reply's content words found in the other (0 for yes against no).

    From the MinHash estimate of the Jaccard similarity J and the set sizes:
    ``|A & B| = J (|A| + |B|) / (1 + J)``, divided by ``min(|A|, |B|)``. "Paris." and
    "The capital of France is Paris." agree (1.0); "No, it's unsafe." and "Yes, it's fine." do not.
    """
    agree = (a[..., :SLOTS] == b[..., :SLOTS]).mean(axis=-1)
    jaccard = np.clip((agree - _CHANCE) / (1 - _CHANCE), 0.0, 1.0)
    size_a, size_b = a[..., SLOTS].astype(float), b[..., SLOTS].astype(float)
    common = jaccard * (size_a + size_b) / (1 + jaccard)
    share = np.clip(common / np.maximum(1.0, np.minimum(size_a, size_b)), 0.0, 1.0)
    pol_a, pol_b = a[..., SLOTS + 1], b[..., SLOTS + 1]
    return np.where((pol_a != pol_b) & (pol_a > 0) & (pol_b > 0), 0.0, share)


def answers(sketches: np.ndarray, same: float) -> np.ndarray:
    """For each row, the index of the first earlier row that gives the same answer (itself if none)."""
    labels = np.arange(len(sketches))
    reps: list[int] = []
    for i in range(len(sketches)):
        if reps:
            sims = overlap(sketches[reps], sketches[i])
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
    defaults = {"same_answer_overlap": 0.5, "short_words": 4}

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._contexts = array("Q")
        self._entries = array("I")
        self._messages = array("H")
        self._sketches = bytearray()
        self._refs: list[EntryRef] = []

    def summarize(self, conversation: Conversation) -> tuple[Turn, ...] | None:
        limit = int(self.options["short_words"])
        mine = tuple(t for t in turns(conversation) if (t[2] < limit) == self.short)
        return mine or None

    def observe(self, summary: tuple[Turn, ...], ref: EntryRef) -> None:
        entry = len(self._refs)
        self._refs.append(ref)
        for index, key, _, sketch in summary:
            self._contexts.append(key)
            self._entries.append(entry)
            self._messages.append(min(index, 0xFFFF))
            self._sketches += sketch

    def finish(self) -> Iterator[DatasetHit]:
        keys = np.frombuffer(self._contexts, dtype=np.uint64)
        sketches = np.frombuffer(bytes(self._sketches), dtype=np.uint8).reshape(-1, SLOTS + 2)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(keys) else np.empty(0, int)
        ends = np.r_[starts[1:], len(ordered)].astype(int)
        shared = ends - starts > 1
        for lo, hi in zip(starts[shared].tolist(), ends[shared].tolist()):
            yield from self._group(order[lo:hi], sketches)

    def _group(self, rows: np.ndarray, sketches: np.ndarray) -> Iterator[DatasetHit]:
        labels = answers(sketches[rows], float(self.options["same_answer_overlap"]))
        distinct = len(set(labels.tolist()))
        if distinct < 2:
            return
        refs = [self._refs[self._entries[r]] for r in rows.tolist()]
        examples: dict[int, list[EntryRef]] = {}
        for label, ref in zip(labels.tolist(), refs):
            if len(examples.setdefault(label, [])) < 5:
                examples[label].append(ref)
        for row, ref, label in zip(rows.tolist(), refs, labels.tolist()):
            others = [r for other, group in examples.items() if other != label for r in group][:5]
            msg = self._messages[row]
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
        the other, as estimated from MinHash sketches, or one opens with yes and the other
        with no. Words, not meaning, are compared: a paraphrase in other words counts as a
        different answer. Contexts of fewer than ``short_words`` (default 4)
        words besides the system prompt are left to CT002.
    Why it matters:
        Two targets for one input teach the model that both are right: it learns to answer at
        random between them (a name, a fact, a policy), and training pulls in opposite directions.
    Example:
        Entry 3: "What is your name?" -> "I am Nova, made by Acme." and entry 8: "What is your
        name?" -> "My name is Claude."
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
