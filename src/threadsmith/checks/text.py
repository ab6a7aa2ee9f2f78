"""Text primitives every quality check shares, so each is written (and optimized) once.

* :func:`words`, :func:`sentences`, :func:`ngrams`: tokenization that ignores markup.
* :class:`PhraseMatcher`: many literal phrases matched in one pass, on word boundaries.
* :func:`view`: per-message derived text (lower case, words) computed once per conversation
  and shared by all checks (the runner checks one conversation at a time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from threadsmith.model import Conversation

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]*]*(?=\s+[\"'“‘(*\[]?[A-Z0-9])")
ACTION = re.compile(r"\*[^*\n]+\*")


def words(text: str) -> list[str]:
    """Lower-case words (letters and digits, with inner apostrophes kept: ``don't``)."""
    return WORD.findall(fold(text))


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

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Matches in ``text`` (give it lower-cased, apostrophe-normalized text: see :func:`fold`)."""
        if self._regex is None:
            return iter(())
        return self._regex.finditer(text)

    def find_all(self, text: str) -> list[str]:
        """Every phrase occurrence in already-folded text."""
        return [m.group(0) for m in self.finditer(text)]

    def search(self, text: str) -> re.Match[str] | None:
        """The first match in already-folded text, or None."""
        return None if self._regex is None else self._regex.search(text)


def fold(text: str) -> str:
    """Lower case with curly apostrophes and quotes straightened: the form matchers expect."""
    return text.lower().translate(_FOLD)


_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


@dataclass(frozen=True, slots=True)
class MessageView:
    """Derived forms of one message's text, computed once."""

    role: str
    text: str
    folded: str
    words: tuple[str, ...]


_last: tuple[int, Conversation | None, tuple[MessageView, ...]] = (0, None, ())


def view(conversation: Conversation) -> tuple[MessageView, ...]:
    """Derived text of every message; cached for the conversation being checked."""
    global _last
    key, cached_conv, cached = _last
    if cached_conv is conversation:
        return cached
    views = tuple(
        MessageView(m.role, text, folded, tuple(WORD.findall(folded)))
        for m in conversation.messages
        for text in (m.text,)
        for folded in (fold(text),)
    )
    _last = (id(conversation), conversation, views)
    return views
