"""Alpaca's prompt template as text: ``### Instruction:\\n...\\n\\n### Input:\\n...\\n\\n### Response:\\n...``.

The shape of many plain-text instruction sets (Unsloth's and Stanford Alpaca's recipes): an
optional preamble ("Below is an instruction that describes a task..."), the instruction, an
optional input, the response, and perhaps an end-of-text token. Read as one exchange like an
Alpaca record: the user turn is the instruction, then a blank line and the input. Everything
around the three contents (preamble, headers, spacing, the end token) is kept, so an unchanged
record is written back byte for byte; an edited one keeps that layout around its new text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from threadsmith.errors import UnsupportedConversion
from threadsmith.model import Message

NAME = "alpaca-text"
_SHAPE = re.compile(
    r"(?P<head>(?:.*?\n)??[ \t]*###[ \t]*Instruction:[ \t]*\n)(?P<instruction>.*?)"
    r"(?:(?P<between>\s*\n[ \t]*###[ \t]*Input:[ \t]*\n)(?P<input>.*?))?"
    r"(?P<before>\s*\n[ \t]*###[ \t]*Response:[ \t]*\n?)(?P<response>.*?)"
    r"(?P<tail>(?:</s>|<\|endoftext\|>|<\|end_of_text\|>|<\|im_end\|>|<eos>)?\s*)",
    re.DOTALL)


def parse(text: Any) -> tuple[list[tuple[str, str]], dict[str, Any]] | None:
    """The user and assistant turns of text in Alpaca's prompt template with a non-empty response,
    and the layout that writes the text back; None for any other text."""
    if not isinstance(text, str) or "### Response:" not in text or "Instruction:" not in text:
        return None
    found = _SHAPE.fullmatch(text)
    if found is None or not found.group("response").strip():
        return None
    instruction, user_input = found.group("instruction"), found.group("input")
    prompt = f"{instruction}\n\n{user_input}" if user_input else instruction
    hints = {"template": NAME, "head": found.group("head"), "instruction": instruction, "input": user_input,
             "between": found.group("between"), "before": found.group("before"), "tail": found.group("tail")}
    return [("user", prompt), ("assistant", found.group("response"))], hints


def render(messages: Sequence[Message], hints: dict[str, Any]) -> str:
    """The text of a user turn and an assistant turn in the kept layout (refuses anything else)."""
    if [m.role for m in messages] != ["user", "assistant"]:
        raise UnsupportedConversion(f"Alpaca's prompt template holds one user turn and one assistant turn; this "
                                    f"conversation has {', '.join(m.role for m in messages) or 'none'}.",
                                    hint="Convert it to openai or sharegpt instead.")
    prompt, response = messages[0].text, messages[1].text
    head = hints.get("head", "### Instruction:\n")
    before = hints.get("before", "\n\n### Response:\n")
    instruction, user_input, between = hints.get("instruction"), hints.get("input"), hints.get("between")
    if user_input and between and prompt == f"{instruction}\n\n{user_input}":
        body = f"{instruction}{between}{user_input}"
    else:
        body = prompt
    return f"{head}{body}{before}{response}{hints.get('tail', '')}"
