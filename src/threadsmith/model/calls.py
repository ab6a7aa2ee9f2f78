"""The tool calls a message makes, in both dialects the formats read, and calls paired with results.

OpenAI-style data keeps a message's calls in ``Message.tool_calls``, and each result (role
``tool``) names its call by ``tool_call_id``. ShareGPT data as LLaMA-Factory writes it keeps a
call as a ``function_call`` turn whose value is the call's JSON (``{"name": ..., "arguments":
{...}}``, or a list of them for parallel calls), answered by the ``observation`` turn after it.
The ShareGPT reader keeps that value as the turn's content, so the file is written back byte for
byte; writers of the other formats ask :func:`message_calls` or :func:`with_call_ids` for the
calls, so a call is never written as the text of a reply.

Tool definitions (an entry's ``tools``) come as OpenAI's list of ``{"type": "function",
"function": {...}}`` or as LLaMA-Factory's JSON string of plain schemas: :func:`openai_tools`,
:func:`plain_tools` and :func:`tool_parameters` read either. Text that is not JSON, or JSON nested
too deep to parse, is never an error here: it is not a call, not arguments, not definitions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from threadsmith.model.conversation import Message, ToolCall

#: ShareGPT's spelling of a turn that calls a function (its role is ``assistant``).
FUNCTION_CALL = "function_call"


def parse_function_call(value: str) -> tuple[ToolCall, ...]:
    """The calls a ``function_call`` value holds (ids None, arguments as JSON text); () when the
    value is not a call object or a list of them."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError, RecursionError):
        return ()
    calls = []
    for item in data if isinstance(data, list) else [data]:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return ()
        calls.append(ToolCall(None, item["name"], arguments_text(item.get("arguments", {}))))
    return tuple(calls)


def function_call_value(calls: Sequence[ToolCall]) -> str:
    """The value of a ShareGPT ``function_call`` turn making ``calls``: one call's JSON, or a list."""
    items = [{"name": call.name, "arguments": arguments_object(call.arguments)} for call in calls]
    return json.dumps(items[0] if len(items) == 1 else items, ensure_ascii=False)


def call_line(call: ToolCall) -> str:
    """A call as a person reads it: ``get_weather({"city": "Paris"})``."""
    return f"{call.name}({arguments_text(call.arguments)})"


def message_calls(message: Message) -> tuple[ToolCall, ...]:
    """The calls a message makes: its ``tool_calls``, or those its ShareGPT ``function_call`` value holds."""
    if message.tool_calls:
        return message.tool_calls
    if message.raw_role == FUNCTION_CALL and isinstance(message.content, str):
        return parse_function_call(message.content)
    return ()


def arguments_text(arguments: Any) -> str:
    """Arguments as OpenAI writes them: a JSON string (a string is kept as it is)."""
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)


def arguments_object(arguments: Any) -> Any:
    """Arguments as chat templates and LLaMA-Factory read them: the JSON object a string holds
    (other values are kept as they are)."""
    if isinstance(arguments, str):
        try:
            value = json.loads(arguments)
        except (ValueError, RecursionError):
            return arguments
        return value if isinstance(value, dict) else arguments
    return arguments


def with_call_ids(messages: Sequence[Message], *, assign_ids: bool) -> tuple[Message, ...]:
    """The messages with every call where OpenAI-style writers look for it.

    A ShareGPT ``function_call`` turn becomes an assistant message with its calls and no text.
    With ``assign_ids`` (OpenAI requires ids), a call without an id gets ``call_<message>_<k>``
    and a tool result without a ``tool_call_id`` the id of the earliest call still unanswered.
    A ``function_call`` value that is not a call's JSON is left as the turn's text.
    """
    out: list[Message] = []
    pending: list[str] = []
    for index, message in enumerate(messages):
        calls = message.tool_calls
        if not calls and message.raw_role == FUNCTION_CALL and isinstance(message.content, str):
            calls = parse_function_call(message.content)
            if calls:
                message = replace(message, content="", tool_calls=calls, raw_role=None)
        if calls and assign_ids:
            named = tuple(call if call.id else _named(call, f"call_{index}_{k}") for k, call in enumerate(calls))
            if named != calls:
                message = replace(message, tool_calls=named)
            pending += [call.id for call in named if call.id]
        elif message.role == "tool" and assign_ids:
            if message.tool_call_id is None and pending:
                message = replace(message, tool_call_id=pending.pop(0))
            elif message.tool_call_id in pending:
                pending.remove(message.tool_call_id)
        out.append(message)
    return tuple(out)


def _named(call: ToolCall, call_id: str) -> ToolCall:
    extra = {**call.extra, "id": call_id} if call.extra else call.extra
    return replace(call, id=call_id, extra=extra)


def openai_tools(tools: Any) -> Any:
    """Tool definitions as OpenAI lists them (``[{"type": "function", "function": {...}}]``), from
    a list (plain schemas, or Gemini's ``functionDeclarations`` groups) or the JSON string
    LLaMA-Factory keeps; anything else is returned as it is."""
    if isinstance(tools, str):
        try:
            parsed = json.loads(tools)
        except (ValueError, RecursionError):
            return tools
        if not isinstance(parsed, list):
            return tools
        tools = parsed
    if not isinstance(tools, list):
        return tools
    out = []
    for tool in tools:
        declared = tool.get("functionDeclarations") if isinstance(tool, dict) else None
        for item in declared if isinstance(declared, list) else [tool]:  # Gemini groups its functions
            wrap = isinstance(item, dict) and "name" in item and "function" not in item
            out.append({"type": "function", "function": item} if wrap else item)
    return out


def plain_tools(tools: Any) -> Any:
    """Tool definitions as plain function schemas (``[{"name", "description", "parameters"}]``),
    the shape LLaMA-Factory's ``tools`` column holds; anything but a list is returned as it is."""
    tools = openai_tools(tools)
    if not isinstance(tools, list):
        return tools
    return [tool["function"] if isinstance(tool, dict) and tool.get("type") == "function"
            and isinstance(tool.get("function"), dict) else tool for tool in tools]


def tool_parameters(tools: Any) -> dict[str, Any] | None:
    """Function name -> its ``parameters`` schema (None when it has none), from an entry's tool
    definitions in either shape; None when the entry defines no tools."""
    schemas = plain_tools(tools)
    if not isinstance(schemas, list) or not schemas:
        return None
    return {tool["name"]: tool.get("parameters") for tool in schemas
            if isinstance(tool, dict) and isinstance(tool.get("name"), str)} or None
