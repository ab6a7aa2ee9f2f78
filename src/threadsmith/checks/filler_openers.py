"""Filler check FL002: throat-clearing openers ("Certainly! Here's ...", "What a great prompt!").

Imported by :mod:`threadsmith.checks.filler` (FL001, FL003).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.text import MessageView, fold, sentences, view
from threadsmith.checks.turn_scan import scan
from threadsmith.model import Conversation, Family, FixSafety, Severity

_AP = "['’]"
#: The request itself, as praise and thanks name it.
_REQUEST_NOUNS = (r"(?:question|request|prompt|scenario|premise|topic|task|challenge|query|exercise|writing prompt"
                  r"|idea for a (?:story|poem|scene|song|game))s?")
_ADJECTIVES = (r"(?:great|good|excellent|fantastic|wonderful|interesting|awesome|brilliant|fascinating|intriguing"
               r"|delightful|lovely|fun|creative|thoughtful|thought-provoking|cool|neat|amazing|exciting|unique"
               r"|clever|beautiful|splendid|superb|important)")
_END = r"(?:[!.:;]+|,|(?=\s*$))\s*"
#: Leading filler units, removed one after another (see :func:`strip_opener`).
_UNITS = tuple(re.compile(pattern, re.IGNORECASE) for pattern in (
    # praise of the request: "Great question!", "What a fascinating request!", "Ah, what a wonderful idea for a story!"
    r"(?:(?:ah|oh|ooh|wow|well)[,!]?\s+)?(?:(?:that" + _AP + r"s|that is|what|this is|such)\s+(?:a |an )?)?"
    r"(?:really |very |truly |such an? |particularly )?" + _ADJECTIVES + r"\s+" + _REQUEST_NOUNS
    + r"(?:\s+(?:to work with|to explore|to think about|to consider|you" + _AP + r"ve (?:got|given me)(?: there)?))?"
    + _END,
    r"(?:(?:ah|oh|ooh|wow)[,!]?\s+)?i (?:love|adore|really like) (?:this|that|the|your) " + _REQUEST_NOUNS
    + r"[!.]+\s*",
    # thanks for the request: "Thank you for your question."
    r"thank(?:s| you)(?: so much| very much)? for (?:(?:the|your|this|such an?)\s+)?(?:\w+\s+)?"
    r"(?:" + _REQUEST_NOUNS + r"|asking)[!.]+\s*",
    # offers to help: "I'd be happy to help with that.", "Happy to help!", "Sure! I can do that."
    r"(?:(?:i" + _AP + r"d|i would|i" + _AP + r"m|i am) (?:be )?)?(?:so |very |more than )?(?:happy|glad|delighted) to "
    r"(?:help|assist|explain|answer|oblige)(?: you)?(?: with (?:that|this|your (?:question|request)))?(?: out)?"
    r"[!.]+\s*",
    r"(?:i can|i" + _AP + r"ll|i will|i could|i" + _AP + r"d love to) (?:do|help with|try|manage|handle)"
    r" (?:that|this|it)"
    r"(?: for you)?[!.]+\s*",
    # "Here you go:", "Let's dive in.", "Let me explain."
    r"(?:here you go|here you are|here it is|here we go|let" + _AP + r"s (?:get started|dive in|begin|do this|do it"
    r"|get into it|go)|let me explain|without further ado)[!.:,]+\s*",
    # announcing the reply by the request: "Here's a detailed response based on your request:"
    r"(?:here" + _AP + r"s|here is|here are|below is|below are) (?:what i (?:came up with|wrote|put together)"
    r"|(?:the|a|an|your) [\w -]{1,40}? (?:you asked for|you requested|as requested)"
    r"|[^.:!\n]{1,60}? (?:based on|in response to|as per) (?:your|the) (?:request|prompt|question|instructions))"
    r"\s*[.:!]+\s*",
))
_INTERJECTION_WORDS = r"(?:certainly|sure thing|sure|absolutely|of course|definitely|gladly)"
#: An interjection that only leads into "Here's ...", "I'd be happy to ...", "Let me ...".
_INTERJECTION_LEAD = re.compile(
    r"(?:" + _INTERJECTION_WORDS + r"|okay|ok|alright|all right)[!.,]+\s*(?=(?:here(?:" + _AP
    + r"s| is| are| you go| it is)|below (?:is|are)|i" + _AP + r"d|i would|i" + _AP + r"m happy|i am happy|i can|i"
    + _AP + r"ll|let me|let" + _AP + r"s|happy to|glad to)\b)",
    re.IGNORECASE)
#: An interjection that is a sentence of its own ("Certainly! The capital ...", "Sure! 1. ...").
_INTERJECTION_BARE = re.compile(r"(?i:" + _INTERJECTION_WORDS + r")[!.]+\s+(?=[^\sa-z])")
#: The same, for the interjections a character rarely opens with ("Of course!" and "Sure!" it may say).
_ASSISTANT_INTERJECTION_BARE = re.compile(r"(?i:certainly|absolutely)[!.]+\s+(?=[^\sa-z])")
#: A yes/no question about the world ("Can I freeze bread?"), which "Sure! ..." answers.
_YES_NO = re.compile(r"(?:can|could|may|should|do|does|did|is|are|was|were|will|would|have|has|am)\s+(?!you\b)\w+")


def strip_opener(text: str, roleplay: bool = False, bare: bool = True) -> str:
    """The text without its leading throat-clearing (capitalized again); the same object when there is none.

    Units go one after another: praise of the request, thanks for it, offers to help, "Here you
    go", an announcement of the reply ("Here's a possible version:"), and "Certainly!"-like
    interjections: those leading into "Here's ...", and (with ``bare``) those that stand as a
    sentence of their own. In roleplay replies that do not quote their dialogue, "Of course!
    This way." may be the character speaking: only "Certainly!" and "Absolutely!" count there.
    """
    patterns = [*_UNITS, _INTERJECTION_LEAD]
    if bare:
        quoted = '"' in text or "“" in text
        patterns.append(_INTERJECTION_BARE if not roleplay or quoted else _ASSISTANT_INTERJECTION_BARE)
    rest = text
    while True:
        match = next((m for m in (p.match(rest) for p in patterns) if m is not None and m.end()), None)
        if match is None:
            break
        rest = rest[match.end():]
    if rest is text:
        return text
    return rest[:1].upper() + rest[1:]


def _answers_yes_no(views: tuple[MessageView, ...], index: int) -> bool:
    """True when the user turn before ``index`` ends with a yes/no question not addressed to "you"."""
    previous = views[index - 1] if index else None
    if previous is None or previous.role != "user" or "?" not in previous.folded:
        return False
    question = next((s for s in reversed(sentences(previous.text)) if s.endswith("?")), "")
    return bool(_YES_NO.match(fold(question).lstrip("\"'*( ")))


@register
class ThroatClearingOpener(ConversationCheck):
    """An assistant reply opens with throat-clearing ("Certainly! Here's...", "Great question!").

    What it does:
        Reports assistant turns that start with praise or thanks for the request ("Great
        question!", "What a fascinating prompt!", "Thank you for your question."), an offer to
        help ("I'd be happy to help with that.", "Happy to help!", "I can do that."), "Here you
        go:" or "Let's dive in.", an announcement of the reply by the request ("Here's a
        response based on your request:", "Below is the story you asked for."; "Here's a poem
        about rain:" is kept), or an interjection ("Certainly!", "Sure,", "Of course!", "Okay,") that leads into
        "Here's...", "I'd be happy to..." or "Let me...", or stands as a sentence of its own
        ("Certainly. In ancient Egypt..."). "Sure, you can..." is content, and so is "Sure!"
        after a yes/no question ("Can I freeze bread?"). In roleplay replies that do not quote
        their dialogue, a lone "Of course!" or "Sure!" may be the character speaking ("Of
        course! This way.") and is not reported; "Certainly!" and "Absolutely!" are.
    Why it matters:
        Every reply opening the same empty way teaches the model a tic, and costs tokens before
        the answer starts; the model learns to flatter instead of answer.
    Example:
        assistant: "Great question! Certainly, here's how photosynthesis works: ..."
    Fix:
        Unsafe: remove the opener and capitalize what follows ("Here's how photosynthesis works").
    """

    code = "FL002"
    name = "throat-clearing-opener"
    family = Family.FILLER
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    fix_description = "remove the opening filler"

    def _openers(self, conversation: Conversation) -> Iterator[tuple[int, str, str]]:
        """(index, text, text without its opener) of each assistant turn that opens with filler."""
        found = scan(conversation).openers
        if not found:
            return
        roleplay = self.context.kind == "roleplay"
        views = view(conversation)
        for i in found:
            text = views[i].text.lstrip()
            bare = _INTERJECTION_BARE.match(text) is None or not _answers_yes_no(views, i)
            stripped = strip_opener(text, roleplay, bare)
            if stripped is not text:
                yield i, text, stripped

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        return self._hits(conversation) if scan(conversation).openers else ()

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        for i, text, stripped in self._openers(conversation):
            opener = " ".join(text[: len(text) - len(stripped)].split())
            if len(opener) > 60:
                opener = opener[:57].rstrip() + "..."
            yield Hit(i, f"assistant message {i} opens with filler: '{opener}'", bool(stripped.strip()))

    def fix(self, conversation: Conversation) -> Conversation:
        messages = list(conversation.messages)
        for i, _, stripped in list(self._openers(conversation)):
            if stripped.strip():
                messages[i] = messages[i].with_text(stripped)
        return conversation.with_messages(messages)
