"""OpenAI / ChatML chat format: ``{"messages": [{"role": ..., "content": ...}, ...]}``.

Also the TRL conversational "messages" shape, RoleThread's ChatML JSONL, and chat logs that keep
the same messages under ``conversation`` (LMSYS-Chat-1M, WildChat; written back under that key).
A top-level ``system`` (Anthropic's and Amazon Bedrock's shape) is read as the first message
and written back where it was. Lossless: role spellings (``GPT``, ``human``), names, weights,
tool calls and unknown keys are written back.
Written from another format, calls are OpenAI's: a ShareGPT ``function_call`` turn becomes
``tool_calls`` (with ids, which results are paired to) and LLaMA-Factory's ``tools`` string a list.
"""

from __future__ import annotations

from typing import Any

from threadsmith.formats.record import (
    RecordContext,
    build_conversation,
    decode_content,
    decode_messages,
    encode_content,
    encode_message,
    head,
    is_list_of,
    tail,
)
from threadsmith.model import Conversation, Message, with_call_ids
from threadsmith.model.calls import openai_tools

NAME = "openai"
#: Roles spelled canonically (see ``record.decode_message``, whose short path this is).
_PLAIN_ROLES = frozenset({"user", "assistant", "system", "tool"})


#: The other key chat logs keep their messages under (LMSYS-Chat-1M, WildChat: ``conversation``).
ALIAS = "conversation"


def matches(record: dict[str, Any]) -> bool:
    """True for records with a ``messages`` key, or a ``conversation`` list of ``role`` messages."""
    return "messages" in record or (ALIAS in record and is_list_of(record[ALIAS], "role"))


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One record to a conversation; unknown keys become metadata."""
    key = "messages" if "messages" in record else ALIAS
    hints: dict[str, Any] = {"messages_key": key} if key != "messages" else {}
    messages, used = _messages(record[key], ctx), {key}
    system = record.get("system")
    if isinstance(system, (str, list)) and not (messages and messages[0].role == "system"):
        messages = (Message("system", decode_content(system, 0)), *messages)  # Anthropic's and Bedrock's system key
        used.add("system")
        hints["system_key"] = True
    return build_conversation(record, ctx, NAME, messages, used, hints)


def _messages(value: Any, ctx: RecordContext) -> tuple[Message, ...]:
    """:func:`decode_messages`, with the common case in one loop: every message a plain
    ``{"role", "content"}`` object with a canonical role and string content."""
    if type(value) is list:
        messages = []
        for item in value:
            if type(item) is dict and len(item) == 2:
                role, content = item.get("role"), item.get("content")
                if type(role) is str and type(content) is str and role in _PLAIN_ROLES:
                    messages.append(Message(role, content))
                    continue
            return decode_messages(value, ctx)
        return tuple(messages)
    return decode_messages(value, ctx)


def write(conversation: Conversation) -> dict[str, Any]:
    """A conversation as an OpenAI chat record."""
    keep = conversation.source.format == NAME
    record = head(conversation)
    messages = conversation.messages if keep else with_call_ids(conversation.messages, assign_ids=True)
    hints = conversation.source.hints if keep else {}
    if hints.get("system_key") and messages and messages[0].role == "system":
        record["system"] = encode_content(messages[0].content)
        messages = messages[1:]
    record[hints.get("messages_key", "messages")] = [encode_message(m, keep_spelling=keep) for m in messages]
    record.update(tail(conversation))
    if not keep and "tools" in record:
        record["tools"] = openai_tools(record["tools"])
    return record
