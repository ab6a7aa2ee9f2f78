"""What ``dataset_stats`` returns: frozen values with ``to_dict()`` for JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from threadsmith.stats.sketches import Distribution

#: Action-markup styles, in display order.
MARKUP_STYLES = ("asterisk", "parenthesis", "bracket", "none")
#: The token estimate: characters divided by this (a common rule of thumb for English BPE vocabularies).
CHARS_PER_TOKEN = 4


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True, slots=True)
class Ranking:
    """The most common values of something, with the total their shares are taken of."""

    items: tuple[tuple[str, int], ...]
    #: What each count is a share of (assistant turns for openers, conversations for tags ...).
    total: int
    #: How many distinct values were seen (estimated for very many; None when not tracked).
    distinct: int | None = None
    #: True when counts may be slightly low: the counter had to forget rare values to stay bounded.
    approximate: bool = False

    def share(self, count: int) -> float:
        """``count`` as a fraction of :attr:`total`."""
        return _share(count, self.total)

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"total": self.total, "distinct": self.distinct, "approximate": self.approximate,
                "top": [{"value": v, "count": n, "share": round(self.share(n), 4)} for v, n in self.items]}


@dataclass(frozen=True, slots=True)
class Voice:
    """How assistant text divides into quoted dialogue, *action* markup and narration (in characters)."""

    dialogue: int = 0
    action: int = 0
    narration: int = 0
    turns: int = 0
    turns_with_dialogue: int = 0
    turns_with_action: int = 0

    @property
    def chars(self) -> int:
        """All characters counted."""
        return self.dialogue + self.action + self.narration

    def shares(self) -> dict[str, float]:
        """Dialogue, action and narration as fractions of the characters."""
        return {name: _share(getattr(self, name), self.chars) for name in ("dialogue", "action", "narration")}

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"chars": {"dialogue": self.dialogue, "action": self.action, "narration": self.narration},
                "shares": {k: round(v, 4) for k, v in self.shares().items()},
                "turns": self.turns, "turns_with_dialogue": self.turns_with_dialogue,
                "turns_with_action": self.turns_with_action}


@dataclass(frozen=True, slots=True)
class SystemPrompts:
    """How concentrated the system prompts are: one prompt everywhere, or many different ones."""

    conversations: int
    with_system: int
    distinct: int
    #: The most used prompts (their first characters) and how many conversations use each.
    top: Ranking

    @property
    def top_share(self) -> float:
        """Share of the conversations with a system prompt that use the most common one."""
        return self.top.share(self.top.items[0][1]) if self.top.items else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"conversations": self.conversations, "with_system": self.with_system, "distinct": self.distinct,
                "top_share": round(self.top_share, 4), "top": self.top.to_dict()["top"]}


@dataclass(frozen=True, slots=True)
class DatasetStats:
    """Statistics of one or more dataset files, computed in one bounded-memory pass."""

    files: tuple[str, ...]
    records: int
    conversations: int
    unreadable: int
    kind: str
    #: Messages per role (canonical roles first, then other labels found in the data).
    messages: Mapping[str, int]
    #: Characters per role (the token estimate is characters / 4).
    chars: Mapping[str, int]
    #: Words per message, per role.
    words: Mapping[str, Distribution]
    #: Non-system messages per conversation.
    turns: Distribution
    #: Estimated tokens per conversation (characters / 4).
    tokens: Distribution
    #: First three words of assistant turns (lower case).
    openers: Ranking
    #: Word 3-grams of assistant text, counted once per turn.
    ngrams: Ranking
    voice: Voice
    #: Assistant turns using each action-markup style (a turn may use several; ``none``: no markup).
    markup: Mapping[str, int]
    system_prompts: SystemPrompts
    tags: Ranking
    #: Messages per speaker name (``name`` on messages: characters in roleplay data).
    characters: Ranking
    #: Exact tokens per conversation, rendered by a chat template (with a tokenizer only).
    exact_tokens: Distribution | None = None
    #: The tokenizer and template that counted ``exact_tokens``.
    tokenizer: str | None = None
    #: Exact tokens per assistant turn (its header, content and end of turn, as the template
    #: renders it; with a tokenizer only).
    exact_reply_tokens: Distribution | None = None
    #: Tool calls per function called (``total``: all calls, in either dialect: model/calls.py).
    functions: Ranking = Ranking((), 0)
    #: Conversations that call a tool.
    calling: int = 0

    def estimated_tokens(self) -> dict[str, int]:
        """Tokens per role, estimated as characters / 4."""
        return {role: n // CHARS_PER_TOKEN for role, n in self.chars.items()}

    def to_dict(self) -> dict[str, Any]:
        """Plain data (the JSON of ``threadsmith stats --format json``)."""
        return {
            "files": list(self.files), "records": self.records, "conversations": self.conversations,
            "unreadable_records": self.unreadable, "kind": self.kind,
            "messages": dict(self.messages), "chars": dict(self.chars),
            "estimated_tokens": self.estimated_tokens(),
            "words": {role: d.to_dict() for role, d in self.words.items()},
            "turns": self.turns.to_dict(), "tokens": self.tokens.to_dict(),
            "openers": self.openers.to_dict(), "ngrams": self.ngrams.to_dict(),
            "voice": self.voice.to_dict(), "markup": dict(self.markup),
            "system_prompts": self.system_prompts.to_dict(),
            "tags": self.tags.to_dict(), "characters": self.characters.to_dict(),
            "tool_calls": {"conversations": self.calling, "calls": self.functions.total,
                           "functions": self.functions.to_dict()},
            "exact_tokens": None if self.exact_tokens is None else
            {"tokenizer": self.tokenizer, **self.exact_tokens.to_dict()},
            "exact_reply_tokens": None if self.exact_reply_tokens is None else
            {"tokenizer": self.tokenizer, **self.exact_reply_tokens.to_dict()},
        }
