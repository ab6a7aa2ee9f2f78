"""Queries: what a search or a bulk edit selects, and the text snippets shown for hits."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from threadsmith.checks import resolve
from threadsmith.errors import UserError
from threadsmith.model import Conversation

_TOKEN = re.compile(r'"([^"]*)"|(\S+)')


@dataclass(frozen=True, slots=True)
class Query:
    """A selection of entries: text to match plus filters (all must hold).

    ``text`` is words and "quoted phrases" (all must occur; ``word*`` matches a prefix), or raw
    FTS5 syntax with ``fts=True`` (``storm OR lighthouse``, ``NEAR(a b)``). ``roles`` limits
    the text match to turns of those roles (without text: entries having such a turn).
    ``codes`` takes codes, prefixes or family names (``ST008``, ``ST``, ``privacy``) and needs
    an audit of the dataset (it is run when missing).
    """

    text: str | None = None
    fts: bool = False
    roles: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    characters: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    min_chars: int | None = None
    max_chars: int | None = None
    min_turns: int | None = None
    max_turns: int | None = None
    #: None: excluded and included entries; True: only excluded; False (default): only included.
    excluded: bool | None = False

    def match_expression(self) -> str | None:
        """The FTS5 expression for ``text`` (None when there is no text)."""
        if self.text is None or not self.text.strip():
            return None
        if self.fts:
            return self.text
        return words_expression(self.text)

    def resolved_codes(self) -> tuple[str, ...]:
        """The finding codes that ``codes`` names (raises UnknownCheck for a name that matches nothing)."""
        return tuple(sorted(resolve(self.codes))) if self.codes else ()

    def is_empty(self) -> bool:
        """True when the query selects every (included) entry."""
        return self == Query(excluded=self.excluded)


def words_expression(text: str) -> str:
    """Words and "phrases" as an FTS5 expression in which every term must occur."""
    terms = []
    for phrase, word in _TOKEN.findall(text):
        if phrase:
            terms.append('"' + phrase.replace('"', '""') + '"')
        elif word:
            prefix = word.endswith("*") and len(word) > 1
            core = word[:-1] if prefix else word
            terms.append('"' + core.replace('"', '""') + '"' + ("*" if prefix else ""))
    if not terms:
        raise UserError("The search text has no words to look for.")
    return " ".join(terms)


def _fold(text: str) -> str:
    """Case-folded text; accents dropped only when there are any (the common case stays cheap)."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def snippet(conversation: Conversation, text: str | None, width: int = 120) -> tuple[str, tuple[str, ...]]:
    """Text around the first query word found (or the first turn), and the roles of the turns that match."""
    folded_words = []
    for phrase, word in _TOKEN.findall(text or ""):
        term = (phrase or word).strip('"*')
        if term and term not in ("OR", "AND", "NOT"):
            folded_words.append(_fold(term))
    roles: list[str] = []
    best: str | None = None
    for message in conversation.messages:
        body = message.text
        folded = _fold(body)
        hits = [folded.find(w) for w in folded_words if w and w in folded]
        if hits:
            if message.role not in roles:
                roles.append(message.role)
            if best is None:
                start = max(0, min(hits) - width // 3)
                best = f"[{message.role}] " + ("..." if start else "") + body[start:start + width].replace("\n", " ")
    if best is None:
        spoken = [m for m in conversation.messages if m.role != "system"]  # a shared system prompt says little
        first = spoken[0] if spoken else (conversation.messages[0] if conversation.messages else None)
        best = f"[{first.role}] {first.text[:width]}".replace("\n", " ") if first else ""
    return best, tuple(roles)
