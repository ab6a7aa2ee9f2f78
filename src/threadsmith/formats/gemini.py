"""Gemini (Vertex AI tuning): ``{"systemInstruction": {...}, "contents": [{"role": "user"|"model", "parts": [...]}]}``.

A content's ``text`` parts are its message's text (several become a multi-part message);
``functionCall`` parts are the message's tool calls; a content of ``functionResponse`` parts is
one ``tool`` message per response (named after its function), which results in a row answer the
calls before them in order; other parts (``inlineData``, ``fileData``) are kept as they are.
``systemInstruction`` is the system message. Written back, results in a row share one content
again, and the tool definitions (``tools``: ``functionDeclarations``) are kept like any key;
written from another format, OpenAI's tool list becomes one ``functionDeclarations`` entry.
"""

from __future__ import annotations

import json
from typing import Any

from threadsmith.formats.record import RecordContext, RecordInvalid, build_conversation, head, is_list_of, resolve_role, tail
from threadsmith.model import ContentPart, Conversation, Message, ProblemKind, ToolCall, with_call_ids
from threadsmith.model.calls import arguments_object, arguments_text, plain_tools

NAME = "gemini"
#: Canonical role -> the role Gemini writes.
_SPELLING = {"user": "user", "assistant": "model", "tool": "user"}


def matches(record: dict[str, Any]) -> bool:
    """True for records with a ``contents`` list of ``parts`` objects."""
    return is_list_of(record.get("contents"), "parts")


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One Gemini record to a conversation."""
    messages: list[Message] = []
    system = record.get("systemInstruction")
    if system is not None:
        messages.append(Message("system", _parts_content(system.get("parts") if isinstance(system, dict) else None, 0)))
    for index, content in enumerate(record["contents"]):
        if not isinstance(content, dict) or not isinstance(content.get("parts"), list):
            raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"content {index} has no 'parts' list", len(messages))
        messages += _messages(content, len(messages), ctx)
    used = {"contents", "systemInstruction"}
    hints = {"system_role": system.get("role")} if isinstance(system, dict) and "role" in system else {}
    return build_conversation(record, ctx, NAME, messages, used, hints)


def _messages(content: dict[str, Any], at: int, ctx: RecordContext) -> list[Message]:
    label = content.get("role") if isinstance(content.get("role"), str) else "user"
    parts = content["parts"]
    responses = [p["functionResponse"] for p in parts if isinstance(p, dict) and isinstance(p.get("functionResponse"), dict)]
    if responses and len(responses) == len(parts):
        return [Message("tool", json.dumps(r.get("response", {}), ensure_ascii=False),
                        name=r.get("name") if isinstance(r.get("name"), str) else None,
                        raw_role=None if label == "user" else label) for r in responses]
    called = [p["functionCall"] for p in parts if isinstance(p, dict) and isinstance(p.get("functionCall"), dict)]
    calls = tuple(ToolCall(None, str(c.get("name", "")), arguments_text(c.get("args", {}))) for c in called)
    others = [p for p in parts if not (isinstance(p, dict) and isinstance(p.get("functionCall"), dict))]
    role, _, speaker = resolve_role(label, ctx)
    return [Message(role, _parts_content(others, at), name=speaker, tool_calls=calls,
                    raw_role=None if label == _SPELLING.get(role) else label)]


def _parts_content(parts: Any, at: int) -> str | tuple[ContentPart, ...]:
    """One text part as a string; several, or other parts, as content parts (others kept whole)."""
    if not isinstance(parts, list):
        raise RecordInvalid(ProblemKind.INVALID_MESSAGE, "a content or systemInstruction has no 'parts' list", at)
    texts = [_text_of(part) for part in parts]
    if len(parts) <= 1 and None not in texts:
        return texts[0] if texts else ""
    return tuple(ContentPart("text", text) if text is not None else ContentPart(NAME, None, {"part": part})
                 for part, text in zip(parts, texts))


def _text_of(part: Any) -> str | None:
    """The text of a part that is only text (``{"text": ...}``), else None."""
    return part["text"] if isinstance(part, dict) and set(part) == {"text"} and isinstance(part["text"], str) else None


def write(conversation: Conversation) -> dict[str, Any]:
    """A conversation as a Gemini tuning record."""
    keep = conversation.source.format == NAME
    messages = list(with_call_ids(conversation.messages, assign_ids=False))
    record = head(conversation)
    if messages and messages[0].role == "system":
        role = conversation.source.hints.get("system_role") if keep else None
        record["systemInstruction"] = {**({"role": role} if role is not None else {}), "parts": _parts(messages.pop(0))}
    contents: list[dict[str, Any]] = []
    pending: list[tuple[str | None, str]] = []  # (id, function) of the calls not answered yet
    for message in messages:
        label = message.raw_role if keep and message.raw_role is not None else _SPELLING.get(message.role, message.role)
        pending += [(call.id, call.name) for call in message.tool_calls]
        if message.role == "tool":
            answered = next((p for p in pending if message.tool_call_id is not None and p[0] == message.tool_call_id),
                            pending[0] if pending else None)
            if answered is not None:
                pending.remove(answered)
            name = message.name or (answered[1] if answered else "")  # Gemini names the function answered
            response = {"functionResponse": {"name": name, "response": _response(message.text)}}
            if contents and contents[-1].get("_results") == label:
                contents[-1]["parts"].append(response)  # results in a row: one content, as they came
                continue
            contents.append({"role": label, "parts": [response], "_results": label})
            continue
        parts = _parts(message) if message.text or not message.tool_calls else []
        parts += [{"functionCall": {"name": call.name, "args": arguments_object(call.arguments)}}
                  for call in message.tool_calls]
        contents.append({"role": label, "parts": parts})
    record["contents"] = [{k: v for k, v in c.items() if k != "_results"} for c in contents]
    record.update(tail(conversation))
    tools = record.get("tools")
    if not keep and isinstance(tools, (list, str)):
        declarations = plain_tools(tools)
        if isinstance(declarations, list):
            record["tools"] = [{"functionDeclarations": declarations}]
    return record


def _parts(message: Message) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return [{"text": message.content}]
    return [part.extra["part"] if part.type == NAME and "part" in part.extra else {"text": part.text or ""}
            for part in message.content]


def _response(text: str) -> Any:
    """A tool result as a functionResponse's ``response``: the JSON object it holds, else ``{"content": text}``."""
    value = arguments_object(text)
    return value if isinstance(value, dict) else {"content": text}
