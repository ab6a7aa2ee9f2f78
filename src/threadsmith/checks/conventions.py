"""Which formatting conventions a conversation's assistant turns use, as one small bitmask.

The formatting checks (FM) summarize every entry into this mask, tally the masks over the
dataset, and report the entries that deviate from the dominant convention. Computing the mask
once per conversation (cached like :func:`threadsmith.checks.text.view`) keeps the family at one
pass over the text however many FM checks are on.

Actions are recognized by their first words, not by their brackets alone: ``*waves*``,
``(smiles warmly)``, ``[She leans closer]`` start with an action verb, optionally after a
subject word and an -ly adverb. ``*really*`` (emphasis) and ``(see below)`` are not actions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from threadsmith.checks.text import fold
from threadsmith.model import Conversation

MARKDOWN, HTML, FENCE = 1, 1 << 1, 1 << 2
ACT_ASTERISK, ACT_PAREN, ACT_BRACKET, ACT_PROSE = 1 << 3, 1 << 4, 1 << 5, 1 << 6
ACTIONS = ACT_ASTERISK | ACT_PAREN | ACT_BRACKET
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

# Action verbs (base forms; other forms are derived below), our own list.
_VERB_BASES = """
smile grin laugh chuckle giggle smirk snicker nod shake shrug sigh wave wink blink blush frown pout gasp
groan growl hum huff scoff snort sniff yawn cough clear look glance stare gaze peer glare watch turn lean
tilt step walk move sit stand kneel jump hop spin bow curtsy hug kiss pat poke tap touch grab hold hand
take pick place pull push reach point raise lower cross fold rub scratch stretch bite lick sip drink eat
chew swallow whisper murmur mutter shout yell scream cry sob sniffle purr hiss tremble shiver flinch wince
cringe pause hesitate freeze relax close open roll squeeze stroke caress brush tuck adjust straighten
fidget pace wander approach enter leave storm dash rush crouch slump perk beam gulp clap snap stomp salute
pour offer gesture motion slide lift drop toss throw catch flip say ask reply answer exclaim continue
grunt whimper moan pant cheer cuddle nuzzle snuggle blow tease chortle gesticulate shuffle set put cut shut
hit let feel notice realize wonder decide try begin start stop wait keep listen hear speak talk call tell
follow climb crawl float fly swim dance sing play write read draw hide duck dodge kick punch slap grip
""".split()
_IRREGULAR = """
took taken stood sat ran held threw thrown caught rose risen knelt bit bitten drank drunk ate eaten froze
frozen gave given said lay laid lies lying dying shook shaken spun blew blown leant leapt slid wept
""".split()


def _forms(base: str) -> set[str]:
    """The base form, third person, -ing and -ed forms of a regular verb (doubling a final consonant)."""
    stem = base[:-1] if base.endswith("e") and not base.endswith("ee") else base
    double = base + base[-1] if (len(base) <= 4 and base[-1] not in "aeiouwxy"
                                 and base[-2] in "aeiou" and base[-3:-2] not in ("a", "e", "i", "o", "u")) else base
    if base.endswith(("s", "sh", "ch", "x", "z")):
        third = base + "es"
    elif base.endswith("y") and base[-2] not in "aeiou":
        third = base[:-1] + "ies"
    else:
        third = base + "s"
    past = base[:-1] + "ied" if base.endswith("y") and base[-2] not in "aeiou" else stem + "ed"
    return {base, third, stem + "ing", double + "ing", past, double + "ed"}


VERBS = frozenset(form for base in _VERB_BASES for form in _forms(base)) | frozenset(_IRREGULAR)
_SUBJECTS = frozenset("i he she they we you it his her their my our".split())
_FIRST_PERSON = re.compile(r" (?:I|[Mm]e|[Mm]y|[Mm]yself|[Mm]ine)(?!\w)")
_PUNCTUATION = ".,;:!?\"'“”‘’«»„*()[]—–-…"
_THIRD_SUBJECTS = frozenset("he she they his her their".split())

# Patterns start with a literal character where they can: Python's regex engine then skips ahead
# to it quickly, where a leading lookbehind, \b or ^ costs a step at every position of the text.
# What a lookbehind would check is checked in Python on the (few) matches instead.
_ASTERISK_SPAN = re.compile(r"\*([^*\n]{1,300})\*")
_PAREN_SPAN = re.compile(r"\(([^()\n]{1,200})\)")
_BRACKET_SPAN = re.compile(r"\[([^\[\]\n]{1,200})\](?!\()")
# Markdown constructs, each searched only when its trigger characters occur (most text has none):
# (a character to test first, which is fast, then the substring, then the pattern).
_MARKDOWN_PARTS = (
    ("#", "#", re.compile(r"#{1,6}[ \t]+\S"), True),
    ("*", "**", re.compile(r"\*\*[^*\n]+\*\*"), False),
    ("_", "__", re.compile(r"__[^_\n]+__(?!\w)"), False),
    ("]", "](", re.compile(r"\[[^\]\n]+\]\([^)\s]+\)"), False),
    ("|", "|", re.compile(r"\|[^\n]*\|[ \t]*\n[ \t]*\|?[ \t]*:?-{3,}"), False),
    (">", ">", re.compile(r">[ \t]?\S"), True),
    ("`", "`", re.compile(r"`[^`\n]+`(?![`\w])"), False),
)
_LIST_ITEM = re.compile(r"\n[ \t]*[-*+•][ \t]+\S")
_HTML = re.compile(
    r"</?(?:p|br|div|span|b|i|u|em|strong|ul|ol|li|h[1-6]|a|img|table|tr|td|th|pre|code|blockquote|sup|sub|"
    r"font|center|hr|small|details|summary)(?:\s[^<>]*)?/?>", re.IGNORECASE)
# A sentence in single quotes ('Veni, vidi, vici.'); the character before it is checked apart
# (a leading lookbehind would keep the regex engine from scanning for the quote quickly).
_SINGLE_DIALOGUE = re.compile(r"'[A-Z][^\n]{0,300}?\S'(?!\w)")
_BEFORE_QUOTE = frozenset(" \t\n([*—-")
_STRAIGHT_QUOTED = re.compile(r"\"[^\"\n]*\"")
_CURLY_QUOTED = re.compile(r"“[^”]*”")
_SENTENCE_SPLIT = re.compile(r"[.!?…]+\s+|\n+")
# A speaker label: "Name:", "**Name:**", "**Name**:", "NAME:", "Name -", "[Name]", "Name says:".
# A name word is capitalized; it may end in "." only as a title or an initial (Dr., Mrs., J.).
_NAME_WORD = r"[A-Z](?:[a-z]{0,2}\.|[\w'’-]{0,24})"
_NAME = rf"{_NAME_WORD}(?: {_NAME_WORD}){{0,2}}"
_PREFIX = re.compile(rf"\s*(?:\*\*)?(?:({_NAME})(?:\*\*)?(?::(?:\*\*)?|[ \t]+[-–—]|[ \t]+says:)|\[({_NAME})\])\s")
_SPEAKER = re.compile(rf"(?:^|\n|(?<=[.!?\"'”’])[ \t])[ \t]*(?:\*\*)?({_NAME})(?:\*\*)?:\s")
# Labels that start a reply without naming a speaker ("Note:", "Answer:"); role words are role-confusion's.
_NOT_NAMES = frozenset("""
note notes answer answers summary example examples step title question questions output input response
solution explanation result results warning tip tips update edit ingredients instructions translation
definition pros cons conclusion introduction option options reason reasons setting subject persona name
names age location time date day scene chapter part section breakfast lunch dinner appetizer starter
dessert main course menu total price cost hint fact facts idea ideas plan goal goals task tasks problem
yes no sure ok okay well important disclaimer caution reminder ps p.s correction source sources reference
references verse chorus bridge intro outro act rule rules tldr tl;dr q a user assistant human ai gpt chatgpt
bot system model you me i char description status objective mission background your
""".split())

_last: tuple[Conversation | None, bool, int] = (None, False, 0)


def conventions(conversation: Conversation, roleplay: bool = False) -> int:
    """The bitmask of conventions the conversation's assistant turns use (cached per conversation).

    With ``roleplay``, prose narration (ACT_PROSE) and the narration person are detected too.
    """
    global _last
    cached, cached_roleplay, mask = _last
    if cached is conversation and cached_roleplay == roleplay:
        return mask
    mask = 0
    first = third = 0
    for message in conversation.messages:
        if message.role != "assistant":
            continue
        text = message.text
        if not text.strip():
            continue
        bits, narration = _message_conventions(text, message.name, roleplay)
        mask |= bits | HAS_REPLY
        if narration and roleplay:
            f, t = _narration_person(narration)
            first, third = first + f, third + t
    if first:
        mask |= FIRST_PERSON
    elif third:
        mask |= THIRD_PERSON
    _last = (conversation, roleplay, mask)
    return mask


def _message_conventions(text: str, name: str | None, roleplay: bool) -> tuple[int, list[str]]:
    """The bits of one assistant message, and its narration segments (roleplay only)."""
    bits = _markup_bits(text) | _quote_bits(text) | _prefix_bit(text, name)
    narration: list[str] = []
    for char, span, bit in (("*", _ASTERISK_SPAN, ACT_ASTERISK), ("(", _PAREN_SPAN, ACT_PAREN),
                            ("[", _BRACKET_SPAN, ACT_BRACKET)):
        if char in text:
            actions = _actions(text, span, standalone=bit != ACT_ASTERISK)
            if actions:
                bits |= bit
                narration += actions
    if roleplay and "*" not in text and not bits & ACTIONS and bits & (Q_STRAIGHT_DOUBLE | Q_CURLY_DOUBLE):
        outside = _STRAIGHT_QUOTED.sub(" \n ", text) if '"' in text else text
        outside = _CURLY_QUOTED.sub(" \n ", outside) if "“" in outside else outside
        segments = [s for s in _SENTENCE_SPLIT.split(outside) if s.strip()]
        if any(_is_action(s, narrated=True) for s in segments):
            bits |= ACT_PROSE
            narration = segments
    return bits, narration


def _markup_bits(text: str) -> int:
    bits = 0
    if "```" in text or "~~~" in text:
        bits |= FENCE
    if "<" in text and _HTML.search(text):
        bits |= HTML
    if _markdown(text):
        bits |= MARKDOWN
    if "\n" in text and _two(_LIST_ITEM.finditer("\n" + text)):
        bits |= LIST
    return bits


def _two(matches: Iterator[re.Match[str]]) -> bool:
    return next(matches, None) is not None and next(matches, None) is not None


def _markdown(text: str) -> re.Match[str] | None:
    for char, trigger, pattern, line_start in _MARKDOWN_PARTS:
        if char in text and trigger in text:
            for match in pattern.finditer(text):
                at = match.start()
                before = text[at - 1] if at else "\n"
                if before == "\n" if line_start else not (before.isalnum() or before in "_`"):
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
    end = text.find("\n", match.end())
    line = text[match.start():end if end >= 0 else len(text)].strip()
    return line if len(line) <= 30 else line[:27].rstrip() + "..."


def _quote_bits(text: str) -> int:
    bits = 0
    if text.lstrip()[:1] in ("{", "[") or "```" in text:
        return bits  # data or code: its quotes are syntax, not dialogue
    if text.count('"') >= 2:
        bits |= Q_STRAIGHT_DOUBLE
    if "“" in text or "”" in text:
        bits |= Q_CURLY_DOUBLE
    if "«" in text or "»" in text or "„" in text:
        bits |= Q_OTHER
    if "'" in text:
        if any(m.start() == 0 or text[m.start() - 1] in _BEFORE_QUOTE for m in _SINGLE_DIALOGUE.finditer(text)):
            bits |= Q_STRAIGHT_SINGLE
        if _inside_word(text, "'"):
            bits |= APOS_STRAIGHT
    if "‘" in text:
        bits |= Q_CURLY_SINGLE
    if "’" in text:
        if _inside_word(text, "’"):
            bits |= APOS_CURLY
        if _opens_word(text, "’"):  # ’ used as an opening quote: ’Bluebird sings’
            bits |= Q_CURLY_SINGLE
    return bits


def _opens_word(text: str, char: str) -> bool:
    """True when ``char`` starts a word (after a space, a bracket or the start): an opening quote."""
    i = text.find(char)
    while 0 <= i < len(text) - 1:
        if (i == 0 or text[i - 1] in _BEFORE_QUOTE) and text[i + 1].isalnum():
            return True
        i = text.find(char, i + 1)
    return False


def _inside_word(text: str, char: str) -> bool:
    """True when ``char`` occurs between two letters or digits (an apostrophe: don't, Earth's)."""
    i = text.find(char, 1)
    while 0 < i < len(text) - 1:
        if text[i - 1].isalnum() and text[i + 1].isalnum():
            return True
        i = text.find(char, i + 1)
    return False


def name_prefix(text: str, name: str | None = None) -> str | None:
    """The speaker name that starts ``text`` ("Mira: Hello" -> "Mira"), or None.

    Labels ("Note:", "Step 1:"), role words and multi-speaker scripts ("A: ... B: ...") are not prefixes.
    """
    if name and text.lstrip().startswith(f"{name}:"):
        return name
    match = _PREFIX.match(text)
    if match is None:
        return None
    label = match.group(1) or match.group(2)
    if any(c.isdigit() for c in label) or fold(label.split()[0]).rstrip(".") in _NOT_NAMES:
        return None
    speakers = {m.group(1) for m in _SPEAKER.finditer(text, 0, 4000)}
    return label if len(speakers) < 2 else None


def _prefix_bit(text: str, name: str | None) -> int:
    head = text[:80]
    if (":" in head or "-" in head or "–" in head or "—" in head or "[" in head) and name_prefix(text, name):
        return PREFIXED
    return UNPREFIXED


def _actions(text: str, span: re.Pattern[str], standalone: bool) -> list[str]:
    """The inner texts of one bracket style's spans, when at least one of them is an action."""
    matches = list(span.finditer(text))
    if not standalone and not all(_clean_star_span(text, m) for m in matches):
        matches = _star_spans(text, span)  # a stray * shifted the pairs: pair them carefully
    elif standalone:
        matches = [m for m in matches if _stands_alone(text, m.start())]
    if not any(_is_action(m.group(1)) for m in matches):
        return []
    return [m.group(1) for m in matches]


def _clean_star_span(text: str, match: re.Match[str]) -> bool:
    """A ``*span*`` with no space just inside the stars, not part of ``**bold**`` or of a word."""
    at, end, inner = match.start(), match.end(), match.group(1)
    return (not inner[0].isspace() and not inner[-1].isspace()
            and not (at and (text[at - 1] == "*" or text[at - 1].isalnum()))
            and not (end < len(text) and (text[end] == "*" or text[end].isalnum())))


def _star_spans(text: str, span: re.Pattern[str]) -> list[re.Match[str]]:
    """The clean ``*spans*``, skipping stray stars one at a time."""
    found, pos = [], 0
    while (match := span.search(text, pos)) is not None:
        if _clean_star_span(text, match):
            found.append(match)
            pos = match.end()
        else:
            pos = match.start() + 1
    return found


def _stands_alone(text: str, start: int) -> bool:
    """True when a bracket opens a message, a line or a sentence (not a parenthesis inside one)."""
    before = text[max(0, start - 2):start].rstrip(" ")
    return not before or before[-1] in "\n.!?…\"”*~:"


def _is_action(segment: str, narrated: bool = False) -> bool:
    """True when a segment starts like an action: a verb, or a subject (+ -ly adverb) and a verb.

    The subject is a pronoun or a capitalized name of one or two words ("Captain Reyes nods");
    ``narrated`` (prose outside quotes) needs the subject.
    """
    words = [w.strip(_PUNCTUATION) for w in segment[:60].split(None, 4)[:4]]
    words = [w for w in words if w]
    if not words:
        return False
    first = words[0].lower()
    if first in _SUBJECTS:
        k = 1
    elif words[0][0].isupper() and first not in VERBS:
        k = 2 if len(words) > 2 and words[1][0].isupper() else 1
    else:
        return not narrated and first in VERBS
    rest = [w.lower() for w in words[k:k + 2]]
    if rest and rest[0].endswith("ly") and len(rest) > 1:
        rest = rest[1:]
    return bool(rest) and rest[0] in VERBS


def _narration_person(segments: list[str]) -> tuple[int, int]:
    """Whether the narration is in the first person (0 or 1), and how many segments start in the third."""
    first = 1 if _FIRST_PERSON.search(" " + " ".join(segments)) else 0
    third = 0
    for segment in segments:
        head = segment.split(None, 1)
        if head and head[0].strip(_PUNCTUATION).lower() in _THIRD_SUBJECTS:
            third += 1
    return first, third
