"""Filler checks (FL): sign-offs, throat-clearing openers, paragraphs unrelated to the conversation."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.text import WORD, MessageView, fold, sentences, view
from threadsmith.model import Conversation, Family, FixSafety, Message, Severity


def _excerpt(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


# --- sign-offs -----------------------------------------------------------------------------

_ANY = r"(?:any |some )?(?:other |more |further |additional |follow-up )?"
#: Generic closing lines: hopes that it helped, offers of more help, invitations to ask again. Every
#: alternative starts with a literal, which keeps the search fast.
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
    r"|happy coding\b"
)
#: Pleasantries that are a sign-off when they are the whole sentence.
_CLOSER = re.compile(
    r"(?:i'm |i am |always )?(?:happy|glad) to help(?: further| anytime| any time)?\W*"
    r"|(?:have|enjoy) a (?:great|good|nice|wonderful|lovely) (?:day|one|evening)\W*"
)


def _sign_off_in(folded_sentence: str) -> re.Match[str] | None:
    return _SIGN_OFF.search(folded_sentence) or _CLOSER.fullmatch(folded_sentence.strip())


#: Words that may sit around a sign-off phrase in a sentence that is nothing but the sign-off.
_GLUE = frozenset("""
a and also again all any anything are as be further hope i if it just me more need needs of or other please
questions so that the there this to with you your you're assistance help helpful information here happy glad
always luck good best let know feel free hesitate ask reach out cheers enjoy wishes day great well thanks
""".split())


def _glue_only(folded: str, limit: int = 2) -> bool:
    return sum(1 for w in WORD.findall(folded) if w not in _GLUE) <= limit


def _sign_off_tail(text: str, window: int) -> tuple[int, str, bool] | None:
    """(where the trailing sign-off starts, its sentence, whether removing from there leaves a clean reply).

    The sign-off is searched in the last ``window`` sentences; removing is safe when every
    sentence from it to the end is only sign-off and pleasantries, and something remains.
    """
    parts = [s for line in text.rsplit("\n", window)[-window:] for s in sentences(line)]
    tail = parts[-window:]
    for offset, sentence in enumerate(tail):
        folded = fold(sentence)
        match = _sign_off_in(folded)
        if match is None:
            continue
        rest = folded[: match.start()] + " " + folded[match.end():]
        clean = _glue_only(rest) and all(_glue_only(fold(s), 1) or _sign_off_in(fold(s)) for s in tail[offset + 1:])
        cut = text.rfind(sentence)
        return cut, sentence, clean and bool(text[:cut].strip())
    return None


@register
class SignOff(ConversationCheck):
    """An assistant reply ends with a generic sign-off ("I hope this helps!").

    What it does:
        Looks at the last ``window`` sentences of each assistant turn for generic closing
        lines: hoping the answer helped, "Let me know if you have any other questions", "Feel
        free to ask", "Is there anything else I can help you with?", "Happy coding!". Specific
        offers ("Let me know if you want a vegetarian version") are not reported.
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
        for i, message in enumerate(view(conversation)):
            if message.role == "assistant" and _may_sign_off(message.folded):
                tail = _sign_off_tail(message.text, window)
                if tail is not None:
                    yield i, tail

    def check(self, conversation: Conversation) -> Iterator[Hit]:
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
                tail = _sign_off_tail(text, window) if _may_sign_off(fold(text)) else None
                cut, fixable = (tail[0], tail[2]) if tail is not None else (0, False)
            messages[i] = messages[i].with_text(text)
        return conversation.with_messages(messages)


#: Cheap test before the full search: every sign-off pattern contains one of these (substring tests
#: are several times faster than one regex alternation here).
_SIGN_OFF_KEYS = ("hope this", "hope that", "hope it", "hope my", "hope the above", "hope you f", "let me know",
                  "questions, ", "feel free", "hesitate", "anything else", "happy to help", "glad to help",
                  "here to help", "happy coding")


def _may_sign_off(folded: str) -> bool:
    tail = folded[-300:]
    for key in _SIGN_OFF_KEYS:
        if key in tail:
            return True
    return tail.rstrip(" !.\n").endswith(("day", "one", "evening"))  # "Have a great day!"


# --- openers -------------------------------------------------------------------------------

#: Leading filler units, removed one after another: praise of the question, "I'd be happy to help
#: with that.", and an interjection ("Certainly!"; in roleplay only outside quoted dialogue).
_PRAISE = re.compile(
    r"(?:(?:that's|that is|what) (?:a |an )?)?(?:really |very |such an? )?"
    r"(?:great|good|excellent|fantastic|wonderful|interesting|awesome|brilliant) question[!.]*,?\s*",
    re.IGNORECASE)
_HAPPY = re.compile(
    r"(?:i'd|i’d|i would|i'm|i’m|i am) (?:be )?(?:happy|glad|delighted|more than happy) to "
    r"(?:help|assist|explain|answer)(?: you)?(?: with (?:that|this|your question))?(?: out)?[!.]+\s*",
    re.IGNORECASE)
_INTERJECTION_WORDS = r"(?:certainly|sure thing|sure|absolutely|of course|definitely|gladly)"
#: An interjection that only leads into "Here's ...", "I'd be happy to ...", "Let me ...".
_INTERJECTION_LEAD = re.compile(
    _INTERJECTION_WORDS + r"[!.,]+\s*(?=(?:here(?:'s|’s| is| are)|below (?:is|are)|i'd|i’d|i would|i'm happy"
    r"|i’m happy|i am happy|i can help|i'll|i’ll|let me|let's|let’s)\b)",
    re.IGNORECASE)
#: An interjection that is a sentence of its own ("Certainly! The capital ...", "Sure! 1. ...").
_INTERJECTION_BARE = re.compile(r"(?i:" + _INTERJECTION_WORDS + r")[!.]+\s+(?=[^\sa-z])")
#: The same, for the interjections a character rarely opens with ("Of course!" and "Sure!" it may say).
_ASSISTANT_INTERJECTION_BARE = re.compile(r"(?i:certainly|absolutely)[!.]+\s+(?=[^\sa-z])")
#: A yes/no question about the world ("Can I freeze bread?"), which "Sure! ..." answers.
_YES_NO = re.compile(r"(?:can|could|may|should|do|does|did|is|are|was|were|will|would|have|has|am)\s+(?!you\b)\w+")
_OPENER_HINT = re.compile(r"question|certainly|sure|absolutely|of course|definitely|gladly|happy|glad|delighted")


def strip_opener(text: str, roleplay: bool = False, bare: bool = True) -> str:
    """The text without its leading throat-clearing (capitalized again); the same object when there is none.

    "Certainly!"-like interjections go too: those leading into "Here's ...", and (with ``bare``)
    those that stand as a sentence of their own. In roleplay replies that do not quote their
    dialogue, "Of course! This way." may be the character speaking: only "Certainly!" and
    "Absolutely!" count there.
    """
    patterns = [_PRAISE, _HAPPY, _INTERJECTION_LEAD]
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
        Reports assistant turns that start with praise of the question ("Great question!"),
        "I'd be happy to help with that.", or an interjection ("Certainly!", "Sure,", "Of
        course!") that leads into "Here's...", "I'd be happy to..." or "Let me...", or stands as
        a sentence of its own ("Certainly. In ancient Egypt..."). "Sure, you can..." is content,
        and so is "Sure!" after a yes/no question ("Can I freeze bread?"). In roleplay replies
        that do not quote their dialogue, a lone "Of course!" or "Sure!" may be the character
        speaking ("Of course! This way.") and is not reported; "Certainly!" and "Absolutely!" are.
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
        roleplay = self.context.kind == "roleplay"
        views = view(conversation)
        for i, message in enumerate(views):
            if message.role != "assistant" or not _OPENER_HINT.search(message.folded, 0, 60):
                continue
            text = message.text.lstrip()
            stripped = strip_opener(text, roleplay, not _answers_yes_no(views, i))
            if stripped is not text:
                yield i, text, stripped

    def check(self, conversation: Conversation) -> Iterator[Hit]:
        for i, text, stripped in self._openers(conversation):
            opener = text[: len(text) - len(stripped)].strip()
            yield Hit(i, f"assistant message {i} opens with filler: '{_excerpt(opener)}'", bool(stripped.strip()))

    def fix(self, conversation: Conversation) -> Conversation:
        messages = list(conversation.messages)
        for i, _, stripped in list(self._openers(conversation)):
            if stripped.strip():
                messages[i] = messages[i].with_text(stripped)
        return conversation.with_messages(messages)


# --- unrelated paragraphs ------------------------------------------------------------------

# Words too common to tie a paragraph to a conversation (own list; compared on five-letter stems).
_STOPWORDS = frozenset("""
the and for are but not you your yours all any can had has have her hers him his how its let may our ours out
she they them their theirs this that these those there here then than thus what when where which while who whom
whose why with within without would could should will shall must might also just only even very much many more
most some such each every other another same own both either neither been being was were does did doing done
into onto from over under about above below after before again once upon off too nor yet per via one two three
get gets got make makes made like know knows think want need needs use used using say says said see seen look
take give come goes going went well really still now way ways thing things something anything everything nothing
someone anyone everyone people time times lot lots yes okay sure please thank thanks i'm you're it's that's
don't doesn't can't isn't aren't won't wasn't there's let's i've i'll i'd we're they're he's she's
""".split())
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)


#: Paragraphs that stand alone by design: list items, labelled lines ("Dinner: ..."), verse.
_ITEM = re.compile(r"\s*(?:\d+[.)]|[-*•+]|[A-Z][\w' -]{0,30}:)\s")


def _stems(words: list[str] | tuple[str, ...]) -> list[str]:
    """Five-letter stems of the content words (stop words, short words and numbers left out)."""
    return [w[:5] for w in words if len(w) > 2 and w not in _STOPWORDS and not w[0].isdigit()]


#: A paragraph that opens with a pronoun refers back to the text before it ("*She opens the log...*").
_ANAPHORA = re.compile(r"[\s*\"'“_(]*(?:she|he|it|they|this|that|these|those|her|his|its|their|then|there)\b",
                       re.IGNORECASE)


def _stands_alone(paragraph: str) -> bool:
    """True for paragraphs not judged: list items, labelled lines, verse, or a pronoun tying it to the text before."""
    return bool(_ITEM.match(paragraph) or _ANAPHORA.match(paragraph)) or paragraph.strip().count("\n") >= 2


def _paragraphs(text: str) -> list[str]:
    """Paragraphs of prose (fenced code blocks left out)."""
    if "```" in text:
        text = _FENCE.sub("\n\n", text)
    return [p for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


def _stem_set(words: list[str] | tuple[str, ...]) -> set[str]:
    return set(_stems(set(words)))


def unrelated_paragraphs(views: tuple[MessageView, ...], index: int, min_words: int, max_overlap: float,
                         min_paragraphs: int) -> list[tuple[str, float]]:
    """(paragraph, share of its content stems found elsewhere) for each unrelated paragraph of a reply.

    Paragraphs that share enough with the other paragraphs of the reply are ruled out first; the
    rest of the conversation is only read when a candidate is left.
    """
    paragraphs = _paragraphs(views[index].text)
    if len(paragraphs) < min_paragraphs:
        return []
    per_paragraph = [(p, _stem_set(WORD.findall(fold(p)))) for p in paragraphs]
    own: Counter[str] = Counter(s for _, stems in per_paragraph for s in stems)
    limit = max_overlap
    candidates = [(p, stems) for p, stems in per_paragraph
                  if len(stems) >= min_words and sum(own[s] > 1 for s in stems) <= limit * len(stems)
                  and not _stands_alone(p)]
    if not candidates:
        return []
    context = set().union(*(_stem_set(v.words) for j, v in enumerate(views) if j != index))
    found = []
    for paragraph, stems in candidates:
        shared = sum(1 for s in stems if s in context or own[s] > 1)
        if shared <= limit * len(stems):
            found.append((paragraph, shared / len(stems)))
    return found


@register
class UnrelatedParagraph(ConversationCheck):
    """A paragraph of an assistant reply has nothing to do with the rest of the conversation.

    What it does:
        In assistant replies of at least ``min_paragraphs`` paragraphs (split on blank lines,
        code blocks left out), reports paragraphs of at least ``min_words`` distinct content
        words (stop words left out, compared on five-letter stems) of which at most
        ``max_overlap`` occur anywhere else in the conversation: the other turns, the system
        prompt, or the other paragraphs of the reply. List items, labelled lines ("Dinner:
        ...") and verse stand alone by design, and a paragraph that opens with a pronoun
        ("She ...", "This ...") refers back to the text before it: those are not judged.
        Lexical overlap is a weak sign on short prompts, so the threshold is low: expect it to
        miss paragraphs that share a few common words with the topic.
    Why it matters:
        A paragraph pasted from another answer, a leftover of generation, or an off-topic
        digression teaches the model to wander; fine-tuning amplifies irrelevant filler.
    Example:
        A three-paragraph answer about sourdough whose middle paragraph explains index funds.
    Fix:
        Unsafe: remove the paragraph.
    """

    code = "FL003"
    name = "unrelated-paragraph"
    family = Family.FILLER
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    fix_description = "remove the unrelated paragraph"
    defaults = {"min_paragraphs": 3, "min_words": 10, "max_overlap": 0.1}

    def _found(self, conversation: Conversation) -> Iterator[tuple[int, list[tuple[str, float]]]]:
        opts = self.options
        views = view(conversation)
        for i, message in enumerate(views):
            if message.role != "assistant" or message.text.count("\n") < 2 * (int(opts["min_paragraphs"]) - 1):
                continue
            found = unrelated_paragraphs(views, i, int(opts["min_words"]), float(opts["max_overlap"]),
                                         int(opts["min_paragraphs"]))
            if found:
                yield i, found

    def check(self, conversation: Conversation) -> Iterator[Hit]:
        for i, found in self._found(conversation):
            for paragraph, share in found:
                yield Hit(i, f"assistant message {i} has a paragraph unrelated to the conversation "
                             f"({share:.0%} of its words occur elsewhere): '{_excerpt(paragraph)}'")

    def fix(self, conversation: Conversation) -> Conversation:
        for _ in range(8):  # removing a paragraph can leave another one with nothing in common
            found = list(self._found(conversation))
            if not found:
                break
            messages = list(conversation.messages)
            for i, paragraphs in found:
                text = messages[i].text
                for paragraph, _ in paragraphs:
                    text = _remove_paragraph(text, paragraph)
                messages[i] = messages[i].with_text(text)
            conversation = conversation.with_messages(messages)
        return conversation


def _remove_paragraph(text: str, paragraph: str) -> str:
    start = text.find(paragraph)
    if start < 0:
        return text
    before, after = text[:start].rstrip(), text[start + len(paragraph):].lstrip()
    if before and after:
        gap = _PARAGRAPH_BREAK.search(text, len(before))
        return before + (gap.group(0) if gap else "\n\n") + after
    return before or after
