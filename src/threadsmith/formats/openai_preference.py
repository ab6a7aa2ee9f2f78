"""OpenAI preference fine-tuning (DPO): ``{"input": {"messages": [...]}, "preferred_output": [...],
"non_preferred_output": [...]}``.

Read as the conversation a model is taught: the input's messages, then the preferred output.
``non_preferred_output`` (and the input's ``tools`` and other keys) are kept as they are and
written back, like any unknown key; the checks read the preferred side only. Written from another
format, the last assistant turn becomes the preferred output, and the non-preferred one must come
from the entry's own ``non_preferred_output`` (a conversation has no second answer to invent).
"""

from __future__ import annotations

from typing import Any

from threadsmith.errors import UnsupportedConversion
from threadsmith.formats.record import RecordContext, RecordInvalid, build_conversation, decode_messages, describe
from threadsmith.formats.record import encode_message, head, tail
from threadsmith.model import Conversation, ProblemKind

NAME = "openai-preference"


def matches(record: dict[str, Any]) -> bool:
    """True for records with an ``input`` object and a ``preferred_output``."""
    return "preferred_output" in record and isinstance(record.get("input"), dict)


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One preference record to its preferred conversation."""
    given = record["input"]
    prompt, preferred = given.get("messages"), record["preferred_output"]
    if not isinstance(prompt, list) or not isinstance(preferred, list):
        raise RecordInvalid(ProblemKind.MESSAGES_NOT_A_LIST,
                            "'input.messages' and 'preferred_output' must both be lists of messages")
    messages = decode_messages(prompt + preferred, ctx, "input.messages")
    extra_input = {k: v for k, v in given.items() if k != "messages"}
    hints = {"prompt_length": len(prompt), "input_extra": extra_input}
    return build_conversation(record, ctx, NAME, messages, {"input", "preferred_output"}, hints)


def write(conversation: Conversation) -> dict[str, Any]:
    """A conversation as a preference record (see the module docstring)."""
    keep = conversation.source.format == NAME
    hints = conversation.source.hints if keep else {}
    messages = conversation.messages
    split = hints.get("prompt_length")
    if not isinstance(split, int) or not 0 <= split <= len(messages):
        split = max((i for i, m in enumerate(messages) if m.role == "assistant"), default=-1)
    if split < 0 or "non_preferred_output" not in conversation.metadata:
        raise UnsupportedConversion(
            f"Conversation {describe(conversation)} has no non-preferred answer to pair with its reply; OpenAI "
            "preference records need both.", hint="Convert it to openai (supervised fine-tuning) instead.")
    record = head(conversation)
    record["input"] = {"messages": [encode_message(m, keep_spelling=keep) for m in messages[:split]],
                       **hints.get("input_extra", {})}
    record["preferred_output"] = [encode_message(m, keep_spelling=keep) for m in messages[split:]]
    record.update(tail(conversation))
    return record
