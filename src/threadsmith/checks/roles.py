"""Structure checks about roles: unknown labels and spellings to canonicalize."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import replace

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.turns import facts
from threadsmith.model import (
    CANONICAL_ROLES,
    NATIVE_SPELLINGS,
    ROLE_ALIASES,
    Conversation,
    Family,
    FixSafety,
    Severity,
)


#: Spellings a typo may be corrected to: short aliases ("ai") are left out, since names
#: such as "Kai" or "Mai" are close to them without being typos of them.
_SUGGESTABLE = tuple(alias for alias in ROLE_ALIASES if len(alias) >= 4)
_CANONICAL = frozenset(CANONICAL_ROLES)


def _suggest(label: str) -> str | None:
    close = difflib.get_close_matches(label.strip().lower(), _SUGGESTABLE, n=1, cutoff=0.75)
    return ROLE_ALIASES[close[0]] if close else None


@register
class UnknownRole(ConversationCheck):
    """A message's role is not one threadsmith knows, and no configured mapping covers it.

    What it does:
        Reports roles outside the role table (``system``, ``user``, ``assistant``, ``tool``
        and their spellings such as ``human``, ``gpt``, ``bot``, ``model``). Speaker names
        from ShareGPT files (``Kai``, ``Mara``) land here until you map them. A close typo
        (``assistnt``) gets a suggestion.
    Why it matters:
        Chat templates raise on unknown roles or silently render them as user text, so the
        model is trained on the wrong speaker.
    Example:
        ``{"from": "Kai", "value": "*waves*"}``
    Fix:
        Unsafe, only for close typos: set the suggested role. For speaker names, map them in
        configuration: ``[tool.threadsmith.roles]`` with ``Kai = "assistant"``.
    """

    code = "ST006"
    name = "unknown-role"
    family = Family.STRUCTURE
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_description = "set the closest known role"

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        return () if _CANONICAL.issuperset(facts(conversation).roles) else self._hits(conversation)

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        for i, message in enumerate(conversation.messages):
            if message.role not in CANONICAL_ROLES:
                suggestion = _suggest(message.role)
                tail = (f"; did you mean {suggestion!r}?" if suggestion else
                        "; map it with [tool.threadsmith.roles] in threadsmith.toml")
                yield Hit(i, f"message {i} has unknown role {message.role!r}{tail}", suggestion is not None)

    def fix(self, conversation: Conversation) -> Conversation:
        messages = []
        for message in conversation.messages:
            suggestion = _suggest(message.role) if message.role not in CANONICAL_ROLES else None
            messages.append(replace(message, role=suggestion, raw_role=None) if suggestion else message)
        return conversation.with_messages(messages)


@register
class NoncanonicalRole(ConversationCheck):
    """A role is spelled in a way its format does not use (``USER``, ``GPT``, ``human`` in ChatML).

    What it does:
        Reports role labels that the role table understands but that are not the format's own
        spelling: upper case (``ASSISTANT``), another format's names (``human``/``gpt`` inside
        OpenAI ``messages``), or aliases (``bot``, ``model``). ShareGPT's own ``human``/``gpt``
        are not reported. Matching is never by position: ``GPT`` first in a conversation is
        still an assistant turn.
    Why it matters:
        Chat templates compare roles literally: ``"USER"`` fails ``role == "user"`` and the
        turn is dropped, rejected, or rendered without its header.
    Example:
        ``{"role": "GPT", "content": "Hello"}``  ->  ``{"role": "assistant", ...}``
    Fix:
        Safe: rewrite the label to the format's canonical spelling.
    """

    code = "ST007"
    name = "noncanonical-role"
    family = Family.STRUCTURE
    severity = Severity.WARNING
    fix_safety = FixSafety.SAFE
    fix_description = "rewrite the role to its canonical spelling"

    def _flagged(self, conversation: Conversation) -> list[bool]:
        native = NATIVE_SPELLINGS.get(conversation.source.format or "", frozenset())
        return [
            m.raw_role is not None and m.raw_role not in native and m.raw_role != m.name
            for m in conversation.messages
        ]

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        return self._hits(conversation) if facts(conversation).respelled else ()

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        for i, flagged in enumerate(self._flagged(conversation)):
            if flagged:
                message = conversation.messages[i]
                yield Hit(i, f"message {i} role {message.raw_role!r} should be spelled {message.role!r}")

    def fix(self, conversation: Conversation) -> Conversation:
        flags = self._flagged(conversation)
        return conversation.with_messages(
            [replace(m, raw_role=None) if flag else m for m, flag in zip(conversation.messages, flags)]
        )
