"""Which formatting conventions a conversation's assistant turns use, as one small bitmask.

The formatting checks (FM) summarize every entry into this mask, tally the masks over the
dataset, and report the entries that deviate from the dominant convention. Computing the mask
once per conversation (cached like :func:`threadsmith.checks.text.view`) keeps the family at one
pass over the text however many FM checks are on.

Actions are recognized by their first words (see :mod:`threadsmith.checks.actions`).

Speed: the assistant turns are joined once (:func:`assistant_text`, shared with FM001), so most
conventions are found with single-character tests and a pattern or two over one string, and
the spans of a turn are only read where they can change the mask: while the action bit is not
known, or (in roleplay data) where the narration could change the person.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import compress, repeat
from operator import itemgetter

from threadsmith.checks.actions import (
    FIRST,
    _ASTERISK_SPAN,
    _BRACKET_SPAN,
    _MAYBE_I,
    _MAYBE_ME,
    _PAREN_SPAN,
    _SLASH_SPAN,
    _TILDE_SPAN,
    _UNDERSCORE_SPAN,
    _is_action,
    _joined,
    _narration_person,
    _prose,
)
from threadsmith.checks.length import exchanges
from threadsmith.checks.speaker_labels import starts_with_name
from threadsmith.checks.text import view
from threadsmith.model import Conversation

MARKDOWN, HTML, FENCE = 1, 1 << 1, 1 << 2
ACT_ASTERISK, ACT_PAREN, ACT_BRACKET, ACT_PROSE = 1 << 3, 1 << 4, 1 << 5, 1 << 6
Q_STRAIGHT_DOUBLE, Q_CURLY_DOUBLE, Q_STRAIGHT_SINGLE, Q_CURLY_SINGLE = 1 << 7, 1 << 8, 1 << 9, 1 << 10
APOS_STRAIGHT, APOS_CURLY = 1 << 11, 1 << 12
PREFIXED, UNPREFIXED = 1 << 13, 1 << 14
FIRST_PERSON, THIRD_PERSON = 1 << 15, 1 << 16
#: Set when the entry has at least one non-empty assistant turn.
HAS_REPLY = 1 << 17
#: Two or more bulleted lines ("- a", "* b", "• c"); numbered lists are plain text and not counted.
LIST = 1 << 18
#: Guillemets or low-9 quotes (« », „ “) quoting dialogue.
Q_OTHER = 1 << 19
#: Actions in other marks: ``_waves_``, ``~waves~``, ``//waves//``.
ACT_OTHER = 1 << 20
ACTIONS = ACT_ASTERISK | ACT_PAREN | ACT_BRACKET | ACT_OTHER

# _span_, ~span~ and //span// actions (patterns in actions.py), with the (paren) and [bracket] ones.
_OTHER_SPANS = (
    ("(", _PAREN_SPAN, ACT_PAREN),
    ("[", _BRACKET_SPAN, ACT_BRACKET),
    ("_", _UNDERSCORE_SPAN, ACT_OTHER),
    ("~", _TILDE_SPAN, ACT_OTHER),
    ("/", _SLASH_SPAN, ACT_OTHER),
)
# Markdown constructs, each searched only when its trigger characters occur (most text has none):
# (a character to test first, which is fast, then the substring, then the pattern, then what must
# come before a match: "line" a line start, "word" no letter or digit, "text" a non-blank line).
_SETEXT = re.compile(r"\n(?:={3,}|-{3,})[ \t]*(?=\n|$)")  # a line of text underlined with === or ---
_MARKDOWN_PARTS = (
    ("#", "", re.compile(r"#{1,6}[ \t]+\S"), "line"),
    ("*", "", re.compile(r"\*\*[^*\n]+\*\*"), "word"),  # the pattern finds ** faster than `in`
    ("_", "__", re.compile(r"__[^_\n]+__(?!\w)"), "word"),
    ("]", "](", re.compile(r"\[[^\]\n]+\]\([^)\s]+\)"), "word"),
    ("|", "", re.compile(r"\|[^\n]*\|[ \t]*\n[ \t]*\|?[ \t]*:?-{3,}"), "word"),
    (">", "", re.compile(r">[ \t]?\S"), "line"),
    ("`", "", re.compile(r"`[^`\n]+`(?![`\w])"), "word"),
    ("\n", "\n=", _SETEXT, "text"),
    ("\n", "\n-", _SETEXT, "text"),
)
_MARKDOWN_INLINE = _MARKDOWN_PARTS[:-2]
_MARKDOWN_CHARS = "".join(part[0] for part in _MARKDOWN_PARTS)
_LIST_ITEM = re.compile(r"\n[ \t]*[-*+•][ \t]+\S")
_LIST_START = re.compile(r"[ \t]*[-*+•][ \t]+\S")
# A list item (group 1 None) or a setext underline (group 1 set), in one scan of the line starts.
_LINE_MARK = re.compile(r"\n(?:[ \t]*[-*+•][ \t]+\S|((?:={3,}|-{3,})[ \t]*(?=\n|$)))")
_HTML = re.compile(
    r"</?(?:p|br|div|span|b|i|u|em|strong|ul|ol|li|h[1-6]|a|img|table|tr|td|th|pre|code|blockquote|sup|sub|"
    r"font|center|hr|small|details|summary)(?:\s[^<>]*)?/?>", re.IGNORECASE)
_CODE = re.compile(r"`(?:``.*?(?:```|$)|[^`\n]*`)", re.DOTALL)
# A sentence in single quotes ('Veni, vidi, vici.'); the character before it is checked apart
# (a leading lookbehind would keep the regex engine from scanning for the quote quickly).
_SINGLE_DIALOGUE = re.compile(r"'[A-Z][^\n]{0,300}?\S'(?!\w)")
_BEFORE_QUOTE = frozenset(" \t\n([*—-")
# An apostrophe between two letters or digits (don't, Earth's), or one ending a word in -s (the
# founders' ideals), told from a closing quote only where the text opens no single quotes.
_INNER_STRAIGHT = re.compile(r"'(?<=[^\W_]')(?=[^\W_])")
_INNER_CURLY = re.compile(r"’(?<=[^\W_]’)(?=[^\W_])")
_POSSESSIVE_STRAIGHT = re.compile(r"'(?<=[sS]')(?![^\W_])")
_POSSESSIVE_CURLY = re.compile(r"’(?<=[sS]’)(?![^\W_])")
_last: tuple[Conversation | None, bool, int] = (None, False, 0)


def conventions(conversation: Conversation, roleplay: bool = False) -> int:
    """The bitmask of conventions the conversation's assistant turns use (cached per conversation).

    With ``roleplay``, prose narration (ACT_PROSE) and the narration person are detected too.
    """
    global _last
    cached, cached_roleplay, mask = _last
    if cached is conversation and cached_roleplay == roleplay:
        return mask
    texts, joined = assistant_text(conversation)
    if texts:
        views, messages = view(conversation), conversation.messages
        folded = [views[i][2] for i, _, _ in exchanges(conversation)[4]]
        names = [messages[i].name for i, _, _ in exchanges(conversation)[4]]
        mask = _conventions(texts, folded, names, joined, roleplay)
    else:
        mask = 0
    _last = (conversation, roleplay, mask)
    return mask


_text_last: tuple[Conversation | None, list[str], str] = (None, [], "")


def assistant_text(conversation: Conversation) -> tuple[list[str], str]:
    """The texts of the non-blank assistant turns, and them joined by blank lines (so a line
    start in the joined text is one in a turn); cached for the conversation being checked."""
    global _text_last
    cached, texts, joined = _text_last
    if cached is conversation:
        return texts, joined
    views = view(conversation)
    texts = [views[i][1] for i, _, _ in exchanges(conversation)[4]]
    joined = texts[0] if len(texts) == 1 else "\n\n".join(texts)
    _text_last = (conversation, texts, joined)
    return texts, joined


def _conventions(texts: list[str], folded: list[str], names: list[str | None], joined: str, roleplay: bool) -> int:
    mask = HAS_REPLY | _markup_bits(joined, texts)
    quotes = _all_quote_bits(texts, joined) if '"' in joined or "'" in joined or not joined.isascii() else 0
    mask |= quotes
    # Single characters are found fastest (memchr): each is looked for once in the joined turns.
    stars = "*" in joined
    others = [entry for entry in _OTHER_SPANS if entry[0] in joined]
    # A name prefix needs one of its marks: without any, every turn is unprefixed.
    marks = ":" in joined or "-" in joined or "[" in joined or (not joined.isascii() and (
        "–" in joined or "—" in joined))
    person = 0  # THIRD: narration starts a segment with he/she/they; FIRST: it says I/me/my
    for text, folded_text, name in zip(texts, folded, names):
        mask |= PREFIXED if (marks or name) and starts_with_name(text, name) else UNPREFIXED
        narrate = roleplay and person != FIRST
        bits = 0
        if stars and "*" in text:
            bits, person = _stars(text, folded_text, mask, narrate, person)
        for mark, span, bit in others:
            if mark in text:
                inners = span.findall(text)
                if inners:
                    # In roleplay every style is judged: an action keeps the message from reading as prose.
                    found, person = _read_spans(inners, bit, 0 if roleplay else mask | bits, narrate, person)
                    bits |= found
        if (roleplay and not bits and quotes & _DOUBLE_QUOTES and "*" not in text
                and (len(texts) == 1 or _quote_bits(text) & _DOUBLE_QUOTES)):
            segments = _prose(text)
            if any(_is_action(segment, narrated=True) for segment in segments):
                bits = ACT_PROSE
                if narrate:
                    person = _narration_person(_joined(segments), person)
        mask |= bits
    if person == FIRST:
        mask |= FIRST_PERSON
    elif person:
        mask |= THIRD_PERSON
    return mask


def _stars(text: str, folded: str, mask: int, narrate: bool, person: int) -> tuple[int, int]:
    """ACT_ASTERISK when the message has an *action* (or 0 when the mask has it already), and the
    narration person after reading the message. Spans are only read when that can change either:
    the bit is not known yet, no narration said he/she/they yet, or the text may say I/me/my."""
    if narrate:
        if mask & ACT_ASTERISK and person and not (_MAYBE_I.search(text) or _MAYBE_ME.search(folded)):
            return 0, person
        inners = _ASTERISK_SPAN.findall(text)
        return _read_spans(inners, ACT_ASTERISK, mask, narrate, person) if inners else (0, person)
    if mask & ACT_ASTERISK or not any(map(_is_action, _ASTERISK_SPAN.findall(text))):
        return 0, person
    return ACT_ASTERISK, person


def _read_spans(inners: list[str], bit: int, mask: int, narrate: bool, person: int) -> tuple[int, int]:
    """``bit`` when one of one style's spans in a message is an action, and the narration person
    after reading them (with ``narrate``, in roleplay). The spans are only judged as actions when
    that can change the mask: the bit is not set yet, or the spans would change the person.
    Narration counts only in a message with an action: without one, its person is not read."""
    if not mask & bit:
        if not any(map(_is_action, inners)):
            return 0, person
        return bit, _narration_person(_joined(inners), person) if narrate else person
    if narrate:
        after = _narration_person(_joined(inners), person)
        if after != person and any(map(_is_action, inners)):
            return bit, after
    return 0, person


def _markup_bits(joined: str, texts: list[str]) -> int:
    """Markdown, HTML, fences and lists in the joined assistant turns (a list must be in one turn)."""
    bits = 0
    if ("`" in joined and "```" in joined) or ("~" in joined and "~~~" in joined):
        bits |= FENCE
    if "<" in joined and _HTML.search(joined):
        bits |= HTML
    lined = [text for text in texts if "\n" in text]  # lists and setext headings need line breaks
    if lined:
        block = lined[0] if len(lined) == 1 else "\n\n".join(lined)
        items = 1 if _LIST_START.match(block) else 0
        for match in _LINE_MARK.finditer(block):
            if match.group(1) is None:
                items += 1
            elif match.start() and not block[match.start() - 1].isspace():
                bits |= MARKDOWN  # a setext heading
        if items > 1 and (len(lined) == 1 or any(map(_list_in, lined))):
            bits |= LIST
    if not bits & MARKDOWN and _markdown(joined, setext=False):
        bits |= MARKDOWN
    return bits


def _list_in(text: str) -> bool:
    return "\n" in text and _two(_LIST_ITEM.finditer("\n" + text))


def _two(matches: Iterator[re.Match[str]]) -> bool:
    return next(matches, None) is not None and next(matches, None) is not None


def _markdown(text: str, setext: bool = True) -> re.Match[str] | None:
    parts, chars = (_MARKDOWN_PARTS, _MARKDOWN_CHARS) if setext else (_MARKDOWN_INLINE, _MARKDOWN_CHARS[:-2])
    # Only the parts whose character occurs (one C-level pass over the few characters).
    for char, trigger, pattern, mode in compress(parts, map(text.__contains__, chars)):
        if not trigger or trigger in text:
            for match in pattern.finditer(text):
                at = match.start()
                before = text[at - 1] if at else "\n"
                if mode == "line":
                    if before == "\n":
                        return match
                elif mode == "word":
                    if not (before.isalnum() or before in "_`"):
                        return match
                elif not before.isspace():
                    return match
    return None


def markup_excerpt(text: str, bit: int) -> str | None:
    """The first markdown (``bit`` MARKDOWN), HTML tag (HTML) or code fence (FENCE) in ``text``."""
    if bit == FENCE:
        return "```" if "```" in text else "~~~" if "~~~" in text else None
    if bit == LIST:
        text = "\n" + text
    match = _LIST_ITEM.search(text) if bit == LIST else _HTML.search(text) if bit == HTML else _markdown(text)
    if match is None or bit == HTML:
        return match.group(0)[:30] if match else None
    if match.re is _SETEXT:  # quote the heading and its underline
        start = text.rfind("\n", 0, match.start()) + 1
        line = f"{text[start:match.start()].strip()} {match.group(0).strip()}"
    else:
        end = text.find("\n", match.end())
        line = text[match.start():end if end >= 0 else len(text)].strip()
    return line if len(line) <= 30 else line[:27].rstrip() + "..."


_DOUBLE_QUOTES = Q_STRAIGHT_DOUBLE | Q_CURLY_DOUBLE


def _all_quote_bits(texts: list[str], joined: str) -> int:
    """The quote bits of every message together, read on the joined text where that gives the same."""
    if len(texts) > 1 and ("`" in joined or not _PLAIN_STARTS.issuperset(map(_FIRST_CHAR, texts))
                           and any(map(_data_like, texts))):
        bits = 0
        for text in texts:
            bits |= _quote_bits(text)
        return bits
    bits = _quote_bits(joined)
    if len(texts) == 1:
        return bits
    if bits & Q_STRAIGHT_DOUBLE and max(map(str.count, texts, repeat('"'))) < 2:
        bits &= ~Q_STRAIGHT_DOUBLE  # a lone quote mark in several messages
    if ((bits & Q_STRAIGHT_SINGLE and not bits & APOS_STRAIGHT and _POSSESSIVE_STRAIGHT.search(joined))
            or (bits & Q_CURLY_SINGLE and not bits & APOS_CURLY and _POSSESSIVE_CURLY.search(joined))):
        for text in texts:  # whether a possessive counts depends on its own message's quotes
            bits |= _quote_bits(text)
    return bits


_FIRST_CHAR = itemgetter(0)
#: Characters a message may start with and be no data ({...} or [...]) for sure.
_PLAIN_STARTS = frozenset(chr(c) for c in range(0x3000) if not chr(c).isspace() and chr(c) not in "{[")


def _data_like(text: str) -> bool:
    first = text[0]
    return first == "{" or first == "[" or (first.isspace() and text.lstrip()[:1] in ("{", "["))


def _quote_bits(text: str) -> int:
    if _data_like(text):
        return 0  # data: its quotes are syntax, not dialogue
    if "`" in text:
        text = _CODE.sub(" ", text)  # code: its quotes are syntax too
    bits = 0
    if text.count('"') >= 2:
        bits |= Q_STRAIGHT_DOUBLE
    if "'" in text:
        if any(m.start() == 0 or text[m.start() - 1] in _BEFORE_QUOTE for m in _SINGLE_DIALOGUE.finditer(text)):
            bits |= Q_STRAIGHT_SINGLE
        if _INNER_STRAIGHT.search(text) or (not bits & Q_STRAIGHT_SINGLE and _POSSESSIVE_STRAIGHT.search(text)):
            bits |= APOS_STRAIGHT
    if text.isascii():
        return bits
    if "“" in text or "”" in text:
        bits |= Q_CURLY_DOUBLE
    if "«" in text or "»" in text or "„" in text:
        bits |= Q_OTHER
    if "‘" in text:
        bits |= Q_CURLY_SINGLE
    if "’" in text:
        if _opens_word(text, "’"):  # ’ used as an opening quote: ’Bluebird sings’
            bits |= Q_CURLY_SINGLE
        if _INNER_CURLY.search(text) or (not bits & Q_CURLY_SINGLE and _POSSESSIVE_CURLY.search(text)):
            bits |= APOS_CURLY
    return bits


def _opens_word(text: str, char: str) -> bool:
    """True when ``char`` starts a word (after a space, a bracket or the start): an opening quote."""
    i = text.find(char)
    while 0 <= i < len(text) - 1:
        if (i == 0 or text[i - 1] in _BEFORE_QUOTE) and text[i + 1].isalnum():
            return True
        i = text.find(char, i + 1)
    return False
