"""Role-confusion check RC003: chat-template special tokens leaked into message content.

Imported by :mod:`threadsmith.checks.role_confusion`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.role_voice import code_spans, excerpt
from threadsmith.checks.turn_scan import scan
from threadsmith.model import Conversation, Family, FixSafety, Severity


def in_spans(position: int, spans: list[tuple[int, int]]) -> bool:
    """True when ``position`` falls in one of the ``(start, end)`` spans."""
    return any(start <= position < end for start, end in spans)


#: Special tokens of the common chat templates (ChatML, Llama 2/3, Mistral, Gemma, Phi, DeepSeek ...).
_TOKEN_BODY = (
    r"(?:<\|im_start\|>|<start_of_turn>|<\|start_header_id\|>)"
    r"(?:[ \t]*(?:system|user|assistant|model|tool)\b(?:<\|end_header_id\|>)?[ \t]*\n?)?"
    r"|<\|[A-Za-z][\w.-]{0,30}\|>|<｜[^｜\n]{1,40}｜>"
    r"|\[/?INST\]|<</?SYS>>|\[/?(?:SYSTEM_PROMPT|AVAILABLE_TOOLS|TOOL_RESULTS)\]|\[TOOL_CALLS\]"
    r"|<end_of_turn>|<bos>|<eos>|</?s>"
    r"|###[ \t]*(?:Instruction|Input|Response|Human|Assistant):"
)
_TOKEN = re.compile(_TOKEN_BODY)
#: A run of tokens with the spaces around them, as the fix removes it.
_TOKEN_RUN = re.compile(rf"[ \t]*(?P<first>{_TOKEN_BODY})(?:[ \t]*(?:{_TOKEN_BODY}))*[ \t]*")
#: ``<s>text</s>`` is HTML strikethrough, not a sequence marker.
_STRIKE = re.compile(r"<s>(?:(?!\[/?INST\])[^<\n]){1,200}</s>")
_TOKEN_HINT = re.compile(r"<[|｜/seb<]|\[/?[IAST]|###")


def _token_skips(text: str) -> list[tuple[int, int]]:
    skip = code_spans(text)
    if "<s>" in text:
        skip += [m.span() for m in _STRIKE.finditer(text)]
    if "###" in text:  # an Alpaca header at the start of a line is a speaker label (RC001, RC002)
        at = text.find("###")
        while at >= 0:
            if not text[text.rfind("\n", 0, at) + 1:at].strip():
                skip.append((at, at + 3))
            at = text.find("###", at + 3)
    return skip


def template_tokens(text: str) -> list[re.Match[str]]:
    """Leaked chat-template tokens in a text (not in code, not HTML strikethrough)."""
    if ("<" not in text and "[" not in text and "###" not in text) or not _TOKEN_HINT.search(text):
        return []
    skip = _token_skips(text)
    return [m for m in _TOKEN.finditer(text) if not in_spans(m.start(), skip)]


def strip_tokens(text: str) -> str:
    """The text without its leaked template tokens; a run removed between two words leaves one space."""
    clean_edges = text == text.strip()
    for _ in range(3):
        if not template_tokens(text):
            break
        skip = _token_skips(text)
        pieces, last = [], 0
        for match in _TOKEN_RUN.finditer(text):
            if in_spans(match.start("first"), skip):
                continue
            left = text[match.start() - 1] if match.start() else "\n"
            right = text[match.end()] if match.end() < len(text) else "\n"
            pieces += [text[last:match.start()], "" if "\n" in (left, right) else " "]
            last = match.end()
        pieces.append(text[last:])
        text = "".join(pieces)
    return text.strip() if clean_edges else text


@register
class TemplateTokenLeak(ConversationCheck):
    """Chat-template special tokens appear inside a message's content.

    What it does:
        Finds tokens such as ``<|im_start|>``, ``<|im_end|>``, ``<|eot_id|>``, ``[INST]``,
        ``<<SYS>>``, ``<start_of_turn>``, ``<end_of_turn>``, ``</s>`` and any ``<|name|>`` token
        in the text of any message, and Alpaca headers (``### Instruction:``) inside a line (at
        the start of a line they are speaker labels: RC001, RC002). Tokens in code (backticks) and ``<s>...</s>`` HTML
        strikethrough are left alone.
    Why it matters:
        The template adds these tokens itself; in the content they are tokenized as text or as
        real special tokens, so the model learns to end turns early, open fake turns, or emit
        the markers in its answers.
    Example:
        assistant: "The tide turns at six.<|im_end|>"
    Fix:
        Safe: remove the tokens (with the role name after a turn-opening token) and the gap
        they leave.
    """

    code = "RC003"
    name = "template-token-leak"
    family = Family.ROLE_CONFUSION
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_description = "remove the template tokens"

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        return self._hits(conversation) if scan(conversation).tokens else ()

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        for i in scan(conversation).tokens:
            message = conversation.messages[i]
            found = template_tokens(message.text)
            if found:
                shown = ", ".join(dict.fromkeys(m.group(0).strip() for m in found[:5]))
                count = f"{len(found)} template tokens" if len(found) > 1 else "a template token"
                yield Hit(i, f"{message.role} message {i} contains {count}: {excerpt(shown)}")

    def fix(self, conversation: Conversation) -> Conversation:
        messages = [m.with_text(strip_tokens(m.text)) if template_tokens(m.text) else m for m in conversation.messages]
        return conversation.with_messages(messages)
