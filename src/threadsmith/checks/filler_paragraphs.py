"""Filler check FL003: a paragraph of an assistant reply unrelated to the rest of the conversation.

Imported by :mod:`threadsmith.checks.filler`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Iterator

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.text import MessageView, fold, folded_words, view
from threadsmith.checks.turn_scan import prose_starts, scan
from threadsmith.model import Conversation, Family, FixSafety, Severity


def _excerpt(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


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
_DIGRESSION = re.compile(r"[\s*\"'“_(]*(?:on an? (?:\w+ )?(?:different|unrelated|separate|side|other) note"
                         r"|unrelated(?:ly)?\b"
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
_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789'"
_SHORT = frozenset(a + b for a in _CHARACTERS for b in ["", *_CHARACTERS])
_IGNORED = _STOPWORDS | _SHORT
_FIVE = operator.itemgetter(slice(None, 5))


def _stem_set(folded: str) -> set[str]:
    """Five-letter stems of the distinct content words of folded text (numbers of three digits or more count)."""
    return set(map(_FIVE, set(folded_words(folded)).difference(_IGNORED)))


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
    if prose_starts(text) < min_paragraphs:
        return []
    paragraphs = _paragraphs(text)
    if len(paragraphs) < min_paragraphs:
        return []
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

    def _turns(self, conversation: Conversation) -> tuple[int, ...]:
        """The assistant turns with at least ``min_paragraphs`` paragraphs that may be prose."""
        least = int(self.options["min_paragraphs"])
        if least == 2:  # the default: the shared scan has them
            return scan(conversation).paragraphs
        views = view(conversation)
        return tuple(i for i, v in enumerate(views) if v.role == "assistant" and prose_starts(v.text) >= least)

    def _found(self, conversation: Conversation) -> Iterator[tuple[int, list[tuple[str, float]]]]:
        opts = self.options
        views = view(conversation)
        for i in self._turns(conversation):
            found = unrelated_paragraphs(views, i, int(opts["min_words"]), float(opts["max_overlap"]),
                                         int(opts["min_paragraphs"]))
            if found:
                yield i, found

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        return self._hits(conversation) if self._turns(conversation) else ()

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
