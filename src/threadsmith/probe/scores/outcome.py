"""What a scorer gets (a reply in its context) and what it returns (an outcome)."""

from __future__ import annotations

from dataclasses import dataclass, field

from threadsmith.model import Conversation, Message
from threadsmith.probe.suite import ChatMessage, FormatContract


@dataclass(frozen=True, slots=True)
class Outcome:
    """One check on one reply (or one probe's replies): a value, pass/fail, and why."""

    value: float
    passed: bool | None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ReplyContext:
    """What a scorer may know about a reply: the history before it and the suite's expectations."""

    history: tuple[ChatMessage, ...] = ()
    char_name: str = "Assistant"
    user_name: str = "User"
    contract: FormatContract = field(default_factory=FormatContract)
    length_band: tuple[int, int] | None = None
    #: "stop" or "length" (the reply hit max_new_tokens).
    finish_reason: str = "stop"
    #: The character's card and example replies, and other characters' (role.persona).
    card: tuple[str, ...] = ()
    distractors: tuple[tuple[str, ...], ...] = ()

    def conversation(self, reply: str, context: int = 2) -> Conversation:
        """The reply as the last turn of a conversation (with the last ``context`` messages before
        it), named as the dataset checks expect, so their detectors can read it."""
        names = {"user": self.user_name, "assistant": self.char_name}
        before = [m for m in self.history if m.role != "system"][-context:] if context else []
        messages = [Message(m.role, m.content, name=names.get(m.role)) for m in before]
        messages.append(Message("assistant", reply, name=self.char_name))
        return Conversation("probe", tuple(messages))


def outcome_of(hits: list[str], count_as_value: bool = False) -> Outcome:
    """Pass when no hit; the value is 1.0 for a pass (or the number of hits), the detail the first hit."""
    if count_as_value:
        return Outcome(float(len(hits)), not hits, hits[0] if hits else "")
    return Outcome(0.0 if hits else 1.0, not hits, hits[0] if hits else "")
