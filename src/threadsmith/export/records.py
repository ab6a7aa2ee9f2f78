"""One record per conversation for each trainer target, validated against what the trainer accepts.

Each builder takes a conversation and returns a JSON-ready dict, or raises
:class:`UnsupportedConversion` naming the entry when the trainer cannot take it (a multi-turn
conversation for Alpaca, a conversation without an assistant turn for OpenAI, roles out of
order for LLaMA-Factory). Trainer records are clean: only the keys the trainer reads, with
canonical roles, so ``jsonl`` is the target to use for a lossless copy.

=======================  ==========================================================================
target                   record
=======================  ==========================================================================
``jsonl``                each record in the format it was read in (lossless; the plain export)
``openai``               ``{"messages": [{"role", "content", "name"?, "weight"?}], "tools"?}`` (chat fine-tuning)
``trl``                  ``{"messages": [{"role", "content"}], "tools"?}`` (TRL conversational language modeling)
``trl-prompt-completion`` ``{"prompt": [...], "completion": [last assistant turn], "tools"?}`` (conversational)
``sharegpt``             ``{"conversations": [{"from": "human"|"gpt"|"system"|..., "value"}], "tools"?}``
``alpaca``               ``{"instruction", "input", "output", "system"?}`` (single turn only)
``hf``                   ``{"id", "messages": [{"role", "content"}], "tags"}`` (Parquet rows; no tool calls)
``axolotl``              ``{"messages": [{"role", "content", "training"?}], "tools"?}`` (``type: chat_template``)
``llamafactory``         ``{"conversations": [{"from", "value"}], "system"?, "tools"?}`` (sharegpt formatting)
=======================  ==========================================================================

Tool calls are written the way each trainer reads them, whichever format they came in (OpenAI
``tool_calls`` or a ShareGPT ``function_call`` turn): OpenAI's ``tool_calls`` with ids paired to
the results and arguments as a JSON string; TRL, Axolotl and chat templates' ``tool_calls`` with
arguments as an object; LLaMA-Factory's ``function_call`` turns, with ``tools`` as a JSON string of
plain function schemas. ``hf`` refuses an entry with tool calls rather than drop them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from threadsmith.errors import UnsupportedConversion
from threadsmith.formats import to_record
from threadsmith.formats.record import call_object, describe
from threadsmith.model import Conversation, Message, with_call_ids
from threadsmith.model.calls import arguments_object, function_call_value, openai_tools, plain_tools

Record = dict[str, Any]
#: The roles OpenAI chat fine-tuning accepts.
OPENAI_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_SHAREGPT = {"user": "human", "assistant": "gpt", "system": "system", "tool": "observation"}


def _refuse(conversation: Conversation, problem: str, hint: str) -> UnsupportedConversion:
    return UnsupportedConversion(f"Conversation {describe(conversation)} {problem}.", hint=hint)


def _plain(message: Message) -> dict[str, Any]:
    """A chat message as TRL, Axolotl and chat templates read it: role and content, and a call's
    ``tool_calls`` (arguments as an object) or a result's ``tool_call_id`` when there are any."""
    out: dict[str, Any] = {"role": message.role, "content": message.text}
    if message.tool_calls:
        out["tool_calls"] = [{**({"id": call.id} if call.id else {}), "type": "function",
                              "function": {"name": call.name, "arguments": arguments_object(call.arguments)}}
                             for call in message.tool_calls]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    return out


def _chat(conversation: Conversation) -> list[dict[str, Any]]:
    """Every message as :func:`_plain` writes it, a ShareGPT ``function_call`` turn as a call."""
    return [_plain(m) for m in with_call_ids(conversation.messages, assign_ids=False)]


def _with_tools(record: Record, conversation: Conversation) -> Record:
    """``record`` with the conversation's tool definitions (``tools``, OpenAI's list) when it has some."""
    tools = openai_tools(conversation.metadata.get("tools"))
    if isinstance(tools, list):
        record["tools"] = tools
    return record


def _assistants(conversation: Conversation) -> list[int]:
    return [i for i, m in enumerate(conversation.messages) if m.role == "assistant"]


def lossless(conversation: Conversation) -> Record:
    """``jsonl``: the record in the format it was read in (the plain, lossless export)."""
    return to_record(conversation, None)


def openai_chat(conversation: Conversation) -> Record:
    """``openai``: a chat fine-tuning example, checked against OpenAI's documented constraints.

    Roles must be system/developer/user/assistant/tool; at least one assistant message must be
    trained (``weight`` absent or 1); ``weight`` is only allowed on assistant messages and is 0 or 1;
    a tool message must answer a call made before it.
    """
    messages = []
    trained = 0
    called: set[str] = set()
    for index, message in enumerate(with_call_ids(conversation.messages, assign_ids=True)):
        if message.role not in OPENAI_ROLES:
            raise _refuse(conversation, f"has a message {index} with role {message.role!r}, which OpenAI fine-tuning "
                                        "does not accept", "Map the speaker to a role with [roles] in threadsmith.toml.")
        called.update(call.id for call in message.tool_calls if call.id)
        if message.role == "tool" and message.tool_call_id not in called:
            raise _refuse(conversation, f"has a tool result (message {index}) that answers no tool call before it; "
                                        "OpenAI rejects a tool message without its call",
                          "Leave such entries out with --drop-code ST015, or add the call.")
        out: dict[str, Any] = {"role": message.role}
        if message.name is not None and message.role in ("user", "assistant", "system"):
            out["name"] = _openai_name(message.name)
        out["content"] = None if message.tool_calls and not message.text else _openai_content(message)
        if message.tool_calls:
            out["tool_calls"] = [call_object(call) for call in message.tool_calls]
        if message.tool_call_id is not None:
            out["tool_call_id"] = message.tool_call_id
        if message.weight is not None:
            if message.role != "assistant" or message.weight not in (0, 1):
                raise _refuse(conversation, f"has weight {message.weight!r} on message {index} ({message.role}); "
                                            "OpenAI takes weight 0 or 1 on assistant messages only",
                              "Fix the weights, or export as trl or jsonl.")
            out["weight"] = int(message.weight)
        trained += message.role == "assistant" and message.weight != 0
        messages.append(out)
    if not trained:
        raise _refuse(conversation, "has no trained assistant message", "Drop it with --drop-code ST, or add a reply.")
    return _with_tools({"messages": messages}, conversation)


def _openai_name(name: str) -> str:
    """OpenAI names are ``[a-zA-Z0-9_-]{1,64}``: other characters become ``_``."""
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "_-") else "_" for ch in name)
    return cleaned[:64] or "_"


def _openai_content(message: Message) -> Any:
    content = message.content
    if isinstance(content, str):
        return content
    return [{"type": part.type, **({"text": part.text} if part.text is not None else {}), **part.extra}
            for part in content]


def trl_messages(conversation: Conversation) -> Record:
    """``trl``: conversational language modeling (``assistant_only_loss=True`` trains the assistant turns)."""
    if not _assistants(conversation):
        raise _refuse(conversation, "has no assistant turn to train on", "Drop it, or export as jsonl.")
    return _with_tools({"messages": _chat(conversation)}, conversation)


def trl_prompt_completion(conversation: Conversation) -> Record:
    """``trl-prompt-completion``: every turn before the last assistant turn is the prompt."""
    last = _assistants(conversation)
    if not last:
        raise _refuse(conversation, "has no assistant turn to use as the completion", "Export it as trl instead.")
    messages = _chat(conversation)
    return _with_tools({"prompt": messages[: last[-1]], "completion": messages[last[-1]:]}, conversation)


def sharegpt(conversation: Conversation) -> Record:
    """``sharegpt``: ``conversations`` of ``from``/``value`` turns (system kept as a turn); calls are
    ``function_call`` turns (after a ``gpt`` turn with the words said with them) as LLaMA-Factory writes them."""
    turns = []
    for message in with_call_ids(conversation.messages, assign_ids=False):
        if message.tool_calls:
            if message.text.strip():
                turns.append({"from": "gpt", "value": message.text})
            turns.append({"from": "function_call", "value": function_call_value(message.tool_calls)})
        else:
            turns.append({"from": _SHAREGPT.get(message.role, message.role), "value": message.text})
    return _llamafactory_tools({"conversations": turns}, conversation)


def _llamafactory_tools(record: Record, conversation: Conversation) -> Record:
    """``record`` with the tool definitions as LLaMA-Factory's ``tools`` column holds them: a JSON string."""
    tools = plain_tools(conversation.metadata.get("tools"))
    if isinstance(tools, list):
        record["tools"] = orjson.dumps(tools).decode()
    return record


def alpaca(conversation: Conversation) -> Record:
    """``alpaca``: one instruction and one output (an optional system prompt first); nothing else fits."""
    messages = list(conversation.messages)
    system = messages.pop(0).text if messages and messages[0].role == "system" else None
    roles = [m.role for m in messages]
    if roles != ["user", "assistant"]:
        raise _refuse(conversation, f"has {len(roles)} turns ({', '.join(roles[:6])}{', ...' if len(roles) > 6 else ''});"
                                    " Alpaca holds exactly one user turn and one assistant turn",
                      "Export it as trl, sharegpt or llamafactory instead.")
    record: Record = {"instruction": messages[0].text, "input": "", "output": messages[1].text}
    if system is not None:
        record["system"] = system
    return record


def hf_row(conversation: Conversation) -> Record:
    """``hf``: a Parquet row: the entry's id, its messages and its tags."""
    messages = _chat(conversation)
    if any("tool_calls" in m or "tool_call_id" in m for m in messages):
        raise _refuse(conversation, "calls tools; the hf Parquet rows hold role and content only (a column that "
                                    "is null on most rows breaks some chat templates)",
                      "Export it as trl or axolotl (JSONL, tool calls and tools kept), or as openai.")
    return {"id": conversation.id, "messages": messages, "tags": list(conversation.tags)}


def axolotl(conversation: Conversation) -> Record:
    """``axolotl``: ``messages`` for ``type: chat_template``; a per-message ``training`` flag where weights say."""
    if not _assistants(conversation):
        raise _refuse(conversation, "has no assistant turn to train on", "Drop it, or export as jsonl.")
    weighted = any(m.weight is not None for m in conversation.messages)
    out = []
    for message in with_call_ids(conversation.messages, assign_ids=False):
        turn = _plain(message)
        if weighted and message.role == "assistant":
            turn["training"] = message.weight != 0
        out.append(turn)
    return _with_tools({"messages": out}, conversation)


def llamafactory(conversation: Conversation) -> Record:
    """``llamafactory``: ShareGPT formatting as LLaMA-Factory reads it (system as its own column).

    LLaMA-Factory wants user-side turns (``human``, ``observation``) at odd positions and
    model-side turns (``gpt``, ``function_call``) at even positions, ending on a model turn. The
    results of parallel calls (tool messages in a row) become one ``observation`` turn, joined the
    way LLaMA-Factory's own OpenAI converter joins them, answering the one ``function_call`` turn.
    """
    messages = list(conversation.messages)
    system = messages.pop(0).text if messages and messages[0].role == "system" else None
    turns: list[dict[str, Any]] = []
    results: list[str] = []  # the tool messages of the observation turn being gathered
    for message in with_call_ids(messages, assign_ids=False):
        if message.role == "tool" and results:
            results.append(message.text)
            continue
        _close_results(turns, results)
        index = len(turns)
        if message.role == "assistant" and message.tool_calls:
            if message.text.strip():
                raise _refuse(conversation, f"has an assistant turn at position {index + 1} after the system prompt "
                                            "that says words and calls a tool; a LLaMA-Factory function_call turn "
                                            "holds only the call", "Export as trl or openai, or move the words into "
                                            "the reply that follows the tool result.")
            label, value = "function_call", function_call_value(message.tool_calls)
        else:
            label, value = _SHAREGPT.get(message.role, message.role), message.text
        model_side = label in ("gpt", "function_call")
        if label not in ("human", "gpt", "observation", "function_call") or model_side != (index % 2 == 1):
            raise _refuse(conversation, f"has a {message.role} turn at position {index + 1} after the system prompt; "
                                        "LLaMA-Factory needs user and assistant turns alternating, user first",
                          "Merge or drop the out-of-order turns, or export as trl.")
        turns.append({"from": label, "value": value})
        if label == "observation":
            results = [value]
    _close_results(turns, results)
    if not turns or len(turns) % 2:
        raise _refuse(conversation, "does not end on an assistant turn", "Drop the trailing user turn, or export as trl.")
    record: Record = {"conversations": turns}
    if system is not None:
        record["system"] = system
    return _llamafactory_tools(record, conversation)


#: How LLaMA-Factory joins the results of parallel calls into one observation (its own OpenAI
#: converter does this; its templates wrap the observation in <tool_response> tags).
LLAMAFACTORY_RESULTS_JOINT = "\n</tool_response>\n<tool_response>\n"


def _close_results(turns: list[dict[str, Any]], results: list[str]) -> None:
    """The last observation turn holds every result gathered, joined as LLaMA-Factory joins them."""
    if len(results) > 1:
        turns[-1]["value"] = LLAMAFACTORY_RESULTS_JOINT.join(results)
    results.clear()


#: Target name -> record builder.
BUILDERS: dict[str, Callable[[Conversation], Record]] = {
    "jsonl": lossless,
    "openai": openai_chat,
    "trl": trl_messages,
    "trl-prompt-completion": trl_prompt_completion,
    "sharegpt": sharegpt,
    "alpaca": alpaca,
    "hf": hf_row,
    "axolotl": axolotl,
    "llamafactory": llamafactory,
}
