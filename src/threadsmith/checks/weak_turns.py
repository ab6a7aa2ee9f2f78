"""Weak-turn checks (WT): minimal replies, echoes, replies far shorter than usual, non-responsive replies.

Each check looks at assistant turns against the user turn they answer (the message right before
them, when it is a user message). WT003 is dataset-wide: it compares each reply's length with
the replies to similar contexts (same length class of user turn, same system prompt bucket).
"""

from __future__ import annotations

import math
import zlib
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

from threadsmith.checks.base import ConversationCheck, DatasetCheck, DatasetHit, EntryRef, Hit
from threadsmith.checks.histograms import BIN_TABLE, LogHistogram, bin_value, log_bin
from threadsmith.checks.length import exchanges
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.checks.text import ngrams, view
from threadsmith.checks.weak_turn_text import (
    _ASKED_FOR_ACK,
    _SHORT_TRIGGERS,
    _asks,
    _asks_for_short,
    _other_script,
    _shares_a_stem,
    minimal_reply,
)
from threadsmith.model import Conversation, Family, Severity


def _excerpt(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


@register
class MinimalReply(ConversationCheck):
    """An assistant reply is only a generic acknowledgement ("Okay.", "Sure!", "I see.").

    What it does:
        Reports assistant turns whose whole text (besides a short *action*) is one or a few
        generic acknowledgements from a built-in list ("ok", "sure", "i see", "got it",
        "sounds good", "hmm", "interesting" ...), or only punctuation or emoji, within
        ``max_words`` words. Replies that may well be right ("Yes.", "Thank you!", "You're
        welcome.") are not on the list, and a reply is not reported when the user asked for a
        bare acknowledgement ("reply with OK if you understand").
    Why it matters:
        Fine-tuning amplifies what it sees: a few hundred "Sure!" targets teach a model that an
        empty nod is an acceptable answer, and it starts giving them where it should help.
    Example:
        user: "My sister is visiting next week and I have no idea what to cook." /
        assistant: "Okay."
    Fix:
        None automatic: write a reply that takes the user's turn up, or drop the example.
    """

    code = "WT001"
    name = "minimal-reply"
    family = Family.WEAK_TURN
    severity = Severity.WARNING
    defaults = {"max_words": 6}

    def check(self, conversation: Conversation) -> list[Hit]:
        max_words = int(self.options["max_words"])
        hits = []
        for i, words, user_words in exchanges(conversation)[4]:
            if words <= max_words:
                views = view(conversation)
                reply, user = views[i], views[i - 1] if user_words >= 0 else None
                if minimal_reply(reply, max_words) and not (user and _ASKED_FOR_ACK.search(user.folded)):
                    hits.append(Hit(i, f"assistant message {i} is only a generic acknowledgement: "
                                       f"{_excerpt(reply.text)!r}", fixable=False))
        return hits


def _bigrams(tokens: tuple[str, ...] | list[str]) -> set[tuple[str, ...]]:
    return set(ngrams(tokens, 2)) if len(tokens) > 1 else {tuple(tokens)}


def _sampled_containment(reply: tuple[str, ...], user: tuple[str, ...], needed: float) -> bool:
    """Whether about ``needed`` of the reply's word pairs occur in the user turn, judged on eight
    samples (cheap); stops as soon as too many samples are missing."""
    joined = f" {' '.join(user)} "
    last = len(reply) - 1
    samples = range(0, last, max(1, last // 8))
    if not samples:
        return needed <= 0
    allowed = len(samples) - needed * max(1, len(samples))  # misses the share still allows
    for k in samples:
        if f" {reply[k]} {reply[k + 1]} " not in joined:
            allowed -= 1
            if allowed < 0:
                return False
    return True


@register
class EchoReply(ConversationCheck):
    """An assistant reply largely repeats the user message it answers.

    What it does:
        Compares the word pairs of each assistant turn with those of the user turn right before
        it. Reports the reply when at least ``min_containment`` of its word pairs come from the
        user turn and it repeats at least ``min_coverage`` of the user turn's word pairs (in
        instruction datasets, where rewriting tasks legitimately copy text,
        ``instruction_min_coverage``). Sharing a few words or quoting one line is not an echo.
    Why it matters:
        A model trained on parroted replies learns to repeat the prompt instead of answering;
        echoes are a common failure of scraped chat logs and weak synthetic generations.
    Example:
        user: "I think we should head to the castle tonight." /
        assistant: "We should head to the castle tonight."
    Fix:
        None automatic: write a reply that answers the user, or drop the example.
    """

    code = "WT002"
    name = "echo-reply"
    family = Family.WEAK_TURN
    severity = Severity.WARNING
    defaults = {"min_words": 3, "min_containment": 0.7, "min_coverage": 0.6, "instruction_min_coverage": 0.85}

    def __init__(self, options: dict[str, Any] | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        coverage_key = "instruction_min_coverage" if self.context.kind == "instruction" else "min_coverage"
        self._coverage, self._containment = float(self.options[coverage_key]), float(self.options["min_containment"])
        self._min_words = int(self.options["min_words"])

    def check(self, conversation: Conversation) -> list[Hit]:
        min_coverage, min_containment, min_words = self._coverage, self._containment, self._min_words
        hits = []
        for i, r, u in exchanges(conversation)[4]:
            # Cheap bounds first: an echo has about as many words as the part of the user turn it repeats.
            if u < 0 or r < min_words or r > 2 * u + 2 or r < min_coverage * (u - 1):
                continue
            views = view(conversation)
            reply, user = views[i], views[i - 1]
            if not _sampled_containment(reply.words, user.words, min_containment - 0.25):
                continue
            if reply.folded.strip() == user.folded.strip():
                hits.append(Hit(i, f"assistant message {i} repeats the user's message word for word", fixable=False))
                continue
            rb, ub = _bigrams(reply.words), _bigrams(user.words)
            shared = len(rb & ub)
            if shared >= min_containment * len(rb) and shared >= min_coverage * len(ub):
                hits.append(Hit(i, f"assistant message {i} echoes the user's message: {_excerpt(reply.text)!r}",
                                fixable=False))
        return hits


@register
class NonResponsiveReply(ConversationCheck):
    """An assistant reply shares no content word with the question or task it answers.

    What it does:
        For user turns that ask something (they end with "?" or start with a wh-word) and have
        at least ``min_question_words`` content words, reports assistant replies of at least
        ``min_reply_words`` words that share no content word with the question (no five-letter
        stem of its content words, stop words left out, occurs in the reply). In instruction
        datasets every user turn is a task, so imperative ones ("Describe ...") are judged too
        (``questions_only``: "auto", true or false). In roleplay datasets (``in_roleplay``
        "auto") only single-exchange entries are judged, as tasks with at least
        ``roleplay_min_task_words`` content words: within a scene a fitting reply often shares
        no word with the line it answers, and a task's persona setup ("Imagine you are a
        detective ...") adds words an in-character reply need not repeat. Conservative by
        design, hence info: short direct answers ("Paris.") are never reported, nor translations.
    Why it matters:
        Replies that ignore the question (misaligned pairs after a bad merge, a reply generated
        for another prompt) teach the model to talk past the user.
    Example:
        user: "Which vegetables grow well in shady gardens?" /
        assistant: "The stock market closed higher today after a volatile week of trading."
    Fix:
        None automatic: check whether the turns were paired correctly; rewrite or drop.
    """

    code = "WT004"
    name = "non-responsive-reply"
    family = Family.WEAK_TURN
    severity = Severity.INFO
    defaults = {"min_question_words": 4, "min_reply_words": 8, "questions_only": "auto", "in_roleplay": "auto",
                "roleplay_min_task_words": 12}

    def __init__(self, options: dict[str, Any] | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        opts = self.options
        self._min_reply = int(opts["min_reply_words"])
        min_question, kind, questions_only = int(opts["min_question_words"]), self.context.kind, opts["questions_only"]
        in_roleplay = opts["in_roleplay"]
        #: (content words a user turn needs to be judged, whether only questions are), or None: judge nothing
        self._judged: tuple[int, bool] | None
        self._single_exchanges_only = False
        if kind == "roleplay" and in_roleplay is not True:
            # A single-exchange roleplay entry is a task ("You are a detective. Describe ..."):
            # judged when the task says enough; lines within a scene are not judged.
            self._single_exchanges_only = True
            self._judged = None if in_roleplay != "auto" else (
                max(min_question, int(opts["roleplay_min_task_words"])), questions_only is True)
        else:
            self._judged = (min_question, (kind != "instruction") if questions_only == "auto" else bool(questions_only))

    def check(self, conversation: Conversation) -> list[Hit]:
        if self._judged is None:
            return []
        min_question, questions_only = self._judged
        _, _, _, users, pairs = exchanges(conversation)
        if self._single_exchanges_only and users != 1:
            return []
        min_reply, hits = self._min_reply, []
        for i, r, u in pairs:
            if r < min_reply or u < min_question:  # u is -1 without a user turn
                continue
            views = view(conversation)
            reply, user = views[i], views[i - 1]
            if questions_only and not _asks(user):
                continue
            if _shares_a_stem(user.words, reply.folded, min_question):
                continue
            if "translat" in user.folded or _other_script(user.text, reply.text):
                continue
            hits.append(Hit(i, f"assistant message {i} shares no content word with the user turn it answers: "
                               f"{_excerpt(user.text, 40)!r} -> {_excerpt(reply.text, 40)!r}", fixable=False))
        return hits


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
        keys, packed, fewest = summary
        pending = self._pending
        pending += keys
        if len(pending) > self._flush_at:
            self._flush()
        if fewest <= self._max_limit:
            # Keep the reply while it could turn out short against the final statistics.
            limits = self._limits
            for key, p in zip(keys, packed):
                if p & _MAX_WORDS <= limits.get(key >> 7, math.inf):
                    self._candidates.append((ref, p >> 32, key >> 7, p & _MAX_WORDS))

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
