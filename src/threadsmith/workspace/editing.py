"""Pure edits of one conversation: text, role, turns, tags, split and join. No storage here.

Each function returns a new conversation (the model is frozen) or raises
:class:`~threadsmith.errors.UserError` naming what is wrong (a turn index out of range ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from threadsmith.errors import UserError
from threadsmith.model import CANONICAL_ROLES, Conversation, Message


def _turn(conversation: Conversation, index: int, *, allow_end: bool = False) -> int:
    count = len(conversation.messages)
    top = count if allow_end else count - 1
    if not 0 <= index <= top:
        span = f"0 to {top}" if top >= 0 else "none (it has no turns)"
        raise UserError(f"Entry {conversation.id!r} has no turn {index}; turns are numbered {span}.")
    return index


def set_text(conversation: Conversation, index: int, text: str) -> Conversation:
    """The conversation with turn ``index``'s text replaced (exactly as given)."""
    messages = list(conversation.messages)
    index = _turn(conversation, index)
    messages[index] = messages[index].with_text(text)
    return conversation.with_messages(messages)


def set_role(conversation: Conversation, index: int, role: str) -> Conversation:
    """The conversation with turn ``index`` given another role (the data's old spelling is dropped)."""
    role = role.strip()
    if not role:
        raise UserError("A role cannot be empty.", hint=f"Use one of: {', '.join(CANONICAL_ROLES)}.")
    messages = list(conversation.messages)
    index = _turn(conversation, index)
    messages[index] = replace(messages[index], role=role, raw_role=None)
    return conversation.with_messages(messages)


def insert_turn(conversation: Conversation, index: int, role: str, text: str) -> Conversation:
    """The conversation with a new turn at ``index`` (``len`` appends)."""
    messages = list(conversation.messages)
    messages.insert(_turn(conversation, index, allow_end=True), Message(role.strip() or "user", text))
    return conversation.with_messages(messages)


def delete_turn(conversation: Conversation, index: int) -> Conversation:
    """The conversation without turn ``index``."""
    messages = list(conversation.messages)
    del messages[_turn(conversation, index)]
    return conversation.with_messages(messages)


def move_turn(conversation: Conversation, source: int, target: int) -> Conversation:
    """The conversation with turn ``source`` moved to index ``target``."""
    messages = list(conversation.messages)
    moved = messages.pop(_turn(conversation, source))
    _turn(conversation, target)
    messages.insert(target, moved)
    return conversation.with_messages(messages)


def set_tags(conversation: Conversation, *, add: Sequence[str] = (), remove: Sequence[str] = (),
             replace_with: Sequence[str] | None = None) -> Conversation:
    """The conversation with tags replaced, added (kept in order, no repeats) or removed."""
    tags = list(replace_with) if replace_with is not None else list(conversation.tags)
    for tag in add:
        if tag not in tags:
            tags.append(tag)
    tags = [tag for tag in tags if tag not in set(remove)]
    return replace(conversation, tags=tuple(tags))


def system_prefix(conversation: Conversation) -> tuple[Message, ...]:
    """The system messages that open the conversation."""
    out = []
    for message in conversation.messages:
        if message.role != "system":
            break
        out.append(message)
    return tuple(out)


def split(conversation: Conversation, at: int) -> tuple[Conversation, Conversation]:
    """Two conversations: turns before ``at``, and turns from ``at`` on; each keeps the system prompt."""
    prefix = system_prefix(conversation)
    count = len(conversation.messages)
    if not len(prefix) < at < count:
        raise UserError(f"Entry {conversation.id!r} cannot be split at turn {at}: each part needs at least one "
                        f"turn besides the system prompt (choose {len(prefix) + 1} to {count - 1}).")
    first = conversation.with_messages(conversation.messages[:at])
    second = conversation.with_messages(prefix + conversation.messages[at:])
    return first, second


def join(conversations: Sequence[Conversation]) -> Conversation:
    """One conversation: the turns of each in order; a later part's system prompt is dropped when it repeats."""
    if len(conversations) < 2:
        raise UserError("Joining needs at least two entries.")
    first = conversations[0]
    messages = list(first.messages)
    tags = list(first.tags)
    opening = system_prefix(first)
    for other in conversations[1:]:
        prefix = system_prefix(other)
        messages += other.messages[len(prefix):] if prefix == opening else other.messages
        tags += [tag for tag in other.tags if tag not in tags]
    return replace(first, messages=tuple(messages), tags=tuple(tags))


def set_system_prompt(conversation: Conversation, text: str) -> Conversation:
    """The conversation whose first system message says ``text`` (one is inserted when there is none)."""
    messages = list(conversation.messages)
    if messages and messages[0].role == "system":
        if messages[0].text == text:
            return conversation
        messages[0] = messages[0].with_text(text)
    else:
        messages.insert(0, Message("system", text))
    return conversation.with_messages(messages)
