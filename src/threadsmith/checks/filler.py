"""Filler checks (FL): sign-offs, throat-clearing openers, paragraphs unrelated to the conversation.

This module holds FL001, FL003 and :func:`turns` (the cheap per-conversation pass the FL checks
share); it imports, and so registers, FL002 from :mod:`threadsmith.checks.filler_openers`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Iterator

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.text import MessageView, columns, fold, folded_words, view, words
from threadsmith.model import Conversation, Family, FixSafety, Message, Severity


def _excerpt(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


# --- the turns each check reads --------------------------------------------------------------

#: First words of every opener: a reply starting with none of them is not read further.
_PRAISED = ("question questions request prompt scenario premise topic task challenge query exercise writing idea "
           "prompts requests ideas")
_ADJECTIVES = ("great good excellent fantastic wonderful interesting awesome brilliant fascinating intriguing "
               "delightful lovely fun creative thoughtful thought cool neat amazing exciting unique clever beautiful "
               "splendid superb important")


def _openings(spec: str) -> dict[str, frozenset[str] | None]:
    """First word -> the second words an opener may go on with (None: any), from "first:second,second" items."""
    table: dict[str, frozenset[str] | None] = {}
    for item in spec.split():
        first, _, seconds = item.partition(":")
        table[first] = frozenset(seconds.split(",")) if seconds else None
    return table


#: First words of every opener (see :mod:`threadsmith.checks.filler_openers`) and the second words
#: they may go on with: a reply starting otherwise is not read further.
OPENER_WORDS = _openings(
    " ".join(f"{adjective}:{_PRAISED.replace(' ', ',')}" for adjective in _ADJECTIVES.split())
    + " ".join(f" {word}:{_ADJECTIVES.replace(' ', ',')},happy,glad,delighted"
               for word in "really very truly particularly".split())
    + f" what:a,an that's:a,an,really,very,such,{_ADJECTIVES.replace(' ', ',')} that:is this:is such:a,an"
    " ah oh ooh wow well i:love,adore,really,would,am,can,could,will i'd:be,love i'm:happy,glad,delighted,so,very,more"
    " i'll:do,help,try,manage,handle thought thank:you thanks:for,so happy:to glad:to delighted:to so:happy,glad,delighted more:than"
    " certainly sure absolutely of:course definitely gladly okay ok alright all:right here:you,is,are,it,we here's"
    " below:is,are let's:get,dive,begin,do,go let:me,us without:further"
)


class Turns:
    """The assistant turns each FL check needs to read, found once per conversation by cheap tests
    (a slotted class: the cheapest attribute reads)."""

    __slots__ = ("sign_offs", "openers", "paragraphs")

    def __init__(self, sign_offs: tuple[int, ...], openers: tuple[int, ...], paragraphs: tuple[int, ...]) -> None:
        self.sign_offs = sign_offs  # a sign-off's key word among the last words (the default window)
        self.openers = openers  # the first words may open throat-clearing
        self.paragraphs = paragraphs  # more than one line


_last_turns: tuple[Conversation | None, Turns | None] = (None, None)


def turns(conversation: Conversation) -> Turns:
    """:class:`Turns` of a conversation; cached for the conversation being checked."""
    global _last_turns
    if _last_turns[0] is conversation and _last_turns[1] is not None:
        return _last_turns[1]
    roles, texts, _, words = columns(conversation)
    sign_offs, openers, paragraphs = [], [], []
    for i, role in enumerate(roles):
        if role != "assistant" or not words[i]:
            continue
        turn = words[i]
        seconds = OPENER_WORDS.get(turn[0], False)
        if seconds is None or (seconds and len(turn) > 1 and turn[1] in seconds):
            openers.append(i)
        if not _SIGN_OFF_KEYS.isdisjoint(turn[-8:]) or (turn[-1] in _DAY_WORDS and _may_sign_off(turn)):
            sign_offs.append(i)  # _may_sign_off(turn), the common case inline
        if "\n" in texts[i]:
            paragraphs.append(i)
    found = Turns(tuple(sign_offs), tuple(openers), tuple(paragraphs))
    _last_turns = (conversation, found)
    return found


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
#: A sentence that holds a key word of a sign-off, or ends like "Have a great day", may be one.
_SIGN_OFF_KEYS = frozenset("""hope know free hesitate else questions help here luck enjoy thanks thank expand
elaborate continue details reach clears coding cooking baking reading writing learning gardening travels""".split())
_DAY_WORDS = frozenset({"day", "one", "evening", "weekend", "night"})
#: What comes before a day word in a wish ("have a great day", "good night").
_PLEASANT = frozenset({"great", "good", "nice", "wonderful", "lovely", "fantastic", "fun", "beautiful", "relaxing",
                       "safe", "happy", "blessed", "productive", "awesome", "brilliant", "amazing", "restful"})
#: Where one sentence ends and the next starts, whatever the case of the next ("... it. i hope ...").
_SENTENCE_BREAK = re.compile(r"[.!?…][.!?…]*[\"'”’)\]*]*\s+|\n\s*")


def _may_sign_off(words: tuple[str, ...], window: int = 2) -> bool:
    """Cheap test on a turn's words (see :func:`threadsmith.checks.text.view`) before the search: a key
    word among the last four words per sentence of the window (sign-offs are short, and end a reply)."""
    tail = words[-4 * window:]
    if len(tail) > 1 and tail[-1] in _DAY_WORDS and tail[-2] in _PLEASANT:
        return True
    return not _SIGN_OFF_KEYS.isdisjoint(tail)


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
        if window == 2:
            found = turns(conversation).sign_offs
        else:
            roles, _, _, words = columns(conversation)
            found = tuple(i for i, role in enumerate(roles) if role == "assistant" and _may_sign_off(words[i], window))
        texts = columns(conversation)[1]
        for i in found:
            tail = _sign_off_tail(texts[i], window)
            if tail is not None:
                yield i, tail

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        if int(self.options["window"]) == 2 and not turns(conversation).sign_offs:
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
                tail = _sign_off_tail(text, window) if _may_sign_off(tuple(words(text)), window) else None
                cut, fixable = (tail[0], tail[2]) if tail is not None else (0, False)
            messages[i] = messages[i].with_text(text)
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


#: A paragraph that opens with a pronoun refers back to the text before it ("*She opens the log...*").
_ANAPHORA = re.compile(r"[\s*\"'“_(]*(?:she|he|it|they|this|that|these|those|her|his|its|their|then|there)\b",
                       re.IGNORECASE)
#: A paragraph that opens with a connective goes on from the one before ("If you have a number, ...").
_CONNECTIVE = re.compile(r"[\s*\"'“_(]*(?:if|for example|for instance|also|but|however|otherwise|alternatively"
                         r"|instead|or|and|so|still|yet|meanwhile|in that case|in short|either way)\b", re.IGNORECASE)
_FIRST_PERSON = frozenset({"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"})
#: A paragraph that announces a change of subject ("On a completely different note, ..."): judged
#: with three times the overlap.
_DIGRESSION = re.compile(r"[\s*\"'“_(]*(?:on an? (?:\w+ )?(?:different|unrelated|separate|side|other) note|unrelated(?:ly)?\b"
                         r"|by the way|off[- ]topic|(?:fun|random) fact|side note|as an aside|incidentally"
                         r"|changing the subject|in other news|while (?:we're|we are|i'm|i am) at it)", re.IGNORECASE)


def _stands_alone(paragraph: str) -> bool:
    """True for paragraphs that stand alone by design: list items, labelled lines, verse."""
    return _ITEM.match(paragraph) is not None or paragraph.strip().count("\n") >= 2


def _paragraphs(text: str) -> list[str]:
    """Paragraphs of prose (fenced code blocks left out)."""
    if "```" in text:
        text = _FENCE.sub("\n\n", text)
    if "\n " in text or "\n\t" in text:
        parts = _PARAGRAPH_BREAK.split(text)
    else:  # the common case, without the regular expression
        parts = text.split("\n\n")
    return [p for p in parts if p.strip()]


#: Words of one or two letters or digits: too short to tie anything (a set, so they go in one C-level step).
_SHORT = frozenset(a + b for a in "abcdefghijklmnopqrstuvwxyz0123456789'" for b in ["", *"abcdefghijklmnopqrstuvwxyz0123456789'"])
_IGNORED = _STOPWORDS | _SHORT
_FIVE = operator.itemgetter(slice(None, 5))


def _stem_set(folded: str) -> set[str]:
    """Five-letter stems of the distinct content words of folded text (numbers of three digits or more count)."""
    return set(map(_FIVE, set(folded_words(folded)).difference(_IGNORED)))


_BULLETS = frozenset({"- ", "* ", "• ", "+ "})


def _prose_starts(text: str) -> int:
    """How many paragraphs (after blank lines) start otherwise than with a bullet: a quick upper bound
    of the prose paragraphs :func:`unrelated_paragraphs` judges."""
    count = 0
    blank = True
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            blank = True
        elif blank:
            blank = False
            count += stripped[:2] not in _BULLETS
    return count


def _judged(paragraph: str, min_words: int) -> float:
    """The overlap factor a paragraph is judged with (3 for an announced digression), 0 for prose that
    is not judged (a pronoun ties it to the text before), or -1 for what is not prose: short
    paragraphs, and those that stand alone by design."""
    if len(paragraph) < 20:
        return -1
    if _DIGRESSION.match(paragraph):
        return 3
    if _stands_alone(paragraph):
        return -1
    return 0 if len(paragraph) < 4 * min_words or _ANAPHORA.match(paragraph) else 1


def _shared(stems: set[str], allowed: float, rest: set[str], views: tuple[MessageView, ...], index: int) -> int:
    """How many stems occur elsewhere: in ``rest`` (the other paragraphs), the turn before and the
    system prompt, then the other turns; counting stops once above ``allowed``."""
    shared = len(stems & rest)
    if shared > allowed:
        return shared
    left = stems - rest
    near = [v for j, v in enumerate(views) if j != index and (j == index - 1 or v.role == "system")]
    for message in near:
        theirs = _stem_set(message.folded)
        shared += len(left & theirs)
        if shared > allowed:
            return shared
        left -= theirs
    far = [v.folded for j, v in enumerate(views) if j != index and j != index - 1 and v.role != "system"]
    if far and left:
        text = "\n".join(far)
        for stem in left:  # word starts are not checked: a stem inside another word counts as shared
            if stem in text:
                shared += 1
                if shared > allowed:
                    break
    return shared


def unrelated_paragraphs(views: tuple[MessageView, ...], index: int, min_words: int, max_overlap: float,
                         min_paragraphs: int) -> list[tuple[str, float]]:
    """(paragraph, share of its content stems found elsewhere) for each unrelated paragraph of a reply.

    The other paragraphs of the reply are compared first, then the turn before and the system
    prompt, then the rest of the conversation, until enough is shared. A paragraph tied to the
    one before by a connective ("If ...", "But ...") or by the same first-person voice as the
    rest of the reply (a story told by its narrator) must share nothing at all.
    """
    text = views[index].text
    if _prose_starts(text) < min_paragraphs:
        return []
    paragraphs = _paragraphs(text)
    if len(paragraphs) < min_paragraphs:
        return []
    if sum(1 for p in paragraphs if len(p) >= 20 and p.lstrip()[:2] not in _BULLETS) < min_paragraphs:
        return []  # too little prose (a quick count: bullets and short lines left out)
    factors = [_judged(p, min_words) for p in paragraphs]
    if len(factors) - factors.count(-1) < min_paragraphs or max(factors) <= 0:  # too little prose to stray from
        return []
    folded = [fold(p) for p in paragraphs]
    stems = [_stem_set(f) for f in folded]
    found = []
    for k, paragraph in enumerate(paragraphs):
        mine = stems[k]
        if factors[k] <= 0 or len(mine) < min_words:
            continue
        allowed = factors[k] * max_overlap * len(mine)
        rest = set().union(*(stems[j] for j in range(len(stems)) if j != k))
        shared = _shared(mine, allowed, rest, views, index)
        if shared > allowed:
            continue
        if shared and (_CONNECTIVE.match(paragraph) or _voice_goes_on(folded, k)):
            continue
        found.append((paragraph, shared / len(mine)))
    return found


def _voice_goes_on(folded: list[str], k: int) -> bool:
    """True when paragraph ``k`` and another paragraph both speak in the first person singular."""
    mine = folded_words(folded[k])
    if _FIRST_PERSON.isdisjoint(mine):
        return False
    return any(not _FIRST_PERSON.isdisjoint(folded_words(f)) for j, f in enumerate(folded) if j != k)


@register
class UnrelatedParagraph(ConversationCheck):
    """A paragraph of an assistant reply has nothing to do with the rest of the conversation.

    What it does:
        In assistant replies with at least ``min_paragraphs`` paragraphs of prose (split on
        blank lines, code blocks left out), reports paragraphs of at least ``min_words``
        distinct content words (stop words left out, compared on five-letter stems) of which at
        most ``max_overlap`` occur anywhere else in the conversation: the other turns, the
        system prompt, or the other paragraphs of the reply. List items, labelled lines
        ("Dinner: ..."), verse and paragraphs of a few words are not prose, and a paragraph that
        opens with a pronoun ("She ...", "This ...") refers back to the text before it: those
        are not judged. One
        that opens with a connective ("If ...", "But ...") or goes on in the first-person voice
        of the rest of the reply (a story told by its narrator) is reported only when it shares
        no word at all; one that announces a change of subject ("On a different note, ...",
        "Fun fact:") may share three times as many. Lexical overlap is a weak sign on short prompts, so the threshold is
        low: expect it to miss paragraphs that share a few common words with the topic.
    Why it matters:
        A paragraph pasted from another answer, a leftover of generation, or an off-topic
        digression teaches the model to wander; fine-tuning amplifies irrelevant filler.
    Example:
        A two-paragraph answer about sourdough whose second paragraph explains index funds.
    Fix:
        Unsafe: remove the paragraph.
    """

    code = "FL003"
    name = "unrelated-paragraph"
    family = Family.FILLER
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    fix_description = "remove the unrelated paragraph"
    defaults = {"min_paragraphs": 2, "min_words": 10, "max_overlap": 0.1}

    def _found(self, conversation: Conversation) -> Iterator[tuple[int, list[tuple[str, float]]]]:
        found_turns = turns(conversation).paragraphs
        if not found_turns:
            return
        opts = self.options
        min_paragraphs = int(opts["min_paragraphs"])
        texts = columns(conversation)[1]
        views = view(conversation)
        for i in found_turns:
            if _prose_starts(texts[i]) < min_paragraphs:
                continue
            found = unrelated_paragraphs(views, i, int(opts["min_words"]), float(opts["max_overlap"]),
                                         int(opts["min_paragraphs"]))
            if found:
                yield i, found

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        found = turns(conversation).paragraphs
        if not found:
            return ()
        texts = columns(conversation)[1]
        least = int(self.options["min_paragraphs"])
        return self._hits(conversation) if any(_prose_starts(texts[i]) >= least for i in found) else ()

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
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


from threadsmith.checks import filler_openers  # noqa: E402, F401  (registers FL002; it reads turns())
