"""Weak-turn checks (WT): minimal replies, echoes and non-responsive replies.

Each check looks at assistant turns against the user turn they answer (the message right before
them, when it is a user message). WT003, replies far shorter than usual, is dataset-wide and
lives in :mod:`threadsmith.checks.short_replies`.
"""

from __future__ import annotations

from typing import Any

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.length import exchanges
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.checks.text import ngrams, view
from threadsmith.checks.weak_turn_text import (
    _ASKED_FOR_ACK,
    _asks,
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
