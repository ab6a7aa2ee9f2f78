"""Dataset profiles: what kind of dataset this is, which tunes what the checks expect.

The kind is ``roleplay`` (characters, scenes, *actions*), ``assistant`` (helpful chat) or
``instruction`` (single-turn task/answer pairs). It is detected from a sample of the data
and can be set in configuration (``kind = "roleplay"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from threadsmith.model import Conversation

if TYPE_CHECKING:
    from threadsmith.rendering import ChatTokenizer

KINDS = ("roleplay", "assistant", "instruction")

_ROLEPLAY_CUE = re.compile(
    r"\b(role-?play(?:ing)?|in character|stay in character|you are playing|your character|persona|"
    r"take (?:on )?the role|play the role|pretend (?:to be|you are|you're)|imagine (?:you are|you're)|"
    r"act as|you will be playing|narrat(?:e|or)|scenario)\b|{{char}}|{{user}}", re.IGNORECASE)
#: ``*an action*`` but not markdown ``**bold**``.
_ACTION = re.compile(r"(?<![*\w])\*(?![*\s])[^*\n]{2,}?(?<![*\s])\*(?![*\w])")


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What the checks know about the dataset before they see it."""

    kind: str = "assistant"
    #: The tokenizer and chat template training will use; the template checks (TM) and real
    #: token counts in the length checks need it (without it TM checks are not run).
    tokenizer: ChatTokenizer | None = None
    #: Which assistant turns training learns from: "all" or "last".
    train_on: str = "all"
    #: The training sequence length (tokens), when known: truncation happens there.
    max_tokens: int | None = None


def _is_roleplay(conversation: Conversation) -> bool:
    """Roleplay cues: a character setup in the system or first user turn, speaker names, *actions*."""
    messages = conversation.messages
    setup = " ".join(m.text[:600] for m in messages[:3] if m.role in ("system", "user"))
    if _ROLEPLAY_CUE.search(setup) or any(m.name for m in messages if m.role in ("assistant", "user")):
        return True
    replies = [m.text for m in messages if m.role == "assistant"]
    return bool(replies) and sum(1 for r in replies if _ACTION.search(r)) / len(replies) >= 0.5


def detect_kind(sample: Iterable[Conversation]) -> str:
    """The dataset kind that best explains a sample of its conversations.

    ``roleplay`` when at least 30% of conversations set up a character (a system prompt or
    first user turn like "You are Maren, ...", "take on the role of", "{{char}}"), name their
    speakers, or act in ``*asterisks*`` in most replies; else ``instruction`` when at least
    90% are single-turn; else ``assistant``.
    """
    return kind_of_votes([kind_votes(conversation) for conversation in sample])


def kind_votes(conversation: Conversation) -> tuple[bool, bool]:
    """What one conversation says about its dataset's kind: (sets up a role-play, single-turn)."""
    messages = conversation.messages
    single = (sum(1 for m in messages if m.role == "user") <= 1
              and sum(1 for m in messages if m.role == "assistant") == 1)
    return bool(_is_roleplay(conversation)), single


def kind_of_votes(votes: Sequence[tuple[bool, bool]]) -> str:
    """The kind :func:`detect_kind` gives a sample whose conversations voted ``votes``."""
    total = len(votes)
    if not total:
        return "assistant"
    if sum(v[0] for v in votes) / total >= 0.3:
        return "roleplay"
    if sum(v[1] for v in votes) / total >= 0.9:
        return "instruction"
    return "assistant"
