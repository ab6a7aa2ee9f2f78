"""Action recognition for the formatting checks: which spans of a reply are actions
(``*waves*``, ``(smiles)``, ``_nods_``) and in which person their narration is written.

An action is recognized by its first words, not by its brackets alone: an action verb, or a
subject (a pronoun, a capitalized name of one or two words, or an article and a noun) and a
verb, optionally after an -ly adverb. ``*really*`` (emphasis) and ``(see below)`` are not actions.
"""

from __future__ import annotations

import re

#: The person narration is written in, as :func:`_narration_person` tells it (0: not known yet).
THIRD, FIRST = 1, 2

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
_ARTICLES = frozenset(("the", "a", "an"))
# First-person words (I, me, my, myself, mine) in narration segments joined by \x01 (see _joined).
# Three patterns that start with a letter are much faster than one that starts with [ \x01].
_FIRST_PERSON = (re.compile(r"I(?<=[ \x01]I)(?!\w)"), re.compile(r"m(?<=[ \x01]m)(?:e|y|yself|ine)(?!\w)"),
                 re.compile(r"M(?<=[ \x01]M)(?:e|y|yself|ine)(?!\w)"))
# The same words anywhere in a message (I in its text, me/my/mine in its folded text), where a
# span starts after a *: when neither is found, its spans need not be read for the person.
_MAYBE_I = re.compile(r"I(?<=[ *]I)(?!\w)")
_MAYBE_ME = re.compile(r"m(?<=[ *]m)(?:e|y|yself|ine)(?!\w)")
_PUNCTUATION = ".,;:!?\"'“”‘’«»„*()[]—–-…"
_PUNCT_CLASS = "[" + re.escape(_PUNCTUATION) + "]*"
# A narration segment (segments joined by \x01) whose first word is a third-person subject.
_THIRD_START = re.compile(rf"\x01\s*{_PUNCT_CLASS}(?:[Hh][Ee](?:[Rr]|)|[Ss][Hh][Ee]|[Tt][Hh][Ee][Yy]|[Hh][Ii][Ss]|"
                          rf"[Tt][Hh][Ee][Ii][Rr]){_PUNCT_CLASS}(?=\s|\x01)")

# Patterns start with a literal character: Python's regex engine then skips ahead to it quickly,
# where a leading lookbehind, \b or ^ costs a step at every position of the text.
# A *span*: no space just inside the stars, not next to another star or a letter or digit. A star
# that cannot open such a span is skipped, so a stray * does not shift the pairs that follow.
_ASTERISK_SPAN = re.compile(r"\*(?<![^\W_]\*)(?<!\*\*)(?=\S)([^*\n]{1,300})(?<!\s)\*(?!\*|[^\W_])")
# A (span) or [span] that opens a message, a line or a sentence (not a parenthesis inside one).
_OPENS = r"(?<![^\n.!?…\"”*~: ]{0})(?<![^\n.!?…\"”*~: ] {0})"
_PAREN_SPAN = re.compile(r"\(" + _OPENS.format(r"\(") + r"([^()\n]{1,200})\)")
_BRACKET_SPAN = re.compile(r"\[" + _OPENS.format(r"\[") + r"([^\[\]\n]{1,200})\](?!\()")
# _span_, ~span~ and //span//, not inside a word (snake_case) or a URL.
_UNDERSCORE_SPAN = re.compile(r"_(?<![^\W_]_)(?<!__)(?=\S)([^_\n]{1,300})(?<![\s_])_(?!_|[^\W_])")
_TILDE_SPAN = re.compile(r"~(?<![^\W_]~)(?<!~~)(?=\S)([^~\n]{1,300})(?<![\s~])~(?!~|[^\W_])")
_SLASH_SPAN = re.compile(r"//(?<![^\s\"“(]//)(?=[^\s/])([^/\n]{1,300})(?<![\s/])//(?![^\W_])")
# Prose narration: the sentences outside quoted dialogue.
_STRAIGHT_QUOTED = re.compile(r"\"[^\"\n]*\"")
_CURLY_QUOTED = re.compile(r"“[^”]*”")
_SENTENCE_SPLIT = re.compile(r"[.!?…]+\s+|\n+")


def _joined(segments: list[str]) -> str:
    return "\x01" + "\x01".join(segments) + "\x01"


def _prose(text: str) -> list[str]:
    """The sentences of a message outside its quoted dialogue."""
    outside = _STRAIGHT_QUOTED.sub(" \n ", text) if '"' in text else text
    outside = _CURLY_QUOTED.sub(" \n ", outside) if "“" in outside else outside
    return [s for s in _SENTENCE_SPLIT.split(outside) if s.strip()]


def _is_action(segment: str, narrated: bool = False) -> bool:
    """True when a segment starts like an action: a verb, or a subject (+ -ly adverb) and a verb.

    The subject is a pronoun, a capitalized name of one or two words ("Captain Reyes nods") or,
    in a marked span, an article and a noun, perhaps after an adjective ("The old keeper nods");
    ``narrated`` (prose outside quotes) needs a pronoun or name subject, as "The wind howls" is
    narration but no character's action.
    """
    head = segment[:60]
    # Every action has a verb among its first four words: most spans that are no action (emphasis,
    # titles, asides) are told apart here, in a few C-level calls (punctuation around a word may
    # hide a verb, "nods.": the words are stripped of it then).
    low = head.lower().split(None, 4)[:4]
    if VERBS.isdisjoint(low) and ("".join(low).isalnum() or VERBS.isdisjoint([w.strip(_PUNCTUATION) for w in low])):
        return False  # every way to an action below needs one of these words (stripped) to be a verb
    raw = head.split(None, 4)[:4]
    words = [w for w in (w.strip(_PUNCTUATION) for w in raw) if w]
    if not words:
        return False
    first = words[0].lower()
    if first in _SUBJECTS:
        k = 1
    elif words[0][0].isupper() and first not in VERBS:
        k = 2 if len(words) > 2 and words[1][0].isupper() else 1
    else:
        if narrated:
            return False
        return first in VERBS or (first in _ARTICLES and _article_subject(raw, words))
    rest = [w.lower() for w in words[k:k + 2]]
    if rest and rest[0].endswith("ly") and len(rest) > 1:
        rest = rest[1:]
    if rest and rest[0] in VERBS:
        return True
    return not narrated and first in _ARTICLES and _article_subject(raw, words)


def _article_subject(raw: list[str], words: list[str]) -> bool:
    """"The keeper nods", "the old keeper slowly turns": an article, a plain noun (perhaps after an
    adjective or before an -ly adverb), then a verb. Punctuation inside the subject makes it a label."""
    if len(words) < 3 or raw[:2] != words[:2] or raw[2].endswith(":"):
        return False
    if words[2].lower() in VERBS:
        return True
    return len(words) > 3 and raw[2] == words[2] and words[2].islower() and words[3].lower() in VERBS


def _narration_person(heads: str, person: int) -> int:
    """The person after reading narration segments joined by \\x01 (see :func:`_joined`):
    FIRST when they say I/me/my; else THIRD when one starts with he/she/they (or ``person`` is
    already THIRD); else 0."""
    first_i, first_m, first_cap_m = _FIRST_PERSON
    if person == FIRST or first_i.search(heads) or first_m.search(heads) or first_cap_m.search(heads):
        return FIRST
    if person:
        return person
    return THIRD if _THIRD_START.search(heads) else 0
