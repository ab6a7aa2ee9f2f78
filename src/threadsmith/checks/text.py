"""Text primitives every quality check shares, so each is written (and optimized) once.

* :func:`words`, :func:`sentences`, :func:`ngrams`: tokenization that ignores markup.
* :class:`PhraseMatcher`: many literal phrases matched in one pass, on word boundaries.
* :func:`view`: per-message derived text (lower case, words) computed once per conversation
  and shared by all checks (the runner checks one conversation at a time).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import NamedTuple

from threadsmith.model import FUNCTION_CALL, Conversation

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]*]*(?=\s+[\"'“‘(*\[]?[A-Z0-9])")
ACTION = re.compile(r"\*[^*\n]+\*")


def words(text: str) -> list[str]:
    """Lower-case words (letters and digits, with inner apostrophes kept: ``don't``)."""
    return folded_words(fold(text))


#: ASCII bytes that separate words: every byte but letters, digits and the apostrophe.
_SEPARATORS = bytes(b if chr(b).isascii() and (chr(b).isalnum() or b == 0x27) else 0x20 for b in range(256))
#: Non-ASCII punctuation that separates words (after folding).
_UNICODE_SEPARATORS = ("—", "–", "…", "«", "»", "¿", "¡", "°", "•", "·", "€", "£", "×", "→", "\u00a0")


def folded_words(folded: str) -> list[str]:
    """The words of already-folded text: the same result as ``WORD.findall(folded)``, about three
    times faster on ASCII text (one C-level byte translation and a split instead of a regex scan)."""
    if not folded.isascii():
        for mark in _UNICODE_SEPARATORS:
            if mark in folded:
                folded = folded.replace(mark, " ")
        if not folded.isascii():  # letters or symbols beyond ASCII: the exact, slower path
            return WORD.findall(folded)
    data = folded.encode("ascii").translate(_SEPARATORS)
    if b"'" in data:
        data = _strip_quotes(data)
    return data.decode("ascii").split()


def _strip_quotes(data: bytes) -> bytes:
    """Apostrophes that do not sit between two word characters become spaces."""
    data = b" " + data + b" "
    data = data.replace(b" '", b"  ").replace(b"' ", b"  ")
    while b"''" in data:
        data = data.replace(b"''", b" ")
    return data.replace(b" '", b"  ").replace(b"' ", b"  ")


def sentences(text: str) -> list[str]:
    """Sentences, split after ``.``, ``!``, ``?`` or ``…`` followed by a capital or digit."""
    out, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        out.append(text[start:match.end()].strip())
        start = match.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def ngrams(tokens: Sequence[str], n: int) -> Iterator[tuple[str, ...]]:
    """Every n-gram of a token list."""
    return zip(*(tokens[i:] for i in range(n)))


def _trie_pattern(phrases: Iterable[str]) -> str:
    """A regex alternation shaped as a trie, so matching many phrases costs one pass."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}

    def walk(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(char) + walk(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return walk(trie)


class PhraseMatcher:
    """Finds any of many phrases (case-insensitive, whole words) in one regex pass.

    ``"great"`` matches in "a great day" but not in "greatest"; phrases may contain
    punctuation and spaces ("as an ai language model"). Curly apostrophes match straight ones.
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        cleaned = sorted({p.lower().replace("’", "'") for p in phrases if p.strip()})
        self.phrases = tuple(cleaned)
        body = _trie_pattern(cleaned)
        self._regex = re.compile(rf"(?<![\w]){body}(?![\w])") if cleaned else None
        # Without the look-behind the pattern starts with its first letters, which the regex
        # engine skips to; search() checks the word boundary before a match itself.
        self._unanchored = re.compile(rf"(?:{body})(?![\w])") if cleaned else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Matches in ``text`` (give it lower-cased, apostrophe-normalized text: see :func:`fold`)."""
        if self._regex is None:
            return iter(())
        return self._regex.finditer(text)

    def find_all(self, text: str) -> list[str]:
        """Every phrase occurrence in already-folded text."""
        return [m.group(0) for m in self.finditer(text)]

    def search(self, text: str) -> re.Match[str] | None:
        """The first match in already-folded text, or None (the match :meth:`finditer` finds first)."""
        if self._unanchored is None:
            return None
        start = 0
        while True:
            found = self._unanchored.search(text, start)
            if found is None:
                return None
            at = found.start()
            if not at or not (text[at - 1].isalnum() or text[at - 1] == "_"):  # not after a word character
                return found
            start = at + 1


def fold(text: str) -> str:
    """Lower case with curly apostrophes and quotes straightened: the form matchers expect."""
    text = text.lower()
    if text.isascii():
        return text
    for curly, straight in _FOLD:
        if curly in text:
            text = text.replace(curly, straight)
    return text


_FOLD = (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'))


class MessageView(NamedTuple):
    """Derived forms of one message's text, computed once (a tuple: cheap to build)."""

    role: str
    text: str
    folded: str
    words: tuple[str, ...]


_last: tuple[int, Conversation | None, tuple[MessageView, ...]] = (0, None, ())
_NEW = tuple.__new__  # tuple.__new__(MessageView, fields): a view without a Python-level call


# FUNCTION_CALL (model.calls): ShareGPT's spelling of a turn that calls a function (LLaMA-Factory's
# tool format), an assistant turn whose value is the call's JSON. Its view has no text, so no check
# reads it as a reply.


def view(conversation: Conversation) -> tuple[MessageView, ...]:
    """Derived text of every message; cached for the conversation being checked.

    One flat loop, with :func:`fold` and :func:`folded_words` inline for ASCII text (the common
    case): a call per message and per step would cost more than the steps."""
    global _last
    key, cached_conv, cached = _last
    if cached_conv is conversation:
        return cached
    views = []
    for message in conversation.messages:
        text = message.content
        if text.__class__ is not str:
            text = message.text
        if message.raw_role == FUNCTION_CALL:
            text = ""  # a call's JSON, not prose: like an OpenAI tool call, which has no text
        folded = text.lower()
        if folded.isascii():
            data = folded.encode("ascii").translate(_SEPARATORS)
            if b"'" in data:
                data = _strip_quotes(data)
            words = tuple(data.decode("ascii").split())
        else:
            folded = fold(text)
            words = tuple(folded_words(folded))
        views.append(_NEW(MessageView, (message.role, text, folded, words)))
    found = tuple(views)
    _last = (id(conversation), conversation, found)
    return found


# --- Word-sequence phrases ------------------------------------------------------------------
# PhraseMatcher scans the text with one regex; WordPhrases works on the words view() already
# holds, found through anchor words: a message costs one set intersection, so lists of hundreds
# of phrases are nearly free on text that has none of them (the synthetic-noise checks).


def phrase_variants(pattern: str) -> list[tuple[str, ...]]:
    """Every word sequence a phrase pattern stands for, as :func:`words` would split it.

    Slots are separated by spaces, ``|`` separates a slot's alternatives, an alternative's words
    are joined by ``_`` (``"i'm|i_am unable to"``), and an empty alternative makes a slot optional
    (``"sends|sent a| shiver"``). A leading ``^`` marks the slot that holds the anchor (see
    :class:`WordPhrases`).
    """
    return list(dict.fromkeys(variant for variant, _ in _anchored_variants(pattern)))


def _anchored_variants(pattern: str) -> list[tuple[tuple[str, ...], int]]:
    """Each variant of a pattern with the index of its anchor: the longest uncommon word of the
    slot marked ``^``, or of the whole variant when no slot is marked."""
    slots = pattern.split()
    marked = next((k for k, slot in enumerate(slots) if slot.startswith("^")), None)
    options = [[tuple(words(alt.replace("_", " "))) for alt in slot.lstrip("^").split("|")] for slot in slots]
    out = []
    for combo in itertools.product(*options):
        variant = tuple(w for part in combo for w in part)
        if not variant:
            continue
        first = sum(len(part) for part in combo[:marked]) if marked is not None else 0
        last = first + len(combo[marked]) if marked is not None and combo[marked] else len(variant)
        at = max(range(first, last), key=lambda i: (variant[i] not in COMMON_WORDS, len(variant[i])))
        out.append((variant, at))
    return out


#: Frequent English words, never chosen as a phrase's anchor while a rarer word is there.
COMMON_WORDS = frozenset("""
a about after all also am an and any are as at be been being but by can can't could did do does
don't down each even for from get go had has have he her here him his how i i'm if in into is it it's
its just know let's like make may me might more most much must my no not now of on one only or other
our out over own said same see she should so some such than that the their them then there these they
this those through to too under up us very was way we well were what when where which while who why
will with would you your able feel help human just new personal time world
""".split())


class WordPhrases:
    """Many phrase patterns (see :func:`phrase_variants`) matched on a word tuple.

    Each variant is indexed by its anchor, its longest uncommon word (or the one in the slot
    marked ``^``: mark the rarest word when it is shorter); :meth:`find` intersects the
    anchors with the words, then compares slices around each anchor occurrence. Matching is on
    whole words, so ``"delve into"`` does not match "delves into" unless the pattern says so.
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        # anchor -> word before the anchor ("" when the anchor starts the variant) -> variants
        index: dict[str, dict[str, list[tuple[int, int, tuple[str, ...]]]]] = {}
        for pattern_id, pattern in enumerate(self.patterns):
            for variant, at in dict.fromkeys(_anchored_variants(pattern)):
                before = variant[at - 1] if at else ""
                index.setdefault(variant[at], {}).setdefault(before, []).append((pattern_id, at, variant))
        self._index = index
        self.anchors = frozenset(index)

    def find(self, tokens: Sequence[str], present: Iterable[str] | None = None) -> list[tuple[int, int, int]]:
        """``(pattern index, start, end)`` of each match in ``tokens``, by start; the longest
        variant wins at one start. ``present``: the anchors known to occur (skips the intersection)."""
        found = self.anchors.intersection(tokens if present is None else present)
        if not found:
            return []
        if not isinstance(tokens, tuple):
            tokens = tuple(tokens)
        hits = []
        for anchor in found:
            by_before = self._index[anchor]
            starting = by_before.get("")
            position = -1
            for _ in range(tokens.count(anchor)):
                position = tokens.index(anchor, position + 1)
                for group in (by_before.get(tokens[position - 1]) if position else None, starting):
                    if group:
                        for pattern_id, at, variant in group:
                            start = position - at
                            if start >= 0 and tokens[start:start + len(variant)] == variant:
                                hits.append((start, -len(variant), pattern_id))
        if len(hits) < 2:
            return [(p, s, s - n) for s, n, p in hits]
        hits.sort()
        seen: set[tuple[int, int]] = set()
        out = []
        for start, negative_length, pattern_id in hits:  # the longest variant of a pattern at a start wins
            if (pattern_id, start) not in seen:
                seen.add((pattern_id, start))
                out.append((pattern_id, start, start - negative_length))
        return sorted(out, key=lambda hit: (hit[1], hit[0]))

    def variants_by_anchor(self) -> dict[str, list[tuple[str, ...]]]:
        """Every variant, grouped by its anchor (for callers that add a cheaper pre-filter)."""
        return {anchor: [v for group in by_before.values() for _, _, v in group]
                for anchor, by_before in self._index.items()}


# --- Whole-conversation text ----------------------------------------------------------------
# One `in` test on all of a conversation's text rules a rare character out for every message
# at once ("@", "{", "&" ...): checks gate on it before looking at messages one by one.

_last_joined: tuple[Conversation | None, str] = (None, "")
_TEXT = itemgetter(1)  # MessageView.text


def joined(conversation: Conversation) -> str:
    """The text of every message, joined by newlines; cached for the conversation being checked."""
    global _last_joined
    if _last_joined[0] is conversation:
        return _last_joined[1]
    text = "\n".join(map(_TEXT, view(conversation)))
    _last_joined = (conversation, text)
    return text

