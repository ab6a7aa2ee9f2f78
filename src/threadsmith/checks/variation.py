"""Low-variation checks (LV): dataset-level diversity of replies, openers, system prompts and lengths.

Every finding here is about the whole dataset (``entry_index`` null); the entries behind it are
listed by the repetition checks (RP002-RP005). Each check decides only on datasets of at least
``min_entries`` conversations (default 50): on fewer, variety cannot be judged.

Only answering assistant turns count (greetings sent before the first user turn are left out),
as in the repetition checks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import itemgetter, mul

import numpy as np

from threadsmith.checks.base import DatasetCheck, DatasetHit, EntryRef
from threadsmith.checks.features import features
from threadsmith.checks.near_duplicates import SignatureObserver, SignatureStore, cluster, pending_signature
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.checks.repetition import BATCH_ITEMS, BatchedCounts, message_digests, openers, word_digest
from threadsmith.checks.text import view
from threadsmith.model import Conversation, Family, Severity

#: Words of one conversation that the lexical-diversity sample keeps, and sampled words measured.
SAMPLE_WORDS, MEASURED_WORDS = 64, 20_000


def mattr(tokens: list[str], window: int) -> float:
    """Moving-average type-token ratio: the mean share of distinct tokens in every window.

    Computed without sliding: token i adds one distinct token to every window that holds it and
    starts after the token's previous occurrence.
    """
    n = len(tokens)
    if n <= window:
        return len(set(tokens)) / max(1, n)
    index: dict[str, int] = {}
    ids = np.array([index.setdefault(t, len(index)) for t in tokens], dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    previous = np.full(n, -1, dtype=np.int64)
    same = ids[order[1:]] == ids[order[:-1]]
    previous[order[1:][same]] = order[:-1][same]
    at = np.arange(n)
    first = np.maximum(np.maximum(at - window + 1, previous + 1), 0)
    last = np.minimum(at, n - window)
    total = int(np.maximum(last - first + 1, 0).sum())
    return total / (window * (n - window + 1))


def distinct(tokens: list[str], n: int) -> float:
    """Share of distinct n-grams among all n-grams of ``tokens``."""
    grams = list(zip(*(tokens[i:] for i in range(n))))
    return len(set(grams)) / max(1, len(grams))


@register
class LowLexicalDiversity(DatasetCheck):
    """The assistant replies use a small, repetitive vocabulary across the dataset.

    What it does:
        Keeps a random sample of up to ``sample`` conversations (default 2000), the first 64
        reply words of each, and measures on the sampled words (at most 20,000) the
        moving-average type-token ratio over windows of 50 words (MATTR, independent of the
        sample's size) and the share of distinct word pairs among the first 2,000 sampled
        words (distinct-2). Reports when MATTR falls below ``min_mattr`` (default 0.5) or
        distinct-2 below ``min_distinct2`` (default 0.35); varied text scores about 0.7 and
        0.8. Samples of fewer than ``min_words`` words (default 500) are not judged.
    Why it matters:
        A dataset that says the same few things in the same few words teaches a narrow, flat
        style: the model repeats itself and loses range on inputs unlike the training data.
    Example:
        500 replies that are all variants of "I am Nova, an assistant made by Acme."
    Fix:
        None automatic: add varied examples (topics, phrasings, lengths), or deduplicate the
        repetitive ones.
    """

    code = "LV001"
    name = "low-lexical-diversity"
    family = Family.LOW_VARIATION
    severity = Severity.WARNING
    observe_cost = 1.0  # measured on 100k entries (decoding included): a light check costs about 1
    defaults = {"min_mattr": 0.5, "min_distinct2": 0.35, "sample": 2000, "min_entries": 50, "min_words": 500}

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._seen = 0
        self._size = int(self.options["sample"])
        #: The first reply words of the sampled conversations, joined by spaces.
        self._sample: list[str] = []
        self._random = np.random.default_rng(20_240_611)

    def summarize(self, conversation: Conversation) -> str | None:
        f = features(conversation)
        words: list[str] = []
        for bound, (_, turn) in zip(f.bounds, f.turns):  # the answering turns the stream prefix holds
            if bound >= f.prefix or len(words) >= SAMPLE_WORDS:
                break
            words += turn[:SAMPLE_WORDS - len(words)]
        return " ".join(words) or None

    def observe(self, summary: str, ref: EntryRef) -> None:
        self.observe_many([summary], [ref])

    def observe_many(self, summaries: Sequence[str | None], refs: Sequence[EntryRef]) -> None:
        """Reservoir sampling: the first ``sample`` summaries are kept, then the n-th replaces a
        random kept one with chance sample/n (one uniform draw per summary, drawn a batch at once)."""
        kept = [s for s in summaries if s is not None] if None in summaries else list(summaries)
        size, sample = self._size, self._sample
        room = min(len(kept), size - len(sample))
        if room > 0:
            sample += kept[:room]
            kept = kept[room:]
        self._seen += room
        if not kept:
            return
        seen = np.arange(self._seen + 1, self._seen + len(kept) + 1, dtype=np.float64)
        slots = (self._random.random(len(kept)) * seen).astype(np.int64)
        hits = np.flatnonzero(slots < size)
        for at, slot in zip(hits.tolist(), slots[hits].tolist()):  # in order: a later draw overwrites an earlier
            sample[slot] = kept[at]
        self._seen += len(kept)

    def finish(self) -> Iterator[DatasetHit]:
        tokens: list[str] = []
        for words in self._sample:
            tokens += words.split()
            if len(tokens) >= MEASURED_WORDS:
                break
        tokens = tokens[:MEASURED_WORDS]
        if self._seen < self.options["min_entries"] or len(tokens) < self.options["min_words"]:
            return
        ratio = mattr(tokens, 50)
        pairs = distinct(tokens[:2000], 2)
        if ratio < self.options["min_mattr"] or pairs < self.options["min_distinct2"]:
            yield DatasetHit(None, f"assistant replies have low lexical diversity: MATTR {ratio:.2f} "
                                   f"(varied text: about 0.7), distinct word pairs {pairs:.0%} "
                                   f"(over {len(tokens):,} words of {len(self._sample):,} sampled conversations)")


@register
class OpenerConcentration(DatasetCheck):
    """A few openers start most of the assistant replies.

    What it does:
        Counts the first ``words`` words (default 3) of every answering assistant turn and
        reports when the most common opener starts at least ``max_top_share`` of the turns
        (default 20%) or the ten most common together start at least ``max_top10_share``
        (default 50%). The turns that carry an over-represented opener are listed by
        overused-opener (RP003).
    Why it matters:
        The opening words set the course of a reply; a model trained on a handful of openings
        starts nearly every answer the same way.
    Example:
        60% of the replies begin with one of "Certainly! Here's", "Sure, here is", "Of course!".
    Fix:
        None automatic: vary the openings: rewrite some, and add examples that get straight
        to the point.
    """

    code = "LV002"
    name = "opener-concentration"
    family = Family.LOW_VARIATION
    severity = Severity.WARNING
    observe_cost = 2.5  # measured on 100k entries (decoding included): a light check costs about 1
    defaults = {"words": 3, "max_top_share": 0.2, "max_top10_share": 0.5, "min_entries": 50}

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._words = int(self.options["words"])
        self._openers = BatchedCounts(512)
        self._entries = 0

    def summarize(self, conversation: Conversation) -> str | None:
        return openers(features(conversation), self._words)[1] or None  # openers joined by newlines

    def observe(self, summary: str, ref: EntryRef) -> None:
        self.observe_many([summary], [ref])

    def observe_many(self, summaries: Sequence[str | None], refs: Sequence[EntryRef]) -> None:
        kept = [s for s in summaries if s is not None]
        if kept:
            self._entries += len(kept)
            self._openers.extend("\n".join(kept).split("\n"))

    def finish(self) -> Iterator[DatasetHit]:
        total = self._openers.total
        if self._entries < self.options["min_entries"] or not total:
            return
        top = self._openers.top(10)
        first = top[0][1] / total
        ten = sum(c for _, c in top) / total
        if first >= self.options["max_top_share"] or ten >= self.options["max_top10_share"]:
            named = ", ".join(f"'{t}' ({c / total:.0%})" for t, c in top[:3])
            yield DatasetHit(None, f"the 10 most common openers start {ten:.0%} of {total:,} assistant turns "
                                   f"(most common: {named})")


@register
class SystemPromptConcentration(DatasetCheck):
    """Nearly every conversation has the same system prompt.

    What it does:
        Counts system prompts (compared on their words) and reports, as information, when one
        prompt is on at least ``max_share`` (default 90%) of the conversations. Roleplay
        datasets are not reported: one character's conversations rightly share its card.
    Why it matters:
        The model ties what it learned to that exact prompt: with any other system prompt at
        inference it behaves less like its training, and the prompt's tokens are trained
        thousands of times for nothing.
    Example:
        9,800 of 10,000 conversations start with "You are a helpful assistant."
    Fix:
        None automatic: use the same prompt at inference, or vary it (paraphrases, task-
        specific prompts, none).
    """

    code = "LV003"
    name = "system-prompt-concentration"
    family = Family.LOW_VARIATION
    severity = Severity.INFO
    defaults = {"max_share": 0.9, "min_entries": 50}

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._prompts = BatchedCounts(64)
        self._excerpts: dict[bytes, str] = {}
        self._pending: dict[bytes, str] = {}

    def summarize(self, conversation: Conversation) -> tuple[bytes, str]:
        views = view(conversation)
        prompts = [i for i, v in enumerate(views) if v[0] == "system"]
        if not prompts:
            return b"", ""
        digests = message_digests(features(conversation))  # a system prompt's is word_digest()'s
        key = b"".join([digests[8 * i:8 * i + 8] if 8 * i < len(digests) else word_digest("system", views[i][3])
                        for i in prompts])
        return key, views[prompts[0]][1][:60]

    def observe(self, summary: tuple[bytes, str], ref: EntryRef) -> None:
        key, excerpt = summary
        self._prompts.extend((key,))
        self._pending.setdefault(key, excerpt)
        if not self._prompts.pending:  # just counted: keep the excerpts of the prompts still counted
            kept = self._prompts.heavy.counts
            self._excerpts = {k: v for k, v in {**self._pending, **self._excerpts}.items() if k in kept}
            self._pending = {}

    def observe_many(self, summaries: Sequence[tuple[bytes, str] | None], refs: Sequence[EntryRef]) -> None:
        """observe() over a batch: up to each count of the gathered prompts, one extend and the excerpts."""
        kept = [s for s in summaries if s is not None]
        prompts, at = self._prompts, 0
        while at < len(kept):
            part = kept[at:at + BATCH_ITEMS - len(prompts.pending)]  # what fills the batch, at most
            at += len(part)
            excerpts = self._pending
            for key, excerpt in part:
                if key not in excerpts:
                    excerpts[key] = excerpt
            prompts.extend([key for key, _ in part])
            if not prompts.pending:  # just counted, as observe() does
                counted = prompts.heavy.counts
                self._excerpts = {k: v for k, v in {**self._pending, **self._excerpts}.items() if k in counted}
                self._pending = {}

    def finish(self) -> Iterator[DatasetHit]:
        total = self._prompts.total
        if self.context.kind == "roleplay" or total < self.options["min_entries"]:
            return
        key, count = self._prompts.top(1)[0]
        excerpt = self._excerpts.get(key) or self._pending.get(key, "")
        if key and count / total >= self.options["max_share"]:
            yield DatasetHit(None, f"{count / total:.0%} of the conversations ({count:,} of {total:,}) share one "
                                   f"system prompt: '{excerpt}'")


@register
class UniformReplyLength(DatasetCheck):
    """The assistant replies are all about the same length.

    What it does:
        Measures the word count of every answering assistant turn and reports when their
        coefficient of variation (standard deviation / mean) is below ``max_cv`` (default
        0.15) over at least ``min_entries`` conversations; real replies vary far more
        (usually 0.5 to 1).
    Why it matters:
        The model learns the length along with the content: it pads short answers and cuts
        long ones to the one size it saw.
    Example:
        Every reply is 90 to 110 words long, whatever the question.
    Fix:
        None automatic: let reply length follow the question: add short answers to simple
        questions and long ones to hard questions.
    """

    code = "LV004"
    name = "uniform-reply-length"
    family = Family.LOW_VARIATION
    severity = Severity.WARNING
    defaults = {"max_cv": 0.15, "min_entries": 50}

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._entries = 0
        self._n = 0
        self._sum = 0.0
        self._squares = 0.0

    def summarize(self, conversation: Conversation) -> tuple[int, int, int] | None:
        lengths = list(map(len, map(itemgetter(1), features(conversation).turns)))
        if not lengths:
            return None
        return len(lengths), sum(lengths), sum(map(mul, lengths, lengths))

    def observe(self, summary: tuple[int, int, int], ref: EntryRef) -> None:
        self._entries += 1
        self._n += summary[0]
        self._sum += summary[1]
        self._squares += summary[2]

    def observe_many(self, summaries: Sequence[tuple[int, int, int] | None], refs: Sequence[EntryRef]) -> None:
        entries, n, total, squares = self._entries, self._n, self._sum, self._squares
        for summary in summaries:  # as observe(), in order: the float sums round the same
            if summary is not None:
                entries += 1
                n += summary[0]
                total += summary[1]
                squares += summary[2]
        self._entries, self._n, self._sum, self._squares = entries, n, total, squares

    def finish(self) -> Iterator[DatasetHit]:
        if self._entries < self.options["min_entries"] or not self._sum:
            return
        mean = self._sum / self._n
        cv = max(0.0, self._squares / self._n - mean * mean) ** 0.5 / mean
        if cv < self.options["max_cv"]:
            yield DatasetHit(None, f"assistant replies are nearly all the same length: {mean:.0f} words on average, "
                                   f"coefficient of variation {cv:.2f} over {self._n:,} replies "
                                   "(varied data: 0.5 or more)")


@register
class NearDuplicateMass(SignatureObserver, DatasetCheck):
    """A large share of the conversations belong to clusters of near-duplicates.

    What it does:
        Clusters the conversations by MinHash similarity of their assistant replies (as
        near-duplicate, RP002, with its own ``threshold``, default 0.7, and counting identical
        replies too) and reports when at least ``max_share`` of them (default 30%) have a
        near-duplicate. RP002, RP005 and RP001 list the entries.
    Why it matters:
        When much of a dataset is variations on a few templates, its real size is far smaller
        than its row count: the model overfits the templates and learns little else.
    Example:
        350 of 500 conversations are rewordings of four template replies.
    Fix:
        None automatic: deduplicate the clusters (keep one or a few members of each) and add
        genuinely different examples.
    """

    code = "LV005"
    name = "near-duplicate-mass"
    family = Family.LOW_VARIATION
    severity = Severity.WARNING
    observe_cost = 2.0  # measured on 100k entries (decoding included): a light check costs about 1
    defaults = {"threshold": 0.7, "max_share": 0.3, "min_entries": 50}

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._store = SignatureStore(slots=32, keep_refs=False)

    def summarize(self, conversation: Conversation) -> list | None:
        return pending_signature(features(conversation))

    def finish(self) -> Iterator[DatasetHit]:
        sigs = self._store.matrix()
        if len(sigs) < self.options["min_entries"]:
            return
        labels, _ = cluster(sigs, float(self.options["threshold"]))
        sizes = np.bincount(labels, minlength=len(labels))
        clustered = int((sizes[labels] > 1).sum())
        share = clustered / len(labels)
        if share >= self.options["max_share"]:
            clusters = int((sizes > 1).sum())
            yield DatasetHit(None, f"{share:.0%} of the conversations ({clustered:,} of {len(labels):,}) have a "
                                   f"near-duplicate, in {clusters:,} clusters (the largest has {int(sizes.max()):,})")
