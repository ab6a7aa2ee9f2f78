"""Dataset profiles: what kind of dataset this is, which tunes what the checks expect.

The kind is ``roleplay`` (characters, scenes, *actions*), ``assistant`` (helpful chat) or
``instruction`` (single-turn task/answer pairs). It is detected from a sample of the data
and can be set in configuration (``kind = "roleplay"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from threadsmith.model import Conversation

KINDS = ("roleplay", "assistant", "instruction")

_ROLEPLAY_SYSTEM = re.compile(
    r"\b(role-?play|in character|stay in character|you are playing|your character|persona|"
    r"{{char}}|{{user}}|narrat|scenario|scene)\b", re.IGNORECASE)
_ACTION = re.compile(r"\*[^*\n]{2,}\*")


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What the checks know about the dataset before they see it."""

    kind: str = "assistant"


def detect_kind(sample: Iterable[Conversation]) -> str:
    """The dataset kind that best explains a sample of its conversations."""
    total = roleplay = single_turn = 0
    for conversation in sample:
        total += 1
        messages = conversation.messages
        system = next((m.text for m in messages if m.role == "system"), "")
        replies = [m.text for m in messages if m.role == "assistant"]
        named = any(m.name for m in messages if m.role in ("assistant", "user"))
        acted = sum(1 for r in replies if _ACTION.search(r))
        if _ROLEPLAY_SYSTEM.search(system) or named or (replies and acted / len(replies) >= 0.5):
            roleplay += 1
        if sum(1 for m in messages if m.role == "user") <= 1 and len(replies) == 1:
            single_turn += 1
    if not total:
        return "assistant"
    if roleplay / total >= 0.3:
        return "roleplay"
    if single_turn / total >= 0.9:
        return "instruction"
    return "assistant"
