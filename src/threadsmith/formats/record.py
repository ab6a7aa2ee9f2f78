"""What every format shares: the record context, message decoding, and the record envelope.

A reader turns one decoded JSON record (a dict) into a :class:`Conversation`, or raises
:class:`RecordInvalid`, which the file reader turns into a :class:`RecordProblem`. The
envelope (id, tags, unknown keys) is read by :func:`conversation` and written back by
:func:`head` and :func:`tail`, the same way for every format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from threadsmith.model import ContentPart, Conversation, Message, ProblemKind, Source, ToolCall, canonical_role
from threadsmith.model.calls import arguments_text

_MESSAGE_KEYS = frozenset({"role", "content", "name", "tool_calls", "tool_call_id", "weight"})


class RecordInvalid(Exception):
    """A record has a recognizable shape but cannot be read; carries the problem kind."""

    def __init__(self, kind: ProblemKind, detail: str, message_index: int | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.message_index = message_index


@dataclass(frozen=True, slots=True)
class RecordContext:
    """Where a record sits, and the user's role mapping for custom speaker labels."""

    path: str | None = None
    index: int = 0
    line: int | None = None
    #: Extra speaker label -> canonical role, from configuration (``Kai = "assistant"``).
    role_map: Mapping[str, str] = field(default_factory=dict)

    def assigned_id(self) -> str:
        """The id given to a record that carries none: ``<file stem>:<index>``."""
        stem = "record"
        if self.path:
            name = self.path.replace("\\", "/").rsplit("/", 1)[-1]
            name = name[:-3] if name.lower().endswith(".gz") else name
            base, dot, _ = name.rpartition(".")
            stem = base if dot and base else name
        return f"{stem}:{self.index}"


def resolve_role(label: str, ctx: RecordContext) -> tuple[str, str | None, str | None]:
    """Map a role label to ``(role, raw_role, speaker_name)``.

    Known spellings map through the one role table; labels the user mapped in configuration
    become that role with the label kept as the speaker name; anything else stays as found
    (the ``unknown-role`` check reports it).
    """
    role = canonical_role(label)
    if role is not None:
        return role, (None if label == role else label), None
    mapped = ctx.role_map.get(label) or ctx.role_map.get(label.strip().lower())
    if mapped is not None:
        return mapped, label, label
    return label, None, None


def is_list_of(value: Any, key: str) -> bool:
    """True for a non-empty list whose first item is an object with ``key`` (how readers tell
    ``conversation`` turns, preference messages and Gemini contents from other values)."""
    return type(value) is list and bool(value) and type(value[0]) is dict and key in value[0]


def record_id(record: Mapping[str, Any], ctx: RecordContext) -> tuple[str, bool]:
    """The record's own id when it has one, else an assigned one; and whether it was assigned."""
    value = record.get("id")
    if isinstance(value, str) and value:
        return value, False
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), False
    return ctx.assigned_id(), True


def record_tags(record: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The record's tags when they are a list of strings, else None (kept raw in metadata)."""
    tags = record.get("tags")
    if isinstance(tags, list) and all(isinstance(tag, str) for tag in tags):
        return tuple(tags)
    return None


def build_conversation(
    record: Mapping[str, Any],
    ctx: RecordContext,
    fmt: str,
    messages: tuple[Message, ...] | list[Message],
    used: set[str] | frozenset[str],
    hints: Mapping[str, Any] | None = None,
) -> Conversation:
    """A conversation with the record's envelope: id, tags, and every key not ``used`` as metadata."""
    conv_id, assigned = record_id(record, ctx)
    tags = record_tags(record)
    skip = set(used)
    if not assigned:
        skip.add("id")
    if tags is not None:
        skip.add("tags")
    notes = {"tags_key": tags is not None, "int_id": not assigned and not isinstance(record["id"], str)}
    return Conversation(
        id=conv_id,
        messages=tuple(messages),
        tags=tags or (),
        metadata={k: v for k, v in record.items() if k not in skip},
        source=Source(ctx.path, ctx.index, ctx.line, fmt, {**notes, **(hints or {})}),
        id_assigned=assigned,
    )


def head(conversation: Conversation) -> dict[str, Any]:
    """The keys every writer puts first: the id (unless threadsmith assigned it), as a number if it was one."""
    if conversation.id_assigned:
        return {}
    conv_id: Any = conversation.id
    if conversation.source.hints.get("int_id") and _is_int(conv_id):
        conv_id = int(conv_id)
    return {"id": conv_id}


def tail(conversation: Conversation) -> dict[str, Any]:
    """The keys every writer puts last: tags (when present or read) and unknown metadata."""
    out: dict[str, Any] = {}
    if conversation.tags or conversation.source.hints.get("tags_key"):
        out["tags"] = list(conversation.tags)
    out.update(conversation.metadata)
    return out


def describe(conversation: Conversation) -> str:
    """How an error names a conversation: its id, and its file and line when known."""
    source = conversation.source
    where = [source.path or "", f"line {source.line}" if source.line else ""]
    located = " ".join(part for part in where if part)
    return f"{conversation.id!r}" + (f" ({located})" if located else "")


def _is_int(text: str) -> bool:
    try:
        return str(int(text)) == text
    except ValueError:
        return False


def decode_content(value: Any, index: int) -> str | tuple[ContentPart, ...]:
    """Content as a string or as content parts; anything else is invalid content."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, list):
        parts = []
        for part in value:
            if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                raise RecordInvalid(
                    ProblemKind.INVALID_CONTENT,
                    f"message {index} has list content whose parts are not objects with a 'type'",
                    index,
                )
            text = part.get("text")
            if part["type"] == "text" and not isinstance(text, str):
                raise RecordInvalid(
                    ProblemKind.INVALID_CONTENT, f"message {index} has a text part without a text string", index
                )
            extra = {k: v for k, v in part.items() if k != "type" and not (k == "text" and isinstance(v, str))}
            parts.append(ContentPart(part["type"], text if isinstance(text, str) else None, extra))
        return tuple(parts)
    raise RecordInvalid(
        ProblemKind.INVALID_CONTENT,
        f"message {index} has content of type {type(value).__name__}; expected a string or a list of content parts",
        index,
    )


def decode_tool_calls(value: Any, index: int) -> tuple[ToolCall, ...]:
    """OpenAI-style tool calls; malformed ones make the message invalid."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"message {index} has tool_calls that are not a list", index)
    calls = []
    for call in value:
        if not isinstance(call, dict):
            raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"message {index} has a tool call that is not an object", index)
        function = call.get("function") if isinstance(call.get("function"), dict) else call
        name = function.get("name")
        if not isinstance(name, str):
            raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"message {index} has a tool call without a name", index)
        arguments = function.get("arguments", "")
        call_id = call.get("id")
        calls.append(ToolCall(call_id if isinstance(call_id, str) else None, name, arguments, dict(call)))
    return tuple(calls)


#: Roles spelled canonically: a plain ``{"role", "content"}`` message with one needs no more work.
_PLAIN_ROLES = {"user": "user", "assistant": "assistant", "system": "system", "tool": "tool"}


def decode_message(value: Any, index: int, ctx: RecordContext) -> Message:
    """One OpenAI-style message object (``role``/``content`` ...)."""
    if type(value) is dict and len(value) == 2:  # the common case, decoded without the general path
        label, content = value.get("role"), value.get("content")
        if type(label) is str and type(content) is str and label in _PLAIN_ROLES:
            return Message(_PLAIN_ROLES[label], content)
    if not isinstance(value, dict):
        raise RecordInvalid(
            ProblemKind.INVALID_MESSAGE, f"message {index} is a {type(value).__name__}, not an object", index
        )
    label = value.get("role")
    if not isinstance(label, str):
        raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"message {index} has no role string", index)
    role, raw_role, speaker = resolve_role(label, ctx)
    weight = value.get("weight")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float))):
        raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"message {index} has a non-numeric weight", index)
    name = value.get("name")
    tool_call_id = value.get("tool_call_id")
    extra = {k: v for k, v in value.items() if k not in _MESSAGE_KEYS}
    return Message(
        role=role,
        content=decode_content(value.get("content"), index),
        name=name if isinstance(name, str) else speaker,
        tool_calls=decode_tool_calls(value.get("tool_calls"), index),
        tool_call_id=tool_call_id if isinstance(tool_call_id, str) else None,
        weight=weight,
        raw_role=raw_role,
        extra=extra,
    )


def decode_messages(value: Any, ctx: RecordContext, key: str = "messages") -> tuple[Message, ...]:
    """A list of OpenAI-style messages."""
    if not isinstance(value, list):
        raise RecordInvalid(
            ProblemKind.MESSAGES_NOT_A_LIST, f"'{key}' is a {type(value).__name__}, not a list of messages"
        )
    return tuple(decode_message(item, i, ctx) for i, item in enumerate(value))


def is_speaker_label(message: Message) -> bool:
    """True when the message's name is its custom speaker label (``Kai``), mapped to a role by config."""
    return message.name is not None and message.name == message.raw_role and canonical_role(message.name) is None


def encode_content(content: str | tuple[ContentPart, ...]) -> Any:
    """Content back to JSON: a string, or a list of part objects."""
    if isinstance(content, str):
        return content
    out = []
    for part in content:
        item: dict[str, Any] = {"type": part.type}
        if part.text is not None:
            item["text"] = part.text
        item.update(part.extra)
        out.append(item)
    return out


def encode_message(message: Message, *, keep_spelling: bool) -> dict[str, Any]:
    """One message back to an OpenAI-style object; unknown keys are written back."""
    role = message.raw_role if keep_spelling and message.raw_role is not None else message.role
    out: dict[str, Any] = {"role": role}
    if message.name is not None and not (keep_spelling and is_speaker_label(message)):
        out["name"] = message.name
    if message.tool_calls and message.content == "":
        out["content"] = None
    else:
        out["content"] = encode_content(message.content)
    if message.tool_calls:
        out["tool_calls"] = [dict(call.extra) if call.extra else call_object(call) for call in message.tool_calls]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    if message.weight is not None:
        out["weight"] = message.weight
    out.update(message.extra)
    return out


def call_object(call: ToolCall) -> dict[str, Any]:
    """A call as OpenAI writes it (the id left out when there is none; arguments as a JSON string)."""
    out: dict[str, Any] = {"id": call.id} if call.id is not None else {}
    out["type"] = "function"
    out["function"] = {"name": call.name, "arguments": arguments_text(call.arguments)}
    return out
