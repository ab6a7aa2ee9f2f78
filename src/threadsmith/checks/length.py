"""Length checks (LN): token budgets and extreme user/assistant length ratios.

Also home of small length tools other checks share (the robust statistics are in
:mod:`threadsmith.checks.histograms`, the budget fixes in :mod:`threadsmith.checks.windows`):

* the token estimator behind LN001, pluggable: :func:`register_estimator` lets the export
  layer put a real tokenizer in place of :func:`fast_token_estimate` (option ``estimator``);
* :func:`exchanges`, each assistant turn with the user turn it answers and both word counts,
  computed once per conversation for the length and weak-turn checks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from threadsmith.checks.base import ConversationCheck, DatasetCheck, DatasetHit, EntryRef, Hit
from threadsmith.checks.histograms import BIN_TABLE, LogHistogram, bin_value, log_bin
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.checks.text import view
from threadsmith.checks.windows import FIX_STRATEGIES, fitting_windows, truncate_at_turn
from threadsmith.errors import UserError
from threadsmith.model import Conversation, Family, FixSafety, Severity


# ---------------------------------------------------------------------------------------------
# Token estimation (pluggable)

#: Counts the tokens of one text.
TokenCounter = Callable[[str], int]
#: Builds a counter from the check's options (so a real tokenizer can read e.g. ``tokenizer``).
EstimatorFactory = Callable[[Mapping[str, Any]], TokenCounter]


def fast_token_estimate(text: str) -> int:
    """About how many tokens ``text`` takes, without a tokenizer (about a microsecond per message).

    The mean of two rules of thumb for BPE tokenizers on English, four characters a token and
    1.3 tokens a whitespace-separated word, plus 0.3 a byte for each byte a character takes in
    UTF-8 beyond the first (non-Latin scripts split into more tokens; CJK, written without
    spaces, gets about 0.7 a character). Against the Qwen2 tokenizer on GPTeacher and the
    example datasets it reads about 20% high (median ratio 1.20, 90% of texts within 1.00-1.32):
    on the safe side for a budget. Replace it with a real tokenizer via :func:`register_estimator`.
    """
    estimate = (len(text) / 4 + len(text.split()) * 1.3) / 2
    if not text.isascii():
        estimate += 0.3 * (len(text.encode("utf-8", "surrogatepass")) - len(text))
    return math.ceil(estimate)


def fast_token_bound(text: str) -> float:
    """An upper bound of :func:`fast_token_estimate` that costs almost nothing (no split).

    A word takes at least two characters with its space, so words x 1.3 <= 0.65 x characters
    and the mean is at most 0.45 a character (1.35 with three extra UTF-8 bytes), +2 for rounding.
    """
    return len(text) * (0.45 if text.isascii() else 1.35) + 2


_ESTIMATORS: dict[str, EstimatorFactory] = {"fast": lambda options: fast_token_estimate}


def register_estimator(name: str, factory: EstimatorFactory) -> None:
    """Make a token counter available as LN001's ``estimator`` option (e.g. a real tokenizer)."""
    _ESTIMATORS[name] = factory


def token_counter(name: str, options: Mapping[str, Any] | None = None) -> TokenCounter:
    """The token counter registered as ``name``."""
    factory = _ESTIMATORS.get(name)
    if factory is None:
        raise UserError(f"No token estimator is called {name!r}; known: {', '.join(sorted(_ESTIMATORS))}.")
    return factory(options or {})


# ---------------------------------------------------------------------------------------------
# Exchanges: computed once per conversation, shared by LN002 and the weak-turn checks

#: (index of a non-blank assistant message, its words, the words of the user message right before
#: it or -1 when the message before is no user message). Indexes, not views: the views of a
#: conversation are freed with view()'s cache, not kept alive by this one.
Exchange = tuple[int, int, int]
#: (first system message's text or "", characters of all messages, messages, user messages, exchanges)
Exchanges = tuple[str, int, int, int, tuple[Exchange, ...]]

_exchanges_last: tuple[Conversation | None, Exchanges] = (None, ("", 0, 0, 0, ()))


def exchanges(conversation: Conversation) -> Exchanges:
    """Each non-blank assistant turn with the word counts of it and of the user turn right before
    it, plus a few counts of the conversation (see ``Exchanges``).
    Cached for the conversation being checked, like :func:`threadsmith.checks.text.view`; a plain
    tuple, the cheapest thing to build and read."""
    global _exchanges_last
    cached, found = _exchanges_last
    if cached is conversation:
        return found
    views = view(conversation)
    system, pairs, previous, chars, users = "", [], None, 0, 0
    for i, v in enumerate(views):
        role, text, _, words = v
        chars += len(text)
        if role == "assistant":
            if text and not text.isspace():
                user = previous is not None and previous[0] == "user"
                pairs.append((i, len(words), len(previous[3]) if user else -1))
        elif role == "user":
            users += 1
        elif role == "system" and not system:
            system = text
        previous = v
    found = (system, chars, len(views), users, tuple(pairs))
    _exchanges_last = (conversation, found)
    return found


# ---------------------------------------------------------------------------------------------
# Checks


@register
class TokenBudget(ConversationCheck):
    """A conversation is longer than the token budget.

    What it does:
        Without a tokenizer, estimates the tokens of every message (plus ``message_overhead``
        tokens each for the chat template) and reports conversations over ``budget`` tokens,
        naming the longest message. The default ``estimator`` ("fast") is the mean of
        characters/4 and words x 1.3, plus one token per CJK character; another counter can be
        plugged in with ``threadsmith.checks.length.register_estimator``. With a tokenizer
        (``audit --tokenizer T``), counts exactly: the conversation rendered by the chat
        template, against ``--max-tokens`` when given, else ``budget``.
    Why it matters:
        Trainers truncate at the maximum sequence length: the end of an over-long example, and
        often the whole final assistant reply, is silently cut and trained as if it ended there.
    Example:
        A 40-turn roleplay of 21,000 characters (about 6,100 tokens) with a 4,096-token budget.
    Fix:
        Unsafe, and only with a tokenizer: ``fix_strategy`` "truncate" (default) keeps the
        longest run of whole turns that ends with an assistant reply and fits (the entry is
        dropped when no reply fits), "drop" leaves the entry out, "split" cuts the entry into
        windows of whole exchanges that each fit and each keep the system prompt (a window still
        over the budget, one exchange too long on its own, is left out; see
        :func:`threadsmith.checks.windows.split_windows`). Without a tokenizer there is no
        automatic fix: split, trim, or raise the budget.
    """

    code = "LN001"
    name = "token-budget"
    family = Family.LENGTH
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    fix_description = "truncate at a turn boundary, split into windows or drop (fix_strategy; needs a tokenizer)"
    defaults = {"budget": 4096, "estimator": "fast", "message_overhead": 4, "fix_strategy": "truncate"}

    def __init__(self, options: Mapping[str, Any] | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._count = token_counter(str(self.options["estimator"]), self.options)
        self._fast = self._count is fast_token_estimate
        self._budget, self._overhead = int(self.options["budget"]), int(self.options["message_overhead"])
        self._tokenizer = self.context.tokenizer
        if self._tokenizer is not None and self.context.max_tokens:
            self._budget = int(self.context.max_tokens)
        self._strategy = str(self.options["fix_strategy"])
        if self._strategy not in FIX_STRATEGIES:
            raise UserError(f"LN001 fix_strategy must be {', '.join(FIX_STRATEGIES[:-1])} or none, "
                            f"not {self._strategy!r}.")

    def check(self, conversation: Conversation) -> list[Hit]:
        if self._tokenizer is not None:
            return self._counted(conversation)
        budget, overhead = self._budget, self._overhead
        if self._fast:
            _, chars, messages, _, _ = exchanges(conversation)
            # Every estimate is at most 1.35 tokens a character (+2): most conversations stop here.
            if chars * 1.35 + (overhead + 2) * messages <= budget:
                return []
            texts = [v.text for v in view(conversation)]
            if sum(map(fast_token_bound, texts)) + overhead * len(texts) <= budget:
                return []
        messages = conversation.messages
        sizes = [self._count(m.text) + overhead for m in messages]
        total = sum(sizes)
        if total <= budget:
            return []
        longest = max(range(len(sizes)), key=sizes.__getitem__)
        how = "estimated" if self._fast else "counted"
        return [Hit(None, f"conversation has about {total:,} tokens ({how}), over the {budget:,}-token budget; "
                          f"the longest is message {longest} ({messages[longest].role}, {sizes[longest]:,} tokens)",
                    fixable=False)]

    def prepare(self, conversations: Sequence[Conversation]) -> None:
        if self._tokenizer is not None:
            from threadsmith.checks.template import prepare_renderings

            prepare_renderings(self._tokenizer, conversations, self.context.train_on)

    def _counted(self, conversation: Conversation) -> list[Hit]:
        from threadsmith.checks.template import token_counts

        counts = token_counts(self._tokenizer, conversation, self.context.train_on)
        if counts.total <= self._budget or not counts.per_message:
            return []
        sizes = counts.per_message
        longest = max(range(len(sizes)), key=sizes.__getitem__)
        how = f"template {self._tokenizer.template_name!r}" if counts.templated else "no template: it does not render"
        return [Hit(None, f"conversation has {counts.total:,} tokens ({how}), over the {self._budget:,}-token budget; "
                          f"the longest is message {longest} ({conversation.messages[longest].role}, "
                          f"{sizes[longest]:,} tokens)", fixable=self._strategy != "none")]

    def fix(self, conversation: Conversation) -> Conversation | tuple[Conversation, ...] | None:
        if self._tokenizer is None or self._strategy == "none":
            return conversation
        if self._tokenizer.count([conversation])[0].total <= self._budget:
            return conversation
        if self._strategy == "drop":
            return None
        if self._strategy == "split":
            return fitting_windows(conversation, self._tokenizer, self._budget)
        return truncate_at_turn(conversation, self._tokenizer, self._budget)


_RATIO_OFFSET = 48  # bin of ratio 1:1 in the ratio histogram


def _ratio_bin(reply_words: int, user_words: int) -> int:
    """Log-scale bin of (reply + 1) / (user + 1), ``_RATIO_OFFSET`` for equal lengths."""
    return log_bin(reply_words) - log_bin(user_words) + _RATIO_OFFSET


#: _ratio_byte by the difference of the two log bins (negative differences index from the end).
_RATIO_BYTES = [max(0, min(2 * _RATIO_OFFSET - 1, d + _RATIO_OFFSET)) for d in range(128)] + \
    [max(0, min(2 * _RATIO_OFFSET - 1, d + _RATIO_OFFSET)) for d in range(-128, 0)]


def _ratio_byte(reply_words: int, user_words: int) -> int:
    """:func:`_ratio_bin` clipped into the histogram's range (0-95): one byte."""
    bins = BIN_TABLE
    if reply_words < 4096 and user_words < 4096:
        bin_ = bins[reply_words] - bins[user_words] + _RATIO_OFFSET
    else:
        bin_ = _ratio_bin(reply_words, user_words)
    return 0 if bin_ < 0 else 2 * _RATIO_OFFSET - 1 if bin_ >= 2 * _RATIO_OFFSET else bin_


@register
class LengthRatio(DatasetCheck):
    """A reply is extremely long for a tiny user turn, or extremely short for a long one.

    What it does:
        For every assistant turn answering a user turn, compares their word counts. A pair is
        extreme when one side is at least ``min_ratio`` times the other and the longer side has
        at least ``min_long_words`` words (a one-word prompt with a 2,000-word reply; a
        400-word prompt answered "Yes."). When the dataset has ``min_support`` pairs or more,
        an extreme pair is reported only if its ratio is also more than ``mad_factor`` robust
        deviations (MAD, log scale) from the dataset's median ratio, so datasets where short
        prompts get long answers (story writing) or long texts get one-word labels
        (classification) are judged against themselves.
    Why it matters:
        Extreme pairs are usually broken: a reply pasted under the wrong prompt, a run-on
        generation, a context dump answered with nothing. They dominate the loss of their batch
        and teach the model lengths that fit no prompt.
    Example:
        user: "Hi" / assistant: a 2,300-word essay on medieval trade routes.
    Fix:
        None automatic: check the pairing, trim or split the reply, or drop the example.
    """

    code = "LN002"
    name = "length-ratio"
    family = Family.LENGTH
    severity = Severity.WARNING
    defaults = {"min_ratio": 50, "min_long_words": 200, "min_support": 50, "mad_factor": 3.5}

    def __init__(self, options: Mapping[str, Any] | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._ratios = LogHistogram(2 * _RATIO_OFFSET)
        self._min_ratio, self._long_words = float(self.options["min_ratio"]), int(self.options["min_long_words"])
        #: Ratio bins not yet counted (counted in bulk: one C-level extend per entry).
        self._pending = bytearray()
        #: (ref, message index, user words, reply words) of the extreme pairs.
        self._extreme: list[tuple[EntryRef, int, int, int]] = []

    def summarize(self, conversation: Conversation) -> bytes | tuple[bytes, tuple[tuple[int, int, int], ...]] | None:
        """The ratio bin of each reply to a user turn, and the extreme pairs (index, user words, reply words)."""
        bins, extreme, long_words = [], (), self._long_words
        for i, r, u in exchanges(conversation)[4]:
            if u >= 0:  # a reply to a user turn
                if r < 4096 and u < 4096:
                    bins.append(_RATIO_BYTES[BIN_TABLE[r] - BIN_TABLE[u]])
                else:
                    bins.append(_ratio_byte(r, u))
                if (r >= long_words or u >= long_words) and max(u, r) >= self._min_ratio * max(1, min(u, r)):
                    extreme += ((i, u, r),)
        if not bins:
            return None
        return (bytes(bins), extreme) if extreme else bytes(bins)

    def observe(self, summary: bytes | tuple[bytes, tuple[tuple[int, int, int], ...]], ref: EntryRef) -> None:
        if summary.__class__ is bytes:
            self._pending += summary  # type: ignore[operator]
        else:
            bins, extreme = summary  # type: ignore[misc]
            self._pending += bins
            self._extreme.extend((ref, index, user, reply) for index, user, reply in extreme)
        if len(self._pending) >= 65536:
            self._flush()

    def observe_many(self, summaries: Sequence[bytes | tuple[bytes, tuple[tuple[int, int, int], ...]] | None],
                     refs: Sequence[EntryRef]) -> None:
        parts = []
        for summary, ref in zip(summaries, refs):
            if summary.__class__ is bytes:
                parts.append(summary)
            elif summary is not None:
                bins, extreme = summary  # type: ignore[misc]
                parts.append(bins)
                self._extreme.extend((ref, index, user, reply) for index, user, reply in extreme)
        self._pending += b"".join(parts)
        if len(self._pending) >= 65536:
            self._flush()

    def _flush(self) -> None:
        hist = self._ratios
        for bin_, n in Counter(self._pending).items():
            hist.counts[bin_] += n
            hist.count += n
        self._pending = bytearray()

    def finish(self) -> Iterator[DatasetHit]:
        self._flush()
        hist = self._ratios
        judged = hist.count >= int(self.options["min_support"])
        median, limit = hist.median_bin(), float(self.options["mad_factor"]) * hist.spread()
        typical = bin_value(median - _RATIO_OFFSET) + 1 if judged else 0.0
        for ref, index, user, reply in self._extreme:
            if judged and abs(_ratio_bin(reply, user) + 0.5 - median) <= limit:
                continue
            shape = "long reply to a short" if reply > user else "short reply to a long"
            note = f"; replies in this dataset are typically {_ratio_text(typical)} their user turn" if judged else ""
            yield DatasetHit(ref, f"assistant message {index} is a {shape} user turn: {reply:,} word"
                                  f"{'s' * (reply != 1)} for {user:,}{note}", index, fixable=False)


def _ratio_text(ratio: float) -> str:
    if ratio >= 1:
        return f"{ratio:.1f}x as long as"
    return f"{1 / max(ratio, 1e-9):.1f}x shorter than"
