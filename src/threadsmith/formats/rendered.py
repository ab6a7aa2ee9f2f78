"""Conversations already rendered with a chat template into one text field: ``{"text": "<|im_start|>user\\n..."}``.

Datasets prepared for a trainer's plain-text mode (Unsloth and Axolotl recipes, many Hub sets)
keep each conversation as the text a chat template made. The turns are read back by the
template's own markers:

=========  ================================================================================
template   one turn
=========  ================================================================================
chatml     ``<|im_start|>ROLE\\nCONTENT<|im_end|>`` joined by ``\\n`` (Qwen, SmolLM, OpenHermes ...)
llama3     ``<|start_header_id|>ROLE<|end_header_id|>\\n\\nCONTENT<|eot_id|>``
gemma      ``<start_of_turn>ROLE\\nCONTENT<end_of_turn>`` joined by ``\\n`` (``model`` is the assistant)
phi3       ``<|ROLE|>\\nCONTENT<|end|>`` joined by ``\\n``
llama2     ``<s>[INST] USER [/INST] REPLY </s>`` (Llama 2, Mistral; turns by position: inst.py)
alpaca     ``### Instruction:\\n...\\n\\n### Response:\\n...`` (one exchange: alpaca_text.py)
=========  ================================================================================

A record is read this way when its text holds at least two turns of one template, one of them
an assistant turn. What surrounds the turns (``<|begin_of_text|>``, ``<bos>``, a final newline)
and every separator between turns are kept, so an unchanged record is written back byte for
byte; a changed one is written with the template's own separators. A last turn without its end
marker (a cut text, or a generation prompt) is read to the end of the text and written back
without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from threadsmith.formats import alpaca_text, inst
from threadsmith.formats.record import RecordContext, RecordInvalid, build_conversation, head, resolve_role, tail
from threadsmith.model import Conversation, Message, ProblemKind

NAME = "rendered"
TEXT_KEYS = ("text", "chosen", "transcript")


@dataclass(frozen=True)
class _Template:
    name: str
    start: re.Pattern[str]  # a turn's start; group 1 is its role label
    opening: str  # the start, written with {role}
    end: str
    separator: str
    #: Role label -> canonical role where the template spells it its own way.
    roles: tuple[tuple[str, str], ...] = ()

    def label(self, role: str) -> str:
        return next((label for label, canonical in self.roles if canonical == role), role)


_ROLE = r"([A-Za-z_][\w .-]{0,40}?)"
TEMPLATES = (
    _Template("chatml", re.compile(r"<\|im_start\|>" + _ROLE + r"\n"), "<|im_start|>{role}\n", "<|im_end|>", "\n"),
    _Template("llama3", re.compile(r"<\|start_header_id\|>" + _ROLE + r"<\|end_header_id\|>\n\n"),
              "<|start_header_id|>{role}<|end_header_id|>\n\n", "<|eot_id|>", ""),
    _Template("gemma", re.compile(r"<start_of_turn>" + _ROLE + r"\n"), "<start_of_turn>{role}\n", "<end_of_turn>", "\n",
              (("model", "assistant"),)),
    _Template("phi3", re.compile(r"<\|(system|user|assistant)\|>\n"), "<|{role}|>\n", "<|end|>", "\n"),
)
_BY_NAME = {t.name: t for t in TEMPLATES}
_ASSISTANT_LABELS = frozenset({"assistant", "model", "gpt", "bot"})


def _template(text: Any) -> _Template | None:
    """The template whose turns ``text`` holds (two or more, one of them the assistant's), or None."""
    if not isinstance(text, str) or "<" not in text:
        return None
    for template in TEMPLATES:
        if template.end in text:
            labels = [m.group(1) for m in template.start.finditer(text)]
            if len(labels) >= 2 and any(label.lower() in _ASSISTANT_LABELS for label in labels):
                return template
    return None


#: What reading a rendered text gives: its template (None for inst.py's and alpaca_text.py's
#: layouts), its ``(label, content)`` turns and the hints that write it back.
Parsed = tuple[_Template | None, list[tuple[str, str]], dict[str, Any]]
_last: tuple[dict[str, Any] | None, tuple[str, Parsed | RecordInvalid] | None] = (None, None)


def _detect(record: dict[str, Any]) -> tuple[str, Parsed | RecordInvalid] | None:
    """The text key of a record holding a rendered conversation, and what reading it gives (or the
    problem that stops it); None when no text field holds one. Kept for the last record: the
    reader asks :func:`matches` and then :func:`read` about the same one, and parses it once."""
    global _last
    if _last[0] is record:
        return _last[1]
    found = None
    for key in TEXT_KEYS:
        try:
            parsed = _parse(record.get(key))
        except RecordInvalid as exc:  # the markers are there, in an order no template writes
            parsed = exc
        if parsed is not None:
            found = (key, parsed)
            break
    _last = (record, found)
    return found


def _parse(text: Any) -> Parsed | None:
    template = _template(text)
    if template is not None:
        return (template, *split(text, template))
    for parse in (inst.parse, alpaca_text.parse):
        turns_and_hints = parse(text)
        if turns_and_hints is not None:
            return (None, *turns_and_hints)
    return None


def matches(record: dict[str, Any]) -> bool:
    """True when a text field holds a conversation rendered with one of :data:`TEMPLATES`."""
    return _detect(record) is not None


def split(text: str, template: _Template) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """``(label, content)`` of each turn, and what it takes to write the text back byte for byte:
    the text before the first turn and after the last, the separators, and whether the last turn ends."""
    starts = list(template.start.finditer(text))
    turns: list[tuple[str, str]] = []
    separators: list[str] = []
    at = starts[0].start()
    prefix, open_end = text[:at], False
    for k, start in enumerate(starts):
        if start.start() < at:  # a start marker inside the turn before (it had no end marker)
            raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"{template.name} turn {k} starts inside turn {k - 1}", k)
        if k:
            separators.append(text[at:start.start()])
        stop = text.find(template.end, start.end())
        following = starts[k + 1].start() if k + 1 < len(starts) else len(text)
        if stop < 0 or stop > following:  # no end marker before the next turn: the turn runs to it
            if k + 1 < len(starts):
                raise RecordInvalid(ProblemKind.INVALID_MESSAGE,
                                    f"{template.name} turn {k} ({start.group(1)}) has no {template.end} before the next turn", k)
            turns.append((start.group(1), text[start.end():]))
            at, open_end = len(text), True
            break
        turns.append((start.group(1), text[start.end():stop]))
        at = stop + len(template.end)
    hints: dict[str, Any] = {"template": template.name, "turns": len(turns), "prefix": prefix, "suffix": text[at:]}
    if any(separator != template.separator for separator in separators):
        hints["separators"] = separators
    if open_end:
        hints["open_end"] = True
    return turns, hints


def read(record: dict[str, Any], ctx: RecordContext) -> Conversation:
    """One rendered-text record to a conversation (the markers' role labels mapped like any other)."""
    found = _detect(record)
    if found is None:
        raise RecordInvalid(ProblemKind.UNRECOGNIZED, "no rendered chat text")
    key, parsed = found
    if isinstance(parsed, RecordInvalid):
        raise parsed
    template, turns, hints = parsed
    own = dict(template.roles) if template is not None else {}
    messages = []
    for label, content in turns:
        role, raw_role, speaker = resolve_role(own.get(label, label), ctx)
        messages.append(Message(role, content, name=speaker, raw_role=label if label != role else raw_role))
    return build_conversation(record, ctx, NAME, messages, {key}, {**hints, "text_key": key})


def write(conversation: Conversation) -> dict[str, Any]:
    """A conversation as the text its template renders (ChatML for one read in another format)."""
    keep = conversation.source.format == NAME
    hints = conversation.source.hints if keep else {}
    if hints.get("template") == inst.NAME:
        return _record(conversation, hints, inst.render(conversation.messages, hints))
    if hints.get("template") == alpaca_text.NAME:
        return _record(conversation, hints, alpaca_text.render(conversation.messages, hints))
    template = _BY_NAME.get(hints.get("template", "chatml"), TEMPLATES[0])
    messages = conversation.messages
    same = hints.get("turns") == len(messages)  # else turns were added or removed: the template's own layout
    separators = hints.get("separators") if same else None
    if separators is None:
        separators = [template.separator] * max(len(messages) - 1, 0)
    open_end = same and hints.get("open_end", False)
    parts = [hints.get("prefix", "")]
    for k, message in enumerate(messages):
        if k:
            parts.append(separators[k - 1])
        label = message.raw_role if keep and message.raw_role is not None else template.label(message.role)
        parts.append(template.opening.format(role=label) + message.text)
        if not (open_end and k == len(messages) - 1):
            parts.append(template.end)
    parts.append(hints["suffix"] if same else template.separator)
    return _record(conversation, hints, "".join(parts))


def _record(conversation: Conversation, hints: Any, text: str) -> dict[str, Any]:
    record = head(conversation)
    record[hints.get("text_key", "text")] = text
    record.update(tail(conversation))
    return record
