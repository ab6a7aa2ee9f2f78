"""Structure checks about what a tool call says: arguments a parser can read, a function the
entry defines, and arguments that fit that function's parameters.

A function-calling model learns its calls from these turns: a call with broken JSON, to a
function that does not exist, or missing a required argument teaches exactly that. The calls
are read in either dialect (OpenAI ``tool_calls``, ShareGPT ``function_call`` turns), and the
definitions from the entry's ``tools`` (a list, or the JSON string LLaMA-Factory keeps). A call
that no result answers is ST015's (turn_fields.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.turns import facts
from threadsmith.model import FUNCTION_CALL, Conversation, Family, Severity, ToolCall, message_calls
from threadsmith.model.calls import arguments_object, tool_parameters


def _calls(conversation: Conversation) -> Iterator[tuple[int, ToolCall]]:
    for index, message in enumerate(conversation.messages):
        for call in message_calls(message):
            yield index, call


_last_tools: tuple[Any, dict[str, Any] | None] = (None, None)


def _parameters(conversation: Conversation) -> dict[str, Any] | None:
    """Function name -> parameters schema of the entry's tool definitions (the last parse kept:
    entries of one dataset often share one definition string)."""
    global _last_tools
    tools = conversation.metadata.get("tools")
    if tools is None:
        return None
    if _last_tools[0] is not tools and _last_tools[0] != tools:
        _last_tools = (tools, tool_parameters(tools))
    return _last_tools[1]


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _defined_calls(conversation: Conversation) -> Iterator[tuple[int, ToolCall, dict[str, Any]]]:
    """Each call with the entry's definitions (function name -> parameters); none without definitions."""
    defined = _parameters(conversation)
    if defined is not None:
        for index, call in _calls(conversation):
            yield index, call, defined


class _CallCheck(ConversationCheck):
    """Shared by the tool-call checks: only an entry that calls a tool is read."""

    family = Family.STRUCTURE

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        return self._hits(conversation) if facts(conversation).calls else ()

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        raise NotImplementedError


@register
class InvalidToolArguments(_CallCheck):
    """A tool call's arguments are not a JSON object, or a function_call turn holds no call.

    What it does:
        Parses each call's ``arguments`` (OpenAI keeps them as a JSON string) and reports those
        that are not valid JSON or not an object; reports a ShareGPT ``function_call`` turn
        whose value is not a call (``{"name": ..., "arguments": {...}}`` or a list of them).
    Why it matters:
        The model learns to write exactly these calls: broken JSON in training data becomes
        broken JSON at inference, which the tool runtime cannot parse.
    Example:
        ``"arguments": "{\\"city\\": \\"Paris\\""`` (a closing brace missing), or
        ``{"from": "function_call", "value": "get_weather(Paris)"}``.
    Fix:
        None automatic: repair the JSON, or drop the entry.
    """

    code = "ST020"
    name = "invalid-tool-arguments"
    severity = Severity.ERROR

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        for index, message in enumerate(conversation.messages):
            calls = message_calls(message)
            if not calls and message.raw_role == FUNCTION_CALL:
                what = "is not a call ({\"name\": ..., \"arguments\": {...}})" if _parses(message.text) else \
                    "is not valid JSON"
                yield Hit(index, f"message {index} is a function_call turn whose value {what}: {_short(message.text)!r}")
            for call in calls:
                if not isinstance(arguments_object(call.arguments), dict):
                    yield Hit(index, f"message {index} calls {call.name!r} with arguments that are not a JSON "
                                     f"object: {_short(str(call.arguments))!r}")


@register
class UndefinedTool(_CallCheck):
    """A tool call names a function that the entry's tool definitions do not define.

    What it does:
        When an entry lists its tools (OpenAI ``tools``, LLaMA-Factory's ``tools`` column), reports
        each call to a function that is not among them. Entries without definitions are not checked.
    Why it matters:
        The model is taught to call functions it was not offered: at inference it invents tools
        the application does not have.
    Example:
        ``tools`` defines ``get_weather``; the assistant calls ``get_forecast``.
    Fix:
        None automatic: add the definition, or correct the call's name.
    """

    code = "ST021"
    name = "undefined-tool"
    severity = Severity.WARNING

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        for index, call, defined in _defined_calls(conversation):
            if call.name not in defined:
                names = ", ".join(sorted(defined)[:8]) + (", ..." if len(defined) > 8 else "")
                yield Hit(index, f"message {index} calls {call.name!r}, which the entry's tools do not define "
                                 f"(defined: {names})")


#: JSON Schema type -> the Python types a parsed value of it has (bool is no number here).
_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float),
                                       "boolean": (bool,), "array": (list,), "object": (dict,), "null": (type(None),)}


def _fits(value: Any, wanted: Any) -> bool:
    """True when ``value`` has one of the JSON Schema ``type`` names ``wanted`` (unknown names pass)."""
    names = wanted if isinstance(wanted, list) else [wanted]
    for name in names:
        types = _TYPES.get(name) if isinstance(name, str) else None
        if types is None:
            return True
        if isinstance(value, types) and not (isinstance(value, bool) and bool not in types):
            return True
    return False


@register
class ToolArgumentsMismatch(_CallCheck):
    """A tool call's arguments do not fit the parameters its function defines.

    What it does:
        For each call to a function the entry defines with a ``parameters`` schema, reports a
        required argument left out, an argument the schema does not name (unless it allows
        ``additionalProperties``), a value of the wrong JSON type (string, number, integer,
        boolean, array, object), and a value outside the parameter's ``enum``.
    Why it matters:
        The model learns argument names, types and values from these calls; a mismatch teaches
        calls that the real function rejects, or fills in values it never asked for.
    Example:
        ``get_weather(city: string, required)`` called with ``{"town": "Paris"}``.
    Fix:
        None automatic: correct the call, or the definition if the call is right.
    """

    code = "ST022"
    name = "tool-arguments-mismatch"
    severity = Severity.WARNING

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        for index, call, defined in _defined_calls(conversation):
            schema = defined.get(call.name)
            arguments = arguments_object(call.arguments)
            if isinstance(schema, dict) and isinstance(arguments, dict):
                for problem in _mismatches(arguments, schema):
                    yield Hit(index, f"message {index} calls {call.name!r} {problem}")


def _mismatches(arguments: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    required = schema.get("required")
    for name in required if isinstance(required, list) else ():
        if isinstance(name, str) and name not in arguments:
            yield f"without required argument {name!r}"
    strict = bool(properties) and schema.get("additionalProperties") is not True  # JSON Schema allows extras; calls should not
    for name, value in arguments.items():
        spec = properties.get(name)
        if not isinstance(spec, dict):
            if strict:
                yield f"with argument {name!r}, which its parameters do not define"
            continue
        if "type" in spec and not _fits(value, spec["type"]):
            yield f"with {name!r} = {_short(json.dumps(value, ensure_ascii=False), 40)}, where its parameters want {spec['type']}"
        enum = spec.get("enum")
        if isinstance(enum, list) and enum and value not in enum:
            choices = ", ".join(json.dumps(v, ensure_ascii=False) for v in enum[:6])
            yield f"with {name!r} = {_short(json.dumps(value, ensure_ascii=False), 40)}, not one of {choices}"
