"""Formatting checks (FM): deviations from the dataset's dominant conventions.

FM001 judges one message (unbalanced asterisks or quotes). The others first learn the dataset's
norm (:mod:`threadsmith.checks.norms`): each entry is summarized into the bitmask of
:mod:`threadsmith.checks.conventions`, every convention is tallied, and in ``finish()`` the
entries whose style differs from a style that at least ``dominance`` of the participating
entries share are reported. A dataset without a clear norm (or with fewer than ``min_support``
participating entries) gets no findings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from threadsmith.checks import conventions as cv
from threadsmith.checks.base import ConversationCheck, DatasetHit, Hit
from threadsmith.checks.norms import ConventionCheck, Dimension
from threadsmith.checks.registry import register
from threadsmith.checks.speaker_labels import name_prefix
from threadsmith.checks.length import exchanges
from threadsmith.checks.text import view
from threadsmith.model import Conversation, Family, Severity

# Patterns start with a literal character: Python's regex engine then skips ahead to it quickly,
# where a leading lookbehind or \b would cost a step at every position of long texts.
_CODE = re.compile(r"`(?:``.*?(?:```|$)|[^`\n]*`)", re.DOTALL)
_STARS = re.compile(r"\*+")
_PARAGRAPHS = re.compile(r"\n\s*")
_DOUBLE_STAR = re.compile(r"\*\*")  # a pattern finds ** faster than `in` where single stars abound


def unbalanced(text: str) -> list[str]:
    """What is unbalanced in one message: asterisks, bold markers, straight or curly double quotes."""
    problems = []
    if "`" in text:
        text = _CODE.sub(" ", text)
    if "*" in text and (text.count("*") % 2 or text.count("**") % 2):  # even counts: paired, the usual case
        singles, doubles = _star_markers(text)
        if doubles % 2:
            problems.append("an unclosed ** (bold)")
        if singles % 2:
            problems.append("an odd number of * (an unclosed action or emphasis)")
    if '"' in text and text.count('"') % 2:
        straight = _without_inch_marks(text)
        if straight.count('"') % 2 and _open_quotes(straight, '"', '"') % 2:
            problems.append('an odd number of straight double quotes (")')
    if ("“" in text or "”" in text) and text.count("“") != text.count("”") and _open_quotes(text, "“", "”"):
        problems.append(f"{text.count('“')} opening but {text.count('”')} closing curly quotes")
    return problems


def _star_markers(text: str) -> tuple[int, int]:
    """How many single ``*`` and double ``**`` markers the text has, leaving out stars that mark
    nothing: list bullets, ``***`` rules and ``2 * 3`` (white space on both sides), ``4*5``,
    escaped ``\\*`` and censored words (``sh*t``, ``f**k``)."""
    singles = doubles = 0
    end = len(text)
    for match in _STARS.finditer(text):
        a, b = match.span()
        before = text[a - 1] if a else "\n"
        after = text[b] if b < end else "\n"
        if before == "\\" or (before.isspace() and after.isspace()) or (before.isdigit() and after.isdigit()):
            continue
        if before.isalpha() and after.islower() and _short_word_ends_at(text, a):
            continue
        doubles += (b - a) // 2
        singles += (b - a) % 2
    return singles, doubles


def _short_word_ends_at(text: str, end: int) -> bool:
    start = end
    while start > 0 and end - start <= 4 and text[start - 1].isalpha():
        start -= 1
    return end - start <= 4 and (start == 0 or not text[start - 1].isalpha())


def _without_inch_marks(text: str) -> str:
    """The text without inch marks (5'10") and escaped quotes, which open nothing."""
    parts, start = [], 0
    at = text.find('"')
    while at >= 0:
        if at and (text[at - 1].isdigit() or text[at - 1] == "\\"):
            parts.append(text[start:at])
            start = at + 1
        at = text.find('"', at + 1)
    return "".join(parts) + text[start:] if parts else text


def _open_quotes(text: str, opening: str, closing: str) -> int:
    """Quotes left open, not counting a quotation that goes on into the next paragraph.

    In prose a quotation running over paragraphs reopens each paragraph and closes only at its
    end ("... he said.\n\n"And then ..."): an open paragraph followed by one that starts with
    a quote is not unbalanced.
    """
    paragraphs = _PARAGRAPHS.split(text.strip())
    left = 0
    for k, paragraph in enumerate(paragraphs):
        if opening == closing:
            open_here = paragraph.count(opening) % 2
        else:
            open_here = paragraph.count(opening) - paragraph.count(closing)
        continued = k + 1 < len(paragraphs) and paragraphs[k + 1].startswith(opening)
        if open_here and not (open_here == 1 and continued):
            left += open_here
    return left


@register
class UnbalancedMarkup(ConversationCheck):
    """An assistant message has an unclosed *action*, **bold** or quotation.

    What it does:
        Counts, in each assistant message, single asterisks (leaving out **bold** pairs, list
        bullets, ``***`` rules, escaped and arithmetic ``*``), ``**`` markers, straight double
        quotes (leaving out inch marks such as 5'10") and curly quotes (“ must pair with ”).
        Code blocks and inline code are skipped. Reports an odd count or unpaired curly quotes.
    Why it matters:
        An unclosed ``*`` or quote runs the rest of the reply into the action or dialogue; the
        model learns sloppy markup and renders it back to users, where chat front ends show
        stray asterisks or italicize whole paragraphs.
    Example:
        assistant: "*She turns toward the window and whispers, \\"It's late.\\""
    Fix:
        None automatic: close the action or quotation where it ends.
    """

    code = "FM001"
    name = "unbalanced-markup"
    family = Family.FORMATTING
    severity = Severity.WARNING

    def check(self, conversation: Conversation) -> list[Hit]:
        texts, joined = cv.assistant_text(conversation)
        if not ("*" in joined or '"' in joined or "`" in joined or (not joined.isascii() and (
                "“" in joined or "”" in joined))):
            return []  # no mark to pair in any turn
        hits = []
        for i, text in zip((i for i, _, _ in exchanges(conversation)[4]), texts):
            # Every mark comes in pairs (the usual case, found with a few counts): nothing to read.
            if ("`" not in text and not ("*" in text and (text.count("*") & 1 or (
                    _DOUBLE_STAR.search(text) and text.count("**") & 1)))
                    and not ('"' in text and text.count('"') & 1)
                    and (text.isascii() or text.count("“") == text.count("”"))):
                continue
            problems = unbalanced(text)
            if problems:
                hits.append(Hit(i, f"assistant message {i} has {' and '.join(problems)}", fixable=False))
        return hits


def _uses(bit: int) -> Callable[[int], int]:
    return lambda mask: 2 if mask & bit else 1


@register
class UnexpectedMarkup(ConventionCheck):
    """An entry uses markdown, HTML or code fences where the dataset uses none.

    What it does:
        Tallies, per entry, whether assistant turns use markdown (headings, underlined
        headings, **bold**, links, tables, `inline code`), bulleted lists (two or more lines
        starting "- ", "* ", "• "; numbered lists are plain text, not markup), HTML tags, or
        code fences. When at least ``dominance`` (default 95%) of the entries use none of one
        kind, reports the entries that do. Datasets where that kind is common (fences in coding data) get no findings for it.
    Why it matters:
        A few replies with markup in a plain-text dataset teach the model to emit stray
        markdown or HTML at random, which plain-text front ends (chat apps, games) show raw.
    Example:
        In a roleplay dataset of plain prose, one reply starts "## Chapter 2" and uses <br>.
    Fix:
        None automatic: rewrite the reply in the dataset's plain style, or drop it.
    """

    code = "FM002"
    name = "unexpected-markup"
    family = Family.FORMATTING
    severity = Severity.WARNING
    defaults = {"dominance": 0.95, "min_support": 12}
    detail_bits = cv.MARKDOWN | cv.LIST | cv.HTML | cv.FENCE
    dimensions = (
        Dimension(_uses(cv.MARKDOWN), ("uses no markdown", "uses markdown"), "entries", (1,)),
        Dimension(_uses(cv.LIST), ("uses no lists", "uses a bulleted list"), "entries", (1,)),
        Dimension(_uses(cv.HTML), ("uses no HTML", "uses HTML tags"), "entries", (1,)),
        Dimension(_uses(cv.FENCE), ("uses no code fences", "uses a code fence (```)"),
                   "entries", (1,)),
    )

    def detail(self, conversation: Conversation, mask: int) -> tuple[tuple[int, str] | None, ...]:
        return tuple(_first_markup(conversation, bit) if mask & bit else None
                     for bit in (cv.MARKDOWN, cv.LIST, cv.HTML, cv.FENCE))


#: A character any markup of the kind needs (a fast test before the patterns).
_MARKUP_CHAR = {cv.MARKDOWN: None, cv.LIST: "\n", cv.HTML: "<", cv.FENCE: None}


def _first_markup(conversation: Conversation, bit: int) -> tuple[int, str] | None:
    char = _MARKUP_CHAR[bit]
    for i, v in enumerate(view(conversation)):
        if v.role == "assistant" and (char is None or char in v.text):
            found = cv.markup_excerpt(v.text, bit)
            if found:
                return i, repr(found)
    return None


def _action_style(mask: int) -> int:
    styles = mask & (cv.ACTIONS | cv.ACT_PROSE)
    if not styles:
        return 0
    return {cv.ACT_ASTERISK: 1, cv.ACT_PAREN: 2, cv.ACT_BRACKET: 3, cv.ACT_PROSE: 4, cv.ACT_OTHER: 6}.get(styles, 5)


@register
class ActionStyle(ConventionCheck):
    """An entry marks actions in another style than the dataset does.

    What it does:
        Finds actions in assistant turns by their first words (an action verb, or a subject and
        a verb; the subject may be a pronoun, a name or an article and a noun: "The old keeper
        nods"): ``*waves*``, ``(waves)``, ``[waves]``, ``_waves_`` (or ``~waves~``,
        ``//waves//``), and in roleplay datasets prose narration beside quoted dialogue
        (``She waves. "Hi!"``). When at least ``dominance`` of the entries with actions use
        one style, reports entries that use another or mix styles.
        Separately, when at least ``none_dominance`` of all entries have no action markup,
        reports the entries that have some (emotes leaking into assistant data).
    Why it matters:
        Mixed emote styles split what the model learns about one thing in two; it then switches
        style mid-conversation, and front ends that render ``*actions*`` show the others raw.
    Example:
        "(smiles warmly) Welcome back!" in a dataset where 94% of entries write "*smiles warmly*".
    Fix:
        None automatic: rewrite the actions in the dominant style.
    """

    code = "FM003"
    name = "action-style"
    family = Family.FORMATTING
    severity = Severity.WARNING
    defaults = {"dominance": 0.9, "none_dominance": 0.95, "min_support": 12}
    dimensions = (
        Dimension(_action_style, ("uses *asterisk* actions", "uses (parenthesised) actions",
                                   "uses [bracketed] actions", "narrates actions in plain prose",
                                   "mixes action styles", "marks actions with _underscores_, ~tildes~ or //slashes//"),
                  "entries with actions"),
        Dimension(_uses(cv.ACTIONS), ("use no action markup", "uses action markup (*waves*, (waves), [waves])"),
                   "entries", (1,)),
    )

    def _dominance(self, dimension: Dimension) -> float:
        key = "none_dominance" if dimension is self.dimensions[1] else "dominance"
        return float(self.options[key])

    def finish(self) -> Iterator[DatasetHit]:
        seen: set[int] = set()  # an entry off the style norm is not reported again for having markup
        for hit in super().finish():
            if id(hit.ref) not in seen:
                seen.add(id(hit.ref))
                yield hit


_STRAIGHT_QUOTES = cv.Q_STRAIGHT_DOUBLE | cv.Q_STRAIGHT_SINGLE
_TYPESET_QUOTES = cv.Q_CURLY_DOUBLE | cv.Q_CURLY_SINGLE | cv.Q_OTHER


def _quote_style(mask: int) -> int:
    doubles = mask & (cv.Q_STRAIGHT_DOUBLE | cv.Q_CURLY_DOUBLE | cv.Q_OTHER)
    kinds = doubles or mask & (cv.Q_STRAIGHT_SINGLE | cv.Q_CURLY_SINGLE)
    if not kinds:
        return 0
    if (mask & _STRAIGHT_QUOTES and mask & _TYPESET_QUOTES) or kinds & (kinds - 1):
        return 5
    return {cv.Q_STRAIGHT_DOUBLE: 1, cv.Q_CURLY_DOUBLE: 2, cv.Q_STRAIGHT_SINGLE: 3, cv.Q_CURLY_SINGLE: 4,
            cv.Q_OTHER: 6}[kinds]


def _apostrophes(mask: int) -> int:
    return {cv.APOS_STRAIGHT: 1, cv.APOS_CURLY: 2, cv.APOS_STRAIGHT | cv.APOS_CURLY: 3}.get(
        mask & (cv.APOS_STRAIGHT | cv.APOS_CURLY), 0)


@register
class QuoteStyle(ConventionCheck):
    """An entry quotes dialogue, or writes apostrophes, in another style than the dataset does.

    What it does:
        Tallies which quotation marks assistant turns use for dialogue: straight double ("),
        curly double (“ ”), straight single ('...' around words), curly single (‘ ’), or
        guillemets and low quotes (« », „ “), single quotes nested in double ones counting as
        double; and which apostrophes (don't, don’t, the founders' ideals). Code (inline or
        fenced) and JSON-like replies are left out. When at least ``dominance`` of the entries
        that quote (or that use apostrophes) share one style, reports the entries with
        another, or with a mix of straight and curly.
    Why it matters:
        Straight and curly quotes are different tokens: a mixed dataset teaches the model both
        and it alternates at random, which breaks downstream parsing and looks careless.
    Example:
        “Come in,” she says. (curly) in a dataset where 97% of entries write "Come in," she says.
    Fix:
        None automatic: normalize quotes to the dominant style (a later fix may do this safely).
    """

    code = "FM004"
    name = "quote-style"
    family = Family.FORMATTING
    severity = Severity.WARNING
    dimensions = (
        Dimension(_quote_style, ('quotes with straight double quotes (")', "quotes with curly double quotes (“ ”)",
                                  "quotes with straight single quotes (')", "quotes with curly single quotes (‘ ’)",
                                  "mixes straight and curly quotes", "quotes with guillemets or low quotes (« », „ “)"),
                  "entries that quote"),
        Dimension(_apostrophes, ("writes straight apostrophes (')", "writes curly apostrophes (’)",
                                  "mixes straight (') and curly (’) apostrophes"), "entries with apostrophes"),
    )


def _prefix_style(mask: int) -> int:
    return {cv.UNPREFIXED: 1, cv.PREFIXED: 2}.get(mask & (cv.PREFIXED | cv.UNPREFIXED), 3)


@register
class NamePrefix(ConventionCheck):
    """An entry starts assistant turns with a speaker name ("Mira: ...") against the dataset's norm.

    What it does:
        Notes whether each assistant turn starts with a capitalized name and a colon ("Mira:",
        "Captain Reyes:", "Mira -", "[Mira]", "Mira says:"), not counting labels ("Note:",
        "Step 1:"), role words (those are role-confusion's) and multi-speaker scripts (section
        labels such as "Breakfast:" later in the reply do not make a script). When at least
        ``dominance`` of the entries have no prefix, reports entries with one; when the norm is
        prefixed turns, reports entries without.
    Why it matters:
        A model trained on a few prefixed replies starts some of its own replies with a name
        label; chat front ends that add the name themselves then show it twice.
    Example:
        assistant: "Mira: The harbour is quiet tonight." where other replies start with the text.
    Fix:
        None automatic: remove the prefix (or add it everywhere) to match the dataset.
    """

    code = "FM005"
    name = "name-prefix"
    family = Family.FORMATTING
    severity = Severity.WARNING
    dimensions = (
        Dimension(_prefix_style, ("has no name prefix", "starts with a speaker name prefix",
                                   "starts some assistant turns with a name prefix and others not"), "entries"),
    )
    detail_bits = cv.PREFIXED

    def detail(self, conversation: Conversation, mask: int) -> tuple[tuple[int, str] | None, ...]:
        for i, message in enumerate(conversation.messages):
            if message.role == "assistant":
                prefix = name_prefix(message.text, message.name)
                if prefix:
                    return ((i, repr(prefix + ":")),)
        return (None,)


def _person(mask: int) -> int:
    return 1 if mask & cv.FIRST_PERSON else 2 if mask & cv.THIRD_PERSON else 0


@register
class NarrationPerson(ConventionCheck):
    """A roleplay entry narrates in the first person where the dataset narrates in the third (or back).

    What it does:
        In roleplay datasets (any dataset with ``only_roleplay`` false), reads the narration of
        assistant turns (the text of actions, or prose outside quoted dialogue): an entry whose
        narration says I/me/my is first person, one whose narration starts with he/she/they is
        third person. When at least ``dominance`` of the entries with narration use one person,
        reports the others.
    Why it matters:
        A character narrated as "I" in some examples and "she" in others gives the model two
        voices for one role; it switches person mid-scene, which readers notice at once.
    Example:
        "*I lean on the railing.*" in a dataset where 93% of entries narrate "*She leans ...*".
    Fix:
        None automatic: rewrite the narration in the dominant person.
    """

    code = "FM006"
    name = "narration-person"
    family = Family.FORMATTING
    severity = Severity.WARNING
    roleplay_only = True
    defaults = {"dominance": 0.9, "min_support": 12, "only_roleplay": True}
    dimensions = (
        Dimension(_person, ("narrates in the first person (I, me, my)", "narrates in the third person (he, she, they)"),
                   "entries with narration"),
    )
