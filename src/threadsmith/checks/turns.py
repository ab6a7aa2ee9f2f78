"""Structure checks about turns: content, order, system prompts (tool calls, tags and weights are
in :mod:`threadsmith.checks.turn_fields`); :func:`facts` is the one pass they all start from."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from operator import eq
from typing import NamedTuple

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.model import FUNCTION_CALL, ContentPart, Conversation, Family, FixSafety, Message, Severity


class Facts(NamedTuple):
    """What the structure checks ask of every message, found in one pass per conversation: a
    check whose fact is false has nothing to report and stops there."""

    roles: tuple[str, ...]
    #: Some content is not a string, or strips to nothing (ST004 may report it).
    blank: bool
    #: Some content is not a string, or has whitespace around it (ST008 may report it).
    padded: bool
    #: Some message keeps its role's spelling from the data (ST007 may report it).
    respelled: bool
    #: Some message calls a tool, or is a ShareGPT function_call turn (ST015 may report it).
    calls: bool
    #: Some message has a training weight (ST019 may report it).
    weighted: bool


_last_facts: tuple[Conversation | None, Facts | None] = (None, None)


def facts(conversation: Conversation) -> Facts:
    """The conversation's :class:`Facts` (cached for the conversation being checked). One flat
    loop: attribute reads in a loop cost less than ``map(attrgetter(...))`` over a few messages."""
    global _last_facts
    if _last_facts[0] is conversation and _last_facts[1] is not None:
        return _last_facts[1]
    roles = []
    blank = padded = respelled = calls = weighted = False
    for message in conversation.messages:
        roles.append(message.role)
        content = message.content
        if content.__class__ is not str:  # multi-part content: the checks look at each message
            blank = padded = True
        else:
            stripped = content.strip()
            if stripped is not content or not content:
                blank = blank or not stripped
                padded = padded or stripped != content
        if message.raw_role is not None:
            respelled = True
            if message.raw_role == FUNCTION_CALL:  # ShareGPT's call turn (LLaMA-Factory): a call too
                calls = True
        if message.tool_calls:
            calls = True
        if message.weight is not None:
            weighted = True
    found = Facts(tuple(roles), blank, padded, respelled, calls, weighted)
    _last_facts = (conversation, found)
    return found


def _is_blank(message: Message) -> bool:
    if message.tool_calls:
        return False
    content = message.content
    if isinstance(content, str):
        return not content.strip()
    return all(part.text is not None and not part.text.strip() for part in content)


@register
class EmptyContent(ConversationCheck):
    """A message has empty or whitespace-only content.

    What it does:
        Reports messages whose text is empty or only whitespace. Assistant turns that carry
        tool calls may have empty content and are not reported.
    Why it matters:
        An empty assistant target teaches the model to end its turn at once; an empty user
        turn teaches it to answer nothing; both waste a training example.
    Example:
        ``{"role": "assistant", "content": "   "}``
    Fix:
        Unsafe: remove the empty message (this may leave two turns of one role in a row).
    """

    code = "ST004"
    name = "empty-content"
    family = Family.STRUCTURE
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_description = "remove the empty message"

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        if not facts(conversation).blank:
            return ()
        return [Hit(i, f"message {i} ({message.role}) has empty content")
                for i, message in enumerate(conversation.messages) if _is_blank(message)]

    def fix(self, conversation: Conversation) -> Conversation:
        return conversation.with_messages([m for m in conversation.messages if not _is_blank(m)])


def _strip_content(content: str | tuple[ContentPart, ...]) -> str | tuple[ContentPart, ...]:
    if isinstance(content, str):
        return content.strip()
    return tuple(replace(p, text=p.text.strip()) if p.text is not None else p for p in content)


@register
class SurroundingWhitespace(ConversationCheck):
    """A message's content starts or ends with whitespace.

    What it does:
        Reports content with leading or trailing spaces, tabs or newlines (text parts of
        multi-part content too). Whitespace inside the text is left alone.
    Why it matters:
        Tokenizers encode a leading space or trailing newline as extra tokens; the model
        learns to emit them, and exact duplicates hide behind them.
    Example:
        ``{"role": "user", "content": " Hi "}``  ->  ``"Hi"``
    Fix:
        Safe: strip the leading and trailing whitespace.
    """

    code = "ST008"
    name = "surrounding-whitespace"
    family = Family.STRUCTURE
    severity = Severity.WARNING
    fix_safety = FixSafety.SAFE
    fix_description = "strip leading and trailing whitespace"

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        if not facts(conversation).padded:
            return ()
        return [Hit(i, f"message {i} ({message.role}) has leading or trailing whitespace")
                for i, message in enumerate(conversation.messages)
                if _strip_content(message.content) != message.content and not _is_blank(message)]

    def fix(self, conversation: Conversation) -> Conversation:
        return conversation.with_messages(
            [m if _is_blank(m) else replace(m, content=_strip_content(m.content)) for m in conversation.messages]
        )


@register
class MisplacedSystem(ConversationCheck):
    """A system message appears after the first turn.

    What it does:
        Reports system messages at any position but the first. (A conversation without any
        system message is valid and is not reported.)
    Why it matters:
        Most chat templates only place a system prompt at the start; a later one is dropped,
        raises "system message must be first", or is rendered as a user turn.
    Example:
        user: "Hi" / system: "You are Mira." / assistant: "Hello"
    Fix:
        None automatic: move the instruction into the first system message, or into the
        user turn if it is part of the scene.
    """

    code = "ST009"
    name = "misplaced-system"
    family = Family.STRUCTURE
    severity = Severity.WARNING

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        roles = facts(conversation).roles
        if "system" not in roles[1:]:  # (a system message first is in place)
            return ()
        first_non_system = next((i for i, role in enumerate(roles) if role != "system"), None)
        if first_non_system is None:
            return ()
        return [Hit(i, f"message {i} is a system message after the conversation started")
                for i in range(first_non_system + 1, len(roles)) if roles[i] == "system"]


@register
class MultipleSystem(ConversationCheck):
    """A conversation has more than one system message.

    What it does:
        Reports every system message after the first one.
    Why it matters:
        Templates keep one system prompt; the others are dropped or misplaced, so the
        instructions you wrote never reach the model in training.
    Example:
        system: "You are Mira." / system: "Stay in character." / user: ...
    Fix:
        Unsafe: merge all system messages into one at the start, joined by a blank line.
    """

    code = "ST010"
    name = "multiple-system"
    family = Family.STRUCTURE
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    fix_description = "merge the system messages into the first one"

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        roles = facts(conversation).roles
        if roles.count("system") < 2:
            return ()
        systems = [i for i, role in enumerate(roles) if role == "system"]
        return [Hit(i, f"message {i} is system message {k + 2} of {len(systems)}") for k, i in enumerate(systems[1:])]

    def fix(self, conversation: Conversation) -> Conversation:
        systems = [m for m in conversation.messages if m.role == "system"]
        if len(systems) < 2:
            return conversation
        merged = replace(systems[0], content="\n\n".join(m.text for m in systems))
        return conversation.with_messages([merged, *(m for m in conversation.messages if m.role != "system")])


def _same_role_pairs(messages: tuple[Message, ...]) -> Iterator[int]:
    """Indexes i where message i has the same role as message i-1 (user or assistant only)."""
    for i in range(1, len(messages)):
        role = messages[i].role
        if role in ("user", "assistant") and role == messages[i - 1].role and not messages[i - 1].tool_calls:
            yield i


@register
class ConsecutiveSameRole(ConversationCheck):
    """Two user turns or two assistant turns follow each other.

    What it does:
        Reports each user or assistant message that directly follows a message of the same
        role. Tool results in a row, and an assistant turn after its own tool call, are fine.
    Why it matters:
        Many templates require roles to alternate ("Conversation roles must alternate
        user/assistant"), and a split reply teaches the model to stop mid-answer.
    Example:
        user: "Hi" / user: "Are you there?" / assistant: "Yes!"
    Fix:
        Unsafe: merge each run of same-role turns into one, joined by a blank line (content
        parts such as images and tool calls are kept, in order).
    """

    code = "ST011"
    name = "consecutive-same-role"
    family = Family.STRUCTURE
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    fix_description = "merge consecutive turns of one role"

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        roles = facts(conversation).roles
        if not any(map(eq, roles[1:], roles)):  # no two turns of one role in a row
            return ()
        return [Hit(i, f"message {i} is a second {roles[i]} turn in a row")
                for i in _same_role_pairs(conversation.messages)]

    def fix(self, conversation: Conversation) -> Conversation:
        merged: list[Message] = []
        runs = set(_same_role_pairs(conversation.messages))
        for i, message in enumerate(conversation.messages):
            if i in runs:
                merged[-1] = _merge(merged[-1], message)
            else:
                merged.append(message)
        return conversation.with_messages(merged)


def _merge(first: Message, second: Message) -> Message:
    """One turn with both turns' text (joined by a blank line), other content parts and tool calls."""
    if isinstance(first.content, str) and isinstance(second.content, str):
        content: str | tuple[ContentPart, ...] = "\n\n".join(t for t in (first.content, second.content) if t.strip())
    else:
        content = _parts(first.content) + _parts(second.content)
    return replace(first, content=content, tool_calls=first.tool_calls + second.tool_calls)


def _parts(content: str | tuple[ContentPart, ...]) -> tuple[ContentPart, ...]:
    if isinstance(content, str):
        return (ContentPart("text", content),) if content.strip() else ()
    return content


@register
class NoFinalAssistant(ConversationCheck):
    """The conversation does not end with an assistant turn.

    What it does:
        Reports conversations that have assistant turns but end with a user, system or tool
        message. (Conversations with no assistant turn at all are ST013.)
    Why it matters:
        Trailing turns after the last reply are never trained on; with "train on last turn"
        settings the example teaches nothing of what you meant.
    Example:
        user: "Hi" / assistant: "Hello!" / user: "Bye"
    Fix:
        Unsafe: drop the turns after the last assistant turn.
    """

    code = "ST012"
    name = "no-final-assistant"
    family = Family.STRUCTURE
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    fix_description = "drop the turns after the last assistant turn"

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        roles = facts(conversation).roles
        if not roles or roles[-1] == "assistant" or "assistant" not in roles:
            return ()
        last = len(roles) - 1
        return [Hit(last, f"conversation ends with a {roles[-1]} turn (message {last})")]

    def fix(self, conversation: Conversation) -> Conversation:
        messages = conversation.messages
        last = max((i for i, m in enumerate(messages) if m.role == "assistant"), default=None)
        return conversation if last is None else conversation.with_messages(messages[: last + 1])


@register
class NoAssistantTurn(ConversationCheck):
    """The conversation has no assistant turn at all (or no messages).

    What it does:
        Reports conversations without any assistant message, including empty ones.
    Why it matters:
        With loss on assistant tokens only, nothing in this example is trained ("all labels
        are -100"); with full-sequence loss the model learns to write user turns.
    Example:
        system: "You are Mira." / user: "Hi"
    Fix:
        None automatic: write the reply, or drop the example.
    """

    code = "ST013"
    name = "no-assistant-turn"
    family = Family.STRUCTURE
    severity = Severity.ERROR

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        roles = facts(conversation).roles
        if not roles:
            return [Hit(None, "conversation has no messages")]
        if "assistant" not in roles:
            return [Hit(None, f"conversation has no assistant turn (roles: {', '.join(roles)})")]
        return ()
