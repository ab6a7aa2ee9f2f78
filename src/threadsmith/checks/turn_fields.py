"""Structure checks about what rides along with turns: tool calls and their results, tags, and
per-message training weights (they start from :func:`threadsmith.checks.turns.facts`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.turns import facts
from threadsmith.model import FUNCTION_CALL, Conversation, Family, FixSafety, Severity
from threadsmith.model.calls import parse_function_call


@register
class ToolCallWithoutResult(ConversationCheck):
    """An assistant tool call has no matching tool result, or a tool result answers no call.

    What it does:
        Matches each tool call id to a later ``tool`` message with that ``tool_call_id``
        (by order when ids are absent). Reports calls left unanswered and tool results that
        answer no call. A ShareGPT ``function_call`` turn (LLaMA-Factory's tool format: its
        value is the call's JSON) is a call, answered by the ``observation`` turn after it;
        like an OpenAI tool call, its JSON is not read as a reply by any other check.
    Why it matters:
        Tool-use templates pair calls and results; an unpaired one fails to render or
        teaches the model to call tools and ignore what they return.
    Example:
        assistant: tool_calls=[{id: "c1", name: "weather"}] / assistant: "It is sunny."
    Fix:
        None automatic: add the tool result, or remove the call.
    """

    code = "ST015"
    name = "tool-call-without-result"
    family = Family.STRUCTURE
    severity = Severity.WARNING

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        found = facts(conversation)
        if not found.calls and "tool" not in found.roles:
            return ()
        return self._hits(conversation)

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        pending: list[tuple[int, str | None, str]] = []
        for i, message in enumerate(conversation.messages):
            for call in message.tool_calls:
                pending.append((i, call.id, call.name))
            if message.raw_role == FUNCTION_CALL and not message.tool_calls:  # one or several calls (parallel)
                pending += [(i, None, call.name) for call in parse_function_call(message.text)] or [(i, None, FUNCTION_CALL)]
            if message.role == "tool":
                match = next((p for p in pending if message.tool_call_id is not None and p[1] == message.tool_call_id), None)
                if match is None and pending and (message.tool_call_id is None or pending[0][1] is None):
                    match = pending[0]
                if match is None:
                    yield Hit(i, f"message {i} is a tool result that answers no tool call")
                else:
                    pending.remove(match)
        for i, call_id, name in pending:
            label = f"{name!r}" + (f" (id {call_id})" if call_id else "")
            yield Hit(i, f"message {i} calls tool {label} but no tool result follows")


@register
class BlankTag(ConversationCheck):
    """An entry has an empty, whitespace-only or repeated tag.

    What it does:
        Reports tags that are empty strings, only whitespace, or listed twice.
    Why it matters:
        Blank tags break filters and stratified splits ("untagged" entries that are tagged),
        and duplicates skew tag balance statistics.
    Example:
        ``"tags": ["", "greeting", "greeting"]``
    Fix:
        Safe: drop blank tags and repeats, keeping the first occurrence.
    """

    code = "ST016"
    name = "blank-tag"
    family = Family.STRUCTURE
    severity = Severity.INFO
    fix_safety = FixSafety.SAFE
    fix_description = "drop blank and repeated tags"

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        return self._hits(conversation) if conversation.tags else ()

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        seen: set[str] = set()
        for tag in conversation.tags:
            if not tag.strip():
                yield Hit(None, f"entry has a blank tag {tag!r}")
            elif tag in seen:
                yield Hit(None, f"entry lists tag {tag!r} twice")
            seen.add(tag)

    def fix(self, conversation: Conversation) -> Conversation:
        kept = tuple(dict.fromkeys(t for t in conversation.tags if t.strip()))
        return replace(conversation, tags=kept)


@register
class InvalidWeight(ConversationCheck):
    """A message's training weight is not 0 or 1, or is set on a non-assistant turn.

    What it does:
        Reports ``weight`` values other than 0 and 1 (the values OpenAI fine-tuning accepts),
        and weights on user or system messages, which trainers ignore.
    Why it matters:
        OpenAI rejects the file; other trainers silently ignore the weight, so a turn you
        meant to exclude from training is trained on.
    Example:
        ``{"role": "assistant", "content": "...", "weight": 0.5}``
    Fix:
        None automatic: use 0 (do not train this turn) or 1 (train it).
    """

    code = "ST019"
    name = "invalid-weight"
    family = Family.STRUCTURE
    severity = Severity.WARNING

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        return self._hits(conversation) if facts(conversation).weighted else ()

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        for i, message in enumerate(conversation.messages):
            if message.weight is None:
                continue
            if message.weight not in (0, 1):
                yield Hit(i, f"message {i} has weight {message.weight}; use 0 or 1")
            elif message.role != "assistant":
                yield Hit(i, f"message {i} ({message.role}) has a weight, which only assistant turns use")
