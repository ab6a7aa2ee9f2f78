"""Weak-turn checks (WT): minimal replies, echoes, replies far shorter than usual, non-responsive replies.

Each check looks at assistant turns against the user turn they answer (the message right before
them, when it is a user message). WT003 is dataset-wide: it compares each reply's length with
the replies to similar contexts (same length class of user turn, same system prompt bucket).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import Any

from threadsmith.checks.base import ConversationCheck, DatasetCheck, DatasetHit, EntryRef, Hit
from threadsmith.checks.length import LogHistogram, log_bin
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.checks.text import ACTION, WORD, MessageView, PhraseMatcher, ngrams, view
from threadsmith.model import Conversation, Family, Severity

# Generic acknowledgements: a reply made only of these (and at most a short *action*) says nothing.
# "Thank you", "you're welcome", "yes" and "no" are left out: they can be the right reply.
_ACKNOWLEDGEMENTS = (
    "ok", "okay", "okey", "okie", "k", "kk", "sure", "sure thing", "of course", "alright", "all right",
    "i see", "i see now", "got it", "gotcha", "understood", "noted", "cool", "nice", "great", "good", "fine",
    "very well", "sounds good", "sounds great", "sounds fine", "sounds like a plan", "that's nice",
    "that's great", "that's cool", "that's good", "that's fine", "that's interesting", "how interesting",
    "interesting", "very interesting", "hmm", "hm", "hmmm", "mhm", "mm", "mm hmm", "mmhmm", "uh huh",
    "yeah", "yep", "yup", "yes yes", "right", "true", "indeed", "makes sense", "that makes sense",
    "i understand", "i get it", "will do", "no problem", "no worries", "certainly", "absolutely",
    "definitely", "exactly", "agreed", "i agree", "fair enough", "if you say so", "as you wish",
    "whatever", "i guess", "i suppose", "good point", "i see what you mean", "tell me more", "go on",
    "and", "really", "oh really", "is that so", "i know", "me too", "same", "same here", "lol", "haha",
    "hehe", "wow", "oh", "ah", "aha", "ahh", "ohh", "well", "so", "nice one", "neat", "awesome",
    "alright then", "all right then", "okay then", "ok then", "fine then", "well then", "if you insist",
)
_ACK_ALTERNATION = "|".join(re.escape(p) for p in sorted(_ACKNOWLEDGEMENTS, key=len, reverse=True))
_ACK_ONLY = re.compile(rf"(?:{_ACK_ALTERNATION})(?: (?:{_ACK_ALTERNATION}))*")
# The user asked for a bare acknowledgement ("reply with OK if you understand").
_ASKED_FOR_ACK = re.compile(
    r"\b(?:(?:reply|respond|answer) (?:only )?with|just say|only say|say (?:ok|okay|yes|got it)|"
    r"one[- ]word|acknowledge)\b")
_WH_START = re.compile(r"\s*(?:\W\s*)?(?:what|why|how|when|where|who|whom|whose|which)\b")
_QUESTION_END = re.compile(r"\?[\s\"'”’)*\]]*$")
# The user asked for something short by nature (a haiku, a riddle's answer, one sentence): a short
# reply is then what the data should hold. "Briefly" or "short" are not enough: a brief answer
# is still an answer. Single words are looked up in the turn's words; phrases are searched only
# after one of their lead words.
_SHORT_WORDS = frozenset("""haiku haikus riddle riddles limerick slogan slogans tagline motto headline tweet
acronym nickname""".split())
_SHORT_LEADS = frozenset("one single two three few word summarize summarise what yes true".split())
_SHORT_PHRASES = PhraseMatcher(
    [*(f"{n}{sep}{unit}{plural}" for n in ("one", "single", "two", "three", "a few") for sep in (" ", "-")
       for unit in ("word", "sentence", "line", "phrase") for plural in ("", "s")),
     "in a word", "summarize in", "summarise in", "what am i", "yes or no", "true or false"])


def _asks_for_short(user: MessageView) -> bool:
    words = set(user.words)
    if not words.isdisjoint(_SHORT_WORDS):
        return True
    return not words.isdisjoint(_SHORT_LEADS) and _SHORT_PHRASES.search(user.folded) is not None


# Words too common to show that a reply takes up the question (own list; compared on 5-letter stems).
_STOPWORDS = frozenset("""
a an the and or but if so of to in on at for with by from up out into over about as than then
is are was were be been being am do does did done have has had having can could would should
will shall may might must i me my mine myself you your yours yourself we us our they them their
he him his she her it its it's this that these those there here what why how when where who whom
whose which not no yes very just also too really more most much many some any all each every
one ones thing things way get got make made like tell know think want need please let let's
i'm you're don't doesn't can't isn't aren't what's how's there's that's would've could've
good well ok okay sure now still even only other another such own same something anything
everything nothing someone anyone everyone go going come give take say said see look use
""".split())


def _replies(views: tuple[MessageView, ...]) -> Iterator[tuple[int, MessageView, MessageView | None]]:
    """Each non-empty assistant turn with the user turn right before it (None when there is none)."""
    for i, v in enumerate(views):
        if v.role == "assistant" and v.text.strip():
            previous = views[i - 1] if i and views[i - 1].role == "user" else None
            yield i, v, previous


def _excerpt(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def _bare_words(v: MessageView) -> list[str] | tuple[str, ...]:
    """The reply's words outside *actions* (the words themselves when there is no action)."""
    if "*" not in v.folded:
        return v.words
    return WORD.findall(ACTION.sub(" ", v.folded))


def minimal_reply(v: MessageView, max_words: int) -> bool:
    """True when the whole reply is a generic acknowledgement ("Okay.", "*nods* Sure!", "I see.")."""
    if len(v.words) > max_words:
        return False
    bare = _bare_words(v)
    if not bare:
        return not v.words and len(v.text.strip()) <= 12
    return _ACK_ONLY.fullmatch(" ".join(bare)) is not None


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

    def check(self, conversation: Conversation) -> Iterator[Hit]:
        max_words = int(self.options["max_words"])
        for i, reply, user in _replies(view(conversation)):
            if minimal_reply(reply, max_words) and not (user and _ASKED_FOR_ACK.search(user.folded)):
                yield Hit(i, f"assistant message {i} is only a generic acknowledgement: {_excerpt(reply.text)!r}",
                          fixable=False)


def _bigrams(tokens: tuple[str, ...] | list[str]) -> set[tuple[str, ...]]:
    return set(ngrams(tokens, 2)) if len(tokens) > 1 else {tuple(tokens)}


def _sampled_containment(reply: tuple[str, ...], user: tuple[str, ...]) -> float:
    """About what share of the reply's word pairs occur in the user turn, from eight samples (cheap)."""
    joined = f" {' '.join(user)} "
    last = len(reply) - 1
    samples = range(0, last, max(1, last // 8))
    found = sum(1 for k in samples if f" {reply[k]} {reply[k + 1]} " in joined)
    return found / max(1, len(samples))


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

    def check(self, conversation: Conversation) -> Iterator[Hit]:
        opts = self.options
        coverage_key = "instruction_min_coverage" if self.context.kind == "instruction" else "min_coverage"
        min_coverage, min_containment = float(opts[coverage_key]), float(opts["min_containment"])
        for i, reply, user in _replies(view(conversation)):
            if user is None:
                continue
            r, u = len(reply.words), len(user.words)
            # Cheap bounds first: an echo has about as many words as the part of the user turn it repeats.
            if r < int(opts["min_words"]) or r > 2 * u + 2 or r < min_coverage * (u - 1):
                continue
            if _sampled_containment(reply.words, user.words) < min_containment - 0.25:
                continue
            if reply.folded.strip() == user.folded.strip():
                yield Hit(i, f"assistant message {i} repeats the user's message word for word", fixable=False)
                continue
            rb, ub = _bigrams(reply.words), _bigrams(user.words)
            shared = len(rb & ub)
            if shared >= min_containment * len(rb) and shared >= min_coverage * len(ub):
                yield Hit(i, f"assistant message {i} echoes the user's message: {_excerpt(reply.text)!r}",
                          fixable=False)


def _shares_a_stem(question: tuple[str, ...], reply: str, min_stems: int) -> bool:
    """True when the reply's text contains the five-letter stem of a content word of the question,
    or when the question has fewer than ``min_stems`` content stems (too little to judge).

    A stem found anywhere in the reply counts: looser than matching words, so more conservative,
    and one fast substring search per stem that usually stops at the first stem.
    """
    stems = set()
    for word in set(question).difference(_STOPWORDS):
        if len(word) > 2 and not word.isdigit():
            stem = word[:5]
            if stem in reply:
                return True
            stems.add(stem)
    return len(stems) < min_stems


def _asks(user: MessageView) -> bool:
    text = user.folded.rstrip()
    return _QUESTION_END.search(text) is not None or _WH_START.match(text) is not None


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
        no word with the line it answers. Conservative by design, hence info: short direct
        answers ("Paris.") are never reported, nor translations.
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
                "roleplay_min_task_words": 8}

    def check(self, conversation: Conversation) -> Iterator[Hit]:
        mode = self._mode(conversation)
        if mode is None:
            return
        min_question, questions_only = mode
        min_reply = int(self.options["min_reply_words"])
        for i, reply, user in _replies(view(conversation)):
            if user is None or len(reply.words) < min_reply or len(user.words) < min_question:
                continue
            if questions_only and not _asks(user):
                continue
            if _shares_a_stem(user.words, reply.folded, min_question):
                continue
            if "translat" in user.folded or _other_script(user.text, reply.text):
                continue
            yield Hit(i, f"assistant message {i} shares no content word with the user turn it answers: "
                         f"{_excerpt(user.text, 40)!r} -> {_excerpt(reply.text, 40)!r}", fixable=False)

    def _mode(self, conversation: Conversation) -> tuple[int, bool] | None:
        """(content words a user turn needs to be judged, whether only questions are), or None."""
        min_question, kind = int(self.options["min_question_words"]), self.context.kind
        questions_only = self.options["questions_only"]
        in_roleplay = self.options["in_roleplay"]
        if kind == "roleplay" and in_roleplay is not True:
            if in_roleplay != "auto" or sum(1 for m in conversation.messages if m.role == "user") != 1:
                return None
            # A single-exchange roleplay entry is a task ("You are a detective. Describe ..."):
            # judged when the task says enough; lines within a scene are not judged.
            min_question = max(min_question, int(self.options["roleplay_min_task_words"]))
            return min_question, questions_only is True
        return min_question, (kind != "instruction") if questions_only == "auto" else bool(questions_only)


def _other_script(question: str, reply: str) -> bool:
    """True when the reply is mostly in another script than the question (a translation, say)."""
    if not question.isascii() or reply.isascii():
        return False
    letters = [c for c in reply if c.isalpha()]
    return sum(1 for c in letters if not c.isascii()) > 0.3 * len(letters)


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

    def summarize(self, conversation: Conversation) -> tuple[tuple[int, int, int], ...]:
        views = view(conversation)
        system = next((v.text for v in views if v.role == "system"), "")
        bucket = zlib.crc32(system.encode("utf-8", "surrogatepass")) % self._buckets + 1 if system else 0
        out = []
        for i, reply, user in _replies(views):
            words = len(reply.words)
            if not words or minimal_reply(reply, self._minimal_words):
                continue
            if words < self._short_request and user is not None and _asks_for_short(user):
                continue
            out.append((i, bucket * 8 + _user_bucket(len(user.words) if user else 0), words))
        return tuple(out)

    def observe(self, summary: tuple[tuple[int, int, int], ...], ref: EntryRef) -> None:
        for index, fine, words in summary:
            hists = [self._histogram(key) for key in _context_keys(fine)]
            # Keep the reply while it could turn out short against the final statistics.
            if hists[-1].count < 200 or any(h.count >= 32 and words * 2.5 <= h.running_median() for h in hists):
                self._candidates.append((ref, index, fine, words))
            bin_ = log_bin(words)
            for hist in hists:
                hist.add(bin_)

    def _histogram(self, key: int) -> LogHistogram:
        hist = self._histograms.get(key)
        if hist is None:
            self._histograms[key] = hist = LogHistogram()
        return hist

    def finish(self) -> Iterator[DatasetHit]:
        support, fraction = int(self.options["min_support"]), float(self.options["max_fraction"])
        factor, low_fraction = float(self.options["mad_factor"]), float(self.options["low_fraction"])
        for ref, index, fine, words in self._candidates:
            key = next((k for k in _context_keys(fine) if self._histograms[k].count >= support), None)
            if key is None:
                continue
            hist = self._histograms[key]
            median, bin_ = hist.median_value(), log_bin(words)
            if words > fraction * median or bin_ >= hist.median_bin() - factor * hist.spread():
                continue
            if words > low_fraction * hist.quantile_value(0.1, leave_out=bin_):
                continue
            context = _context_name(key)
            yield DatasetHit(ref, f"assistant message {index} has {words} word{'s' * (words != 1)}, far shorter "
                                  f"than the typical {median:.0f} words of {context} ({hist.count} replies)",
                             index, fixable=False)
