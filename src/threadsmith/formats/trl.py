"""TRL prompt-completion: ``{"prompt": ..., "completion": ...}``.

Both the standard shape (strings) and the conversational shape (lists of messages) are read;
the writer keeps the shape and the prompt/completion split the record came in, and otherwise
writes the conversational shape with every turn before the last assistant turn as the prompt.

Preference records (DPO: ``{"prompt", "chosen", "rejected"}``, or ``{"chosen", "rejected"}``
with lists of messages and the prompt implicit) are read as the chosen conversation, the one a
model is taught; ``rejected`` is kept as it is and written back, like any unknown key.
"""

from __future__ import annotations

from typing import Any

from threadsmith.errors import UnsupportedConversion
from threadsmith.formats.record import (
    RecordContext,
    RecordInvalid,
    build_conversation,
    decode_messages,
    describe,
    encode_message,
    head,
    is_list_of,
    tail,
)
from threadsmith.model import Conversation, Message, ProblemKind, with_call_ids
from threadsmith.model.calls import openai_tools

NAME = "trl"


def matches(record: dict[str, Any]) -> bool:
    """True for records with ``prompt`` and ``completion`` (or ``chosen``) keys, and for preference
    records whose ``chosen`` is a list of messages (the prompt implicit in it)."""
    if "prompt" in record:
        return "completion" in record or "chosen" in record
    return "rejected" in record and is_list_of(record.get("chosen"), "role")


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One prompt-completion (or preference) record to a conversation."""
    answer = "completion" if "completion" in record else "chosen"
    if "prompt" not in record:  # a preference record with an implicit prompt: the chosen conversation
        messages = decode_messages(record["chosen"], ctx, "chosen")
        hints = {"style": "conversational", "answer_key": "chosen", "implicit_prompt": True}
        return build_conversation(record, ctx, NAME, messages, {"chosen"}, hints)
    prompt, completion = record["prompt"], record[answer]
    if isinstance(prompt, str) and isinstance(completion, str):
        messages: tuple[Message, ...] = (Message("user", prompt), Message("assistant", completion))
        hints = {"style": "standard", "prompt_length": 1}
    elif isinstance(prompt, list) and isinstance(completion, list):
        messages = decode_messages(prompt + completion, ctx, "prompt")
        hints = {"style": "conversational", "prompt_length": len(prompt)}
    else:
        raise RecordInvalid(
            ProblemKind.MESSAGES_NOT_A_LIST,
            f"'prompt' and '{answer}' must both be strings or both be lists of messages",
        )
    if answer != "completion":
        hints["answer_key"] = answer
    return build_conversation(record, ctx, NAME, messages, {"prompt", answer}, hints)


def _split(conversation: Conversation, hints: Any) -> int:
    """Where the completion starts: the split the record was read with, else the last assistant turn."""
    messages = conversation.messages
    if hints.get("style") == "conversational" and 0 <= hints.get("prompt_length", -1) <= len(messages):
        return int(hints["prompt_length"])
    last = max((i for i, m in enumerate(messages) if m.role == "assistant"), default=None)
    if last is None:
        raise UnsupportedConversion(
            f"Conversation {describe(conversation)} has no assistant turn to use as the completion.",
            hint="Export it as openai or sharegpt instead.",
        )
    return last


def write(conversation: Conversation) -> dict[str, Any]:
    """A conversation as prompt (every turn before the last assistant turn) and completion."""
    keep = conversation.source.format == NAME
    hints = conversation.source.hints if keep else {}
    split = len(conversation.messages) if hints.get("implicit_prompt") else _split(conversation, hints)
    messages = conversation.messages if keep else with_call_ids(conversation.messages, assign_ids=True)
    prompt, completion = messages[:split], messages[split:]
    standard = (
        hints.get("style") == "standard"
        and len(prompt) == 1 and prompt[0].role == "user" and isinstance(prompt[0].content, str)
        and len(completion) == 1 and isinstance(completion[0].content, str)
    )
    record = head(conversation)
    answer = hints.get("answer_key", "completion")
    if hints.get("implicit_prompt"):
        record[answer] = [encode_message(m, keep_spelling=keep) for m in messages]
    elif standard:
        record["prompt"], record[answer] = prompt[0].text, completion[0].text
    else:
        record["prompt"] = [encode_message(m, keep_spelling=keep) for m in prompt]
        record[answer] = [encode_message(m, keep_spelling=keep) for m in completion]
    record.update(tail(conversation))
    if not keep and "tools" in record:
        record["tools"] = openai_tools(record["tools"])
    return record
