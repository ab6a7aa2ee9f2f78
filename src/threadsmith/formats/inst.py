"""Llama 2 / Mistral ``[INST]`` text: ``<s>[INST] <<SYS>>\\nSYSTEM\\n<</SYS>>\\n\\nUSER [/INST] REPLY </s>``.

Turns are not marked by role here: a user turn is what ``[INST] ... [/INST]`` holds (a leading
``<<SYS>> ... <</SYS>>`` is the system prompt), the reply is what follows up to ``</s>``, the
next ``<s>`` or ``[INST]``, or the end of the text. Contents are read without the spaces around
them; everything else (markers, spaces, ``<s>``) is kept as the record's *skeleton*, so an
unchanged record, or one whose turns were only edited, is written back byte for byte. One whose
turns were added, removed or given other roles is written the way Llama 2's template writes it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from threadsmith.errors import UnsupportedConversion
from threadsmith.formats.record import RecordInvalid
from threadsmith.model import Message, ProblemKind

NAME = "llama2"
_MARK = re.compile(r"\[INST\]|\[/INST\]|<<SYS>>|<</SYS>>|</s>|<s>")
_REPLY_ENDS = frozenset({"</s>", "<s>", "[INST]"})


def split(text: str) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """``(role, content)`` of each turn and the hints that write the text back (see the module docstring)."""
    spans: list[tuple[str, int, int]] = []
    mode, cursor = "outside", 0
    for mark in _MARK.finditer(text):
        token = mark.group()
        if mode == "inst" and token == "<<SYS>>" and not text[cursor:mark.start()].strip() and not spans:
            mode = "system"
        elif mode == "system" and token == "<</SYS>>":
            spans.append(("system", cursor, mark.start()))
            mode = "inst"
        elif mode == "inst" and token == "[/INST]":
            spans.append(("user", cursor, mark.start()))
            mode = "reply"
        elif mode == "reply" and token in _REPLY_ENDS:
            spans.append(("assistant", cursor, mark.start()))
            mode = "inst" if token == "[INST]" else "outside"
        elif mode == "outside" and token in ("[INST]", "<s>", "</s>"):
            mode = "inst" if token == "[INST]" else "outside"
        else:
            raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"{token} where {_EXPECTED[mode]} was expected "
                                                             f"(character {mark.start()})", len(spans))
        cursor = mark.end()
    if mode == "reply":
        spans.append(("assistant", cursor, len(text)))
    elif mode != "outside":
        raise RecordInvalid(ProblemKind.INVALID_MESSAGE, f"the text ends inside {_OPEN[mode]}", len(spans))
    kept = []
    for role, start, end in spans:
        content = text[start:end]
        start += len(content) - len(content.lstrip())
        end -= len(content) - len(content.rstrip())
        if start < end or role != "assistant":  # an empty reply ("[/INST]</s>", a generation prompt) is no turn
            kept.append((role, start, max(start, end)))
    skeleton = [text[(kept[k - 1][2] if k else 0):(kept[k][1] if k < len(kept) else len(text))]
                for k in range(len(kept) + 1)]
    turns = [(role, text[start:end]) for role, start, end in kept]
    return turns, {"template": NAME, "roles": [role for role, _ in turns], "skeleton": skeleton}


_EXPECTED = {"outside": "[INST] or <s>", "inst": "[/INST]", "system": "<</SYS>>", "reply": "</s>, <s> or [INST]"}
_OPEN = {"inst": "an [INST] block", "system": "a <<SYS>> block"}


def parse(text: Any) -> tuple[list[tuple[str, str]], dict[str, Any]] | None:
    """:func:`split` of text holding at least one ``[INST]`` turn answered by a reply; None for any
    other text. Raises :class:`RecordInvalid` when the markers are there but out of order."""
    if not isinstance(text, str) or "[/INST]" not in text:
        return None
    turns, hints = split(text)
    return (turns, hints) if any(role == "assistant" for role, _ in turns) else None


def render(messages: Sequence[Message], hints: dict[str, Any]) -> str:
    """The text of ``messages``: the kept skeleton when the roles are the ones read, else Llama 2's layout."""
    skeleton = hints.get("skeleton")
    if skeleton and hints.get("roles") == [m.role for m in messages] and len(skeleton) == len(messages) + 1:
        parts = [skeleton[0]]
        for message, literal in zip(messages, skeleton[1:]):
            parts += (message.text, literal)
        return "".join(parts)
    rest = list(messages)
    system = rest.pop(0).text if rest and rest[0].role == "system" else None
    out = []
    for k in range(0, len(rest), 2):
        user, reply = rest[k], rest[k + 1] if k + 1 < len(rest) else None
        wrong = k if user.role != "user" else k + 1 if reply is not None and reply.role != "assistant" else None
        if wrong is not None:
            raise UnsupportedConversion(f"Llama 2's [INST] layout holds user and assistant turns in turn, user first; "
                                        f"message {wrong + (system is not None)} ({rest[wrong].role}) is out of that "
                                        "order.", hint="Convert it to openai or sharegpt instead.")
        head = f"<<SYS>>\n{system}\n<</SYS>>\n\n" if system is not None and k == 0 else ""
        out.append(f"<s>[INST] {head}{user.text} [/INST]" + (f" {reply.text} </s>" if reply is not None else ""))
    return "".join(out)
