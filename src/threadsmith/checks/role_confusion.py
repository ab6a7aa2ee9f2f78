"""Role-confusion checks (RC): turn leakage, leaked template tokens, speaking for the user, swapped roles.

This module holds the checks that read speaker labels and template tokens (RC001-RC003). It
imports, and so registers, the ones that judge who is speaking: :mod:`threadsmith.checks.role_voice`
(RC004, and the helpers the RC modules share) and :mod:`threadsmith.checks.role_swap` (RC005).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from threadsmith.checks import role_swap  # noqa: F401  (registers RC005)
from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.role_voice import code_spans, excerpt, persona_names
from threadsmith.model import Conversation, Family, FixSafety, Message, Severity

# --- speaker labels ------------------------------------------------------------------------

#: A label at the start of a line: ``User:``, ``**Human:**``, ``### Instruction:``, ``{{user}}:``, ``Anna Lee:``.
_LINE_LABEL = re.compile(
    r"^[ \t]*(?P<marks>(?:[>*_#]+[ \t]*)?)"
    r"(?P<label>\{\{(?:user|char)\}\}|<(?:user|char|bot)>|\[(?:user|assistant)\]"
    r"|[A-Z][\w'’.-]{0,24}(?:[ \t][A-Z][\w'’.-]{0,24}){0,2})"
    r"[*_]*[ \t]*:(?![/\d])[*_]*",
    re.MULTILINE,
)
_SIDE_LABELS = {
    "user": frozenset({"user", "human", "{{user}}", "<user>", "[user]", "prompter"}),
    "assistant": frozenset({"assistant", "ai", "bot", "gpt", "chatgpt", "{{char}}", "<char>", "<bot>", "[assistant]"}),
}
#: Labels that count only after ``###`` (Alpaca/Vicuna headers): bare ``Instruction:`` is ordinary prose.
_HASH_LABELS = {"user": frozenset({"instruction"}), "assistant": frozenset({"response"})}
_OTHER = {"user": "assistant", "assistant": "user"}

_CUE_WORDS = (r"(?:dialog(?:ue)?s?|conversations?|transcripts?|scripts?|chats?|chat ?logs?|exchanges?|interviews?"
              r"|examples?|samples?)")
#: A line that introduces a quoted dialogue ("Here's an example conversation:").
_INTRO = re.compile(rf"\b{_CUE_WORDS}\b[^\n]*:[ \t*]*$", re.IGNORECASE)
#: A request for a dialogue ("Write a short script where a user asks ...").
_ASKS_DIALOGUE = re.compile(
    r"\b(?:write|create|generate|give|show|draft|simulate|make|compose|provide|roleplay|role-play|act out)\b"
    rf"[^.?!\n]{{0,80}}\b{_CUE_WORDS}\b",
    re.IGNORECASE)


class Label(NamedTuple):
    """A speaker label found at the start of a line of a message."""

    start: int
    end: int
    side: str  # "user" or "assistant"
    text: str


def _in_spans(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def line_labels(text: str, names: dict[str, frozenset[str]]) -> list[Label]:
    """Every user-side or assistant-side speaker label at the start of a line, outside code."""
    if ":" not in text:
        return []
    labels = []
    spans: list[tuple[int, int]] | None = None
    for match in _LINE_LABEL.finditer(text):
        raw = match.group("label")
        key = raw.lower()
        hashed = "#" in match.group("marks")
        side = next((s for s in ("user", "assistant")
                     if key in _SIDE_LABELS[s] or key in names[s] or (hashed and key in _HASH_LABELS[s])), None)
        if side is None:
            continue
        if spans is None:
            spans = code_spans(text)
        if not _in_spans(match.start("label"), spans):
            labels.append(Label(match.start(), match.end(), side, match.group(0).strip()))
    return labels


def _quotes_a_transcript(conversation: Conversation, index: int, labels: list[Label]) -> bool:
    """True when the labels belong to a dialogue the turn introduces or was asked for (not a leak).

    Introduced: the line before the first label ends with a colon and names a dialogue. Asked
    for: the previous turn asks for a dialogue, and the turn has labels of both sides.
    """
    before = conversation.messages[index].text[: labels[0].start].rstrip()
    if before and _INTRO.search(before[before.rfind("\n") + 1:]):
        return True
    both = len({label.side for label in labels}) == 2
    return both and index > 0 and bool(_ASKS_DIALOGUE.search(conversation.messages[index - 1].text))


def _leaks(conversation: Conversation, kind: str) -> Iterator[tuple[int, Label]]:
    """(message index, first label of the other side) for each user or assistant turn with a leak."""
    names = None
    for i, message in enumerate(conversation.messages):
        own = message.role
        if own not in _OTHER or ":" not in message.text:
            continue
        names = names or persona_names(conversation)
        labels = line_labels(message.text, names)
        other = next((lab for lab in labels if lab.side == _OTHER[own]), None)
        if other is None:
            continue
        if kind != "roleplay" and _quotes_a_transcript(conversation, i, labels):
            continue
        yield i, other


@register
class TurnLeakage(ConversationCheck):
    """A turn contains the other speaker's label, as if the next turn leaked into it.

    What it does:
        Looks for a speaker label of the other role at the start of a line inside a user or
        assistant turn: ``User:``, ``Human:``, ``### Instruction:``, ``{{user}}:`` or the user's
        persona name (a user ``name``, or "the user plays Anna" in the system prompt) inside an
        assistant turn; ``Assistant:``, ``AI:``, ``{{char}}:`` or the character's name inside a
        user turn. Ordinary colons (``Note:``, ``Step 1:``, ``3:30``) are not labels, and labels in
        code are left alone; so are, outside roleplay data, labels in a dialogue the turn
        introduces ("Here's an example conversation:") or the previous turn asked for.
    Why it matters:
        The model learns to keep writing after its turn should end, inventing the user's next
        message (or the user side learns the assistant's voice): the classic runaway reply.
    Example:
        assistant: "The lighthouse is closed today.\\nUser: Why is it closed?\\nAssistant: Storms."
    Fix:
        Unsafe: cut the turn at the leaked label (a turn that starts with it is left for review).
    """

    code = "RC001"
    name = "turn-leakage"
    family = Family.ROLE_CONFUSION
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_description = "cut the turn at the leaked speaker label"

    def check(self, conversation: Conversation) -> Iterator[Hit]:
        for i, label in _leaks(conversation, self.context.kind):
            role = conversation.messages[i].role
            text = conversation.messages[i].text
            where = "starts with" if label.start == 0 else "contains"
            quoted = excerpt(text[label.start:])
            yield Hit(i, f"{role} message {i} {where} the {label.side}'s speaker label: '{quoted}'",
                      fixable=bool(text[: label.start].strip()))

    def fix(self, conversation: Conversation) -> Conversation:
        messages = list(conversation.messages)
        for i, label in list(_leaks(conversation, self.context.kind)):
            head = messages[i].text[: label.start].rstrip()
            if head.strip():
                messages[i] = messages[i].with_text(head)
        return conversation.with_messages(messages)


def _own_prefix(message: Message, names: dict[str, frozenset[str]]) -> Label | None:
    """The speaker label of the message's own role that starts it (with text after it), or None."""
    if message.role not in _OTHER:
        return None
    text = message.text
    match = _LINE_LABEL.match(text)
    if match is None:
        return None
    labels = line_labels(text[: match.end()], names)
    if labels and labels[0].side == message.role and text[match.end():].strip():
        return labels[0]
    return None


@register
class OwnLabelPrefix(ConversationCheck):
    """A turn starts with its own speaker label (``Assistant: ...``, ``Mira: ...``).

    What it does:
        Reports user turns that start with ``User:``/``Human:``/the user's persona name and a
        colon, and assistant turns that start with ``Assistant:``/``AI:``/``{{char}}:``/the
        character's name and a colon. The chat template already marks who speaks.
    Why it matters:
        The label becomes part of what the model learns to say: replies start with
        "Assistant:" or the character's name, and the label doubles up in the rendered prompt.
    Example:
        assistant: "Assistant: While I understand your doubt, the tower works."
    Fix:
        Safe: remove the label at the start of the turn.
    """

    code = "RC002"
    name = "own-label-prefix"
    family = Family.ROLE_CONFUSION
    severity = Severity.WARNING
    fix_safety = FixSafety.SAFE
    fix_description = "remove the speaker label at the start of the turn"

    def check(self, conversation: Conversation) -> Iterator[Hit]:
        names = None
        for i, message in enumerate(conversation.messages):
            if message.role in _OTHER and ":" in message.text[:80]:
                names = names or persona_names(conversation)
                label = _own_prefix(message, names)
                if label is not None:
                    yield Hit(i, f"{message.role} message {i} starts with its own speaker label '{label.text}'")

    def fix(self, conversation: Conversation) -> Conversation:
        names = persona_names(conversation)
        messages = list(conversation.messages)
        for i, message in enumerate(messages):
            label = _own_prefix(message, names)
            while label is not None:  # "Assistant: Assistant: Hi"
                message = message.with_text(message.text[label.end:].lstrip())
                label = _own_prefix(message, names)
            messages[i] = message
        return conversation.with_messages(messages)


# --- template tokens -----------------------------------------------------------------------

#: Special tokens of the common chat templates (ChatML, Llama 2/3, Mistral, Gemma, Phi, DeepSeek ...).
_TOKEN_BODY = (
    r"(?:<\|im_start\|>|<start_of_turn>|<\|start_header_id\|>)"
    r"(?:[ \t]*(?:system|user|assistant|model|tool)\b(?:<\|end_header_id\|>)?[ \t]*\n?)?"
    r"|<\|[A-Za-z][\w.-]{0,30}\|>|<｜[^｜\n]{1,40}｜>"
    r"|\[/?INST\]|<</?SYS>>|\[/?(?:SYSTEM_PROMPT|AVAILABLE_TOOLS|TOOL_RESULTS)\]|\[TOOL_CALLS\]"
    r"|<end_of_turn>|<bos>|<eos>|</?s>"
)
_TOKEN = re.compile(_TOKEN_BODY)
#: A run of tokens with the spaces around them, as the fix removes it.
_TOKEN_RUN = re.compile(rf"[ \t]*(?P<first>{_TOKEN_BODY})(?:[ \t]*(?:{_TOKEN_BODY}))*[ \t]*")
#: ``<s>text</s>`` is HTML strikethrough, not a sequence marker.
_STRIKE = re.compile(r"<s>(?:(?!\[/?INST\])[^<\n]){1,200}</s>")
_TOKEN_HINT = re.compile(r"<[|｜/seb<]|\[/?[IAST]")


def _token_skips(text: str) -> list[tuple[int, int]]:
    skip = code_spans(text)
    if "<s>" in text:
        skip += [m.span() for m in _STRIKE.finditer(text)]
    return skip


def template_tokens(text: str) -> list[re.Match[str]]:
    """Leaked chat-template tokens in a text (not in code, not HTML strikethrough)."""
    if ("<" not in text and "[" not in text) or not _TOKEN_HINT.search(text):
        return []
    skip = _token_skips(text)
    return [m for m in _TOKEN.finditer(text) if not _in_spans(m.start(), skip)]


def strip_tokens(text: str) -> str:
    """The text without its leaked template tokens; a run removed between two words leaves one space."""
    clean_edges = text == text.strip()
    for _ in range(3):
        if not template_tokens(text):
            break
        skip = _token_skips(text)
        pieces, last = [], 0
        for match in _TOKEN_RUN.finditer(text):
            if _in_spans(match.start("first"), skip):
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
        in the text of any message. Tokens in code (backticks) and ``<s>...</s>`` HTML
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

    def check(self, conversation: Conversation) -> Iterator[Hit]:
        for i, message in enumerate(conversation.messages):
            found = template_tokens(message.text)
            if found:
                shown = ", ".join(dict.fromkeys(m.group(0).strip() for m in found[:5]))
                count = f"{len(found)} template tokens" if len(found) > 1 else "a template token"
                yield Hit(i, f"{message.role} message {i} contains {count}: {excerpt(shown)}")

    def fix(self, conversation: Conversation) -> Conversation:
        messages = [m.with_text(strip_tokens(m.text)) if template_tokens(m.text) else m for m in conversation.messages]
        return conversation.with_messages(messages)
