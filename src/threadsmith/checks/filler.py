"""Filler checks (FL): sign-offs, throat-clearing openers, paragraphs unrelated to the conversation.

This module holds FL001 (and the excerpt helper); it imports, and so registers, FL002 from
:mod:`threadsmith.checks.filler_openers` and FL003 from :mod:`threadsmith.checks.filler_paragraphs`.
The checks read only the turns that :func:`threadsmith.checks.turn_scan.scan` lists for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.text import fold, folded_words, view, words
from threadsmith.checks.turn_scan import may_sign_off, scan
from threadsmith.model import Conversation, Family, FixSafety, Severity


def _excerpt(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


# --- sign-offs -----------------------------------------------------------------------------

_ANY = r"(?:any |some )?(?:other |more |further |additional |follow-up )?"
#: Generic closing lines, reported wherever they stand in one of the last sentences: hopes that it
#: helped, offers of more help, invitations to ask again. Every alternative starts with a literal.
_SIGN_OFF = re.compile(
    r"hope (?:this|that|it|my (?:answer|explanation|response)|the above)(?: information| answer| explanation)?"
    r" (?:helps|helped|is helpful|was helpful|is useful|was useful|clarifies|answers your question|gives you)"
    r"|hope you (?:find|found) (?:this|it|these)(?: information| answer)? (?:helpful|useful|informative)"
    rf"|let me know if (?:you have {_ANY}questions|(?:you need|there's|there is|you'd like) (?:anything|something) else"
    rf"|you need {_ANY}(?:help|assistance|information|clarification)|i can help (?:with|you with) anything else"
    r"|anything (?:else )?is unclear|you'd like more (?:help|information|details))"
    rf"|if you have {_ANY}questions(?: or (?:need|concerns|want)[^.!?\n]*)?, "
    r"(?:feel free|don't hesitate|just ask|let me know|please ask|i'm here)"
    r"|(?:feel free|don't hesitate|do not hesitate) to (?:ask|reach out|let me know|get in touch|contact me)"
    r"(?: (?:if|whenever|should|in case)\b[^.!?\n]*)?(?=[.!?\s:;()\W]*$)"
    r"|is there anything else (?:i can (?:help|assist) you with|i can do for you|you'd like to know|you need)"
    r"|(?:i'm|i am) (?:always )?(?:here|happy|glad) to help(?: further| with anything else| if you need)"
    r"|happy coding\b|thank(?:s| you) for asking\b"
)
#: The words a closing line is built around; a sentence that holds one and little else but
#: :data:`_GLUE` words is a sign-off too ("Let me know how it goes!", "I'm here if you need anything").
_CLOSING = re.compile(
    r"hope\b|let me know\b|feel free\b|hesitate\b|anything else\b|(?:any|more|other|further|additional) questions\b"
    r"|(?:happy|glad|here) to (?:help|assist)\b|here (?:if|whenever|for) you\b|(?:good|best of) luck\b"
    r"|(?:have|enjoy) (?:a|the rest of your) (?:\w+ )?(?:day|one|evening|weekend|night)\b|enjoy\b"
    r"|happy (?:coding|cooking|baking|reading|writing|learning|gardening|travels|travell?ing)\b"
    r"|thank(?:s| you) for (?:asking|your question|the question|such|reaching out)\b|reach out\b"
    r"|(?:i can|i'd be happy to|i'd be glad to|i could) (?:expand|elaborate|go into more detail|provide more|explain"
    r" further|continue)\b|clears? (?:things|it|that|this) up\b"
)
#: Words a sign-off is made of (besides its key phrase): pronouns, little words and pleasantries.
_GLUE = frozenset("""
a about again all also always an and any anything anytime are as assist assistance at be best can clarification
clarify clear clears could day details do does don't else enjoy evening every feel for free further glad go goes
going good great had happy has have hear help helped helpful helps here hesitate hope how i i'd i'll i'm if in
information interesting is it it's just know let luck me more my need needed needs nice of on one or other out
part parts please point points question questions reach really rest should so some something such sure thank
thanks that the these things think this those time to too up us useful want was way we well were what whenever
wish with wonderful would you you'd you're your ideas expand elaborate detail continue asking informative lovely
fantastic cheers weekend night coding below above answer answers
""".split())
#: Where one sentence ends and the next starts, whatever the case of the next ("... it. i hope ...").
_SENTENCE_BREAK = re.compile(r"[.!?…][.!?…]*[\"'”’)\]*]*\s+|\n\s*")


def _extra_words(folded: str, spare: re.Match[str] | None = None) -> int:
    """How many words of a folded sentence are not sign-off glue (outside ``spare``, a matched phrase)."""
    if spare is not None:
        folded = folded[: spare.start()] + " " + folded[spare.end():]
    return sum(1 for w in folded_words(folded) if w not in _GLUE)


def _sign_off_in(folded_sentence: str) -> re.Match[str] | None:
    """The sign-off in one folded sentence: a closing phrase, or a key phrase with at most one other word."""
    found = _SIGN_OFF.search(folded_sentence)
    if found is not None:
        return found
    found = _CLOSING.search(folded_sentence)
    return found if found is not None and _extra_words(folded_sentence) <= 1 else None


def _last_sentences(text: str, window: int) -> list[tuple[int, str]]:
    """(start, sentence) of the last ``window`` sentences of a text (looked for in its last 400 characters)."""
    offset = max(0, len(text) - 400)
    tail = text[offset:]
    starts = [0] + [m.end() for m in _SENTENCE_BREAK.finditer(tail)]
    spans = [(a, b) for a, b in zip(starts, starts[1:] + [len(tail)]) if tail[a:b].strip()]
    return [(offset + a, tail[a:b].strip()) for a, b in spans[-window:]]


def _sign_off_tail(text: str, window: int) -> tuple[int, str, bool] | None:
    """(where the trailing sign-off starts, its sentence, whether removing from there leaves a clean reply).

    The sign-off is searched in the last ``window`` sentences; removing is safe when every
    sentence from it to the end is only sign-off and pleasantries, and something remains.
    """
    tail = _last_sentences(text, window)
    for offset, (start, sentence) in enumerate(tail):
        folded = fold(sentence)
        match = _sign_off_in(folded)
        if match is None:
            continue
        clean = _extra_words(folded, match) <= 1 and all(
            _extra_words(folded_rest) <= 1 or _sign_off_in(folded_rest)
            for folded_rest in (fold(s) for _, s in tail[offset + 1:]))
        return start, sentence, clean and bool(text[:start].strip())
    return None


@register
class SignOff(ConversationCheck):
    """An assistant reply ends with a generic sign-off ("I hope this helps!").

    What it does:
        Looks at the last ``window`` sentences of each assistant turn for generic closing
        lines: hoping the answer helped, "Let me know if you have any other questions", "Feel
        free to ask", "Is there anything else I can help you with?", "Happy coding!", and
        sentences made of little else than such a phrase and pleasantries ("Let me know how
        it goes!", "I'm here if you need anything else.", "Good luck, and have a great day!").
        Specific offers ("Let me know if you want a vegetarian version") are not reported.
    Why it matters:
        Padding that carries no content; fine-tuning amplifies it until every reply ends the
        same way. In roleplay it also breaks character: the character turns into a help desk.
    Example:
        assistant: "There are 1,440 minutes in a day. I hope this helps! Let me know if you have any other questions."
    Fix:
        Unsafe: remove the closing sentences that are only a sign-off (a sign-off that shares its
        sentence with content is left for review).
    """

    code = "FL001"
    name = "sign-off"
    family = Family.FILLER
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    fix_description = "remove the closing sign-off sentences"
    defaults = {"window": 2}

    def _tails(self, conversation: Conversation) -> Iterator[tuple[int, tuple[int, str, bool]]]:
        window = int(self.options["window"])
        views = view(conversation)
        if window == 2:
            found = scan(conversation).sign_offs
        else:
            found = [i for i, v in enumerate(views)
                     if v.role == "assistant" and v.words and may_sign_off(v.words, window)]
        for i in found:
            tail = _sign_off_tail(views[i].text, window)
            if tail is not None:
                yield i, tail

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        if int(self.options["window"]) == 2 and not scan(conversation).sign_offs:
            return ()
        return self._hits(conversation)

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        roleplay = self.context.kind == "roleplay"
        for i, (_, found, fixable) in self._tails(conversation):
            note = " (out of character)" if roleplay else ""
            yield Hit(i, f"assistant message {i} ends with a generic sign-off{note}: '{_excerpt(found)}'", fixable)

    def fix(self, conversation: Conversation) -> Conversation:
        window = int(self.options["window"])
        messages = list(conversation.messages)
        for i, (cut, _, fixable) in list(self._tails(conversation)):
            text = messages[i].text
            while fixable:  # a cut can bring an earlier sign-off into the window
                text = text[:cut].rstrip()
                tail = _sign_off_tail(text, window) if may_sign_off(tuple(words(text)), window) else None
                cut, fixable = (tail[0], tail[2]) if tail is not None else (0, False)
            messages[i] = messages[i].with_text(text)
        return conversation.with_messages(messages)
