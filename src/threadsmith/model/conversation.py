"""Conversations and messages: the pure domain model every layer shares.

Roles are normalized by the readers through one table (``threadsmith.formats.roles``); the
spelling found in the data is kept in ``Message.raw_role`` when it differs from the
format's canonical spelling, so a fix can canonicalize it and a writer can keep it.
Unknown keys of a record or message live in ``extra`` and are written back on export.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any, TypeVar

#: The canonical roles. A message whose role is not one of these keeps the label found in the data.
CANONICAL_ROLES = ("system", "user", "assistant", "tool")

_EMPTY: Mapping[str, Any] = {}
_T = TypeVar("_T")


class _Factory:
    """The default of a field built by a factory, as the dataclass signature shows it."""

    def __repr__(self) -> str:
        return "<factory>"


_NO_VALUE = _Factory()


def _quick_init(cls: type[_T]) -> type[_T]:
    """Give a frozen, slotted dataclass an ``__init__`` that sets each slot through its own
    descriptor: the same arguments, defaults and result as the generated one, which goes through
    ``object.__setattr__`` (the frozen-class way round ``__setattr__``) and costs about twice as
    much. Readers build a Message per turn of every record, so this is on the hot path of audit."""
    env: dict[str, Any] = {"_NO_VALUE": _NO_VALUE}
    params, body = [], []
    for f in fields(cls):  # type: ignore[arg-type]
        env[f"_set_{f.name}"] = cls.__dict__[f.name].__set__
        value = f.name
        if f.default is not MISSING:
            env[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not MISSING:
            env[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_NO_VALUE")
            value = f"_factory_{f.name}() if {f.name} is _NO_VALUE else {f.name}"
        else:
            params.append(f.name)
        body.append(f"    _set_{f.name}(self, {value})\n")
    exec(f"def __init__(self, {', '.join(params)}):\n{''.join(body)}", env)  # noqa: S102
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init  # type: ignore[misc]
    return cls


@_quick_init
@dataclass(frozen=True, slots=True)
class ContentPart:
    """One part of multi-part content (OpenAI ``{"type": "text", "text": ...}`` and friends)."""

    type: str
    text: str | None = None
    #: Every other key of the part (image_url, input_audio, ...), kept for the writers.
    extra: Mapping[str, Any] = field(default_factory=dict)


@_quick_init
@dataclass(frozen=True, slots=True)
class ToolCall:
    """A function/tool call requested by an assistant message."""

    id: str | None
    name: str
    arguments: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@_quick_init
@dataclass(frozen=True, slots=True)
class Message:
    """One turn of a conversation."""

    role: str
    content: str | tuple[ContentPart, ...] = ""
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    #: Per-message training weight (OpenAI ``weight``: 0 = not trained, 1 = trained); None = default.
    weight: float | None = None
    #: The role spelling found in the data when it differs from the canonical one (``GPT``, ``human`` ...).
    raw_role: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The message's text: the content string, or its text parts joined by newlines."""
        content = self.content
        if isinstance(content, str):
            return content
        return "\n".join(part.text for part in content if part.text is not None)

    def with_text(self, text: str) -> Message:
        """A copy whose text content is ``text`` (multi-part content collapses to one text part)."""
        if isinstance(self.content, str):
            return replace(self, content=text)
        others = tuple(part for part in self.content if part.text is None)
        return replace(self, content=(ContentPart("text", text), *others))


@_quick_init
@dataclass(frozen=True, slots=True)
class Source:
    """Where a conversation came from: its provenance."""

    path: str | None = None
    #: 0-based position of the record in its input file.
    index: int | None = None
    #: 1-based line where the record starts.
    line: int | None = None
    #: Format name the record was read as (``openai``, ``sharegpt``, ``alpaca`` ...).
    format: str | None = None
    #: Reader notes that let a writer reproduce the record (never exported as data).
    hints: Mapping[str, Any] = field(default_factory=dict)


@_quick_init
@dataclass(frozen=True, slots=True)
class Conversation:
    """A training example: ordered messages plus tags, metadata and provenance."""

    id: str
    messages: tuple[Message, ...]
    tags: tuple[str, ...] = ()
    #: Unknown top-level keys of the record, written back on export.
    metadata: Mapping[str, Any] = field(default_factory=dict)
    source: Source = field(default_factory=Source)
    #: True when the id was assigned by threadsmith rather than found in the data.
    id_assigned: bool = False

    def with_messages(self, messages: tuple[Message, ...] | list[Message]) -> Conversation:
        """A copy with other messages."""
        return replace(self, messages=tuple(messages))

    def roles(self) -> tuple[str, ...]:
        """The role of every message, in order."""
        return tuple(message.role for message in self.messages)
