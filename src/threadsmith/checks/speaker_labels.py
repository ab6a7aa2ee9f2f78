"""Speaker labels at the start of a message: "Mira: Hello", "**Mira:**", "[Mira]", "Mira says:".

The formatting checks tell prefixed from unprefixed assistant turns (FM conventions) and quote
the prefix they report. Labels that name no speaker ("Note:", "Step 2:") and scripts with
several speakers ("A: ... B: ...") are not prefixes.
"""

from __future__ import annotations

import re

from threadsmith.checks.text import fold

# A speaker label: "Name:", "**Name:**", "**Name**:", "NAME:", "Name -", "[Name]", "Name says:".
# A name word is capitalized; it may end in "." only as a title or an initial (Dr., Mrs., J.).
_NAME_WORD = r"[A-Z](?:[a-z]{0,2}\.|[\w'’-]{0,24})"
_NAME = rf"{_NAME_WORD}(?: {_NAME_WORD}){{0,2}}"
_PREFIX = re.compile(rf"\s*(?:\*\*)?(?:({_NAME})(?:\*\*)?(?::(?:\*\*)?|[ \t]+[-–—]|[ \t]+says:)|\[({_NAME})\])\s")
_SPEAKER = re.compile(rf"(?:^|\n|(?<=[.!?\"'”’])[ \t])[ \t]*(?:\*\*)?({_NAME})(?:\*\*)?:\s")
# Labels that start a reply without naming a speaker ("Note:", "Answer:"); role words are role-confusion's.
_NOT_NAMES = frozenset("""
note notes answer answers summary example examples step title question questions output input response
solution explanation result results warning tip tips update edit ingredients instructions translation
definition pros cons conclusion introduction option options reason reasons setting subject persona name
names age location time date day scene chapter part section breakfast lunch dinner appetizer starter
dessert main course menu total price cost hint fact facts idea ideas plan goal goals task tasks problem
yes no sure ok okay well important disclaimer caution reminder ps p.s correction source sources reference
references verse chorus bridge intro outro act rule rules tldr tl;dr q a user assistant human ai gpt chatgpt
bot system model you me i char description status objective mission background your
""".split())


def starts_with_name(text: str, name: str | None = None) -> bool:
    """True when the message starts with a speaker name (see :func:`name_prefix`); most messages
    are told apart by their first character and the marks in their first 80 characters."""
    if name:
        return name_prefix(text, name) is not None
    first = text[0]
    if not (first.isupper() or first == "[" or first.isspace() or (first == "*" and text.startswith("**"))):
        return False
    head = text[:80]
    if ":" in head or "-" in head or "[" in head or (not head.isascii() and ("–" in head or "—" in head)):
        return name_prefix(text, name) is not None
    return False


def name_prefix(text: str, name: str | None = None) -> str | None:
    """The speaker name that starts ``text`` ("Mira: Hello" -> "Mira"), or None.

    Labels ("Note:", "Step 1:"), role words and multi-speaker scripts ("A: ... B: ...") are not prefixes.
    """
    if name and text.lstrip().startswith(f"{name}:"):
        return name
    match = _PREFIX.match(text)
    if match is None:
        return None
    label = match.group(1) or match.group(2)
    if _not_a_name(label):
        return None
    # Other speakers make it a script; section labels ("Breakfast:", "Day 2:") do not.
    speakers = {m.group(1) for m in _SPEAKER.finditer(text, 0, 4000) if not _a_label(m.group(1))}
    return label if len(speakers) < 2 else None


def _not_a_name(label: str) -> bool:
    return any(c.isdigit() for c in label) or fold(label.split()[0]).rstrip(".") in _NOT_NAMES


def _a_label(label: str) -> bool:
    return any(c.isdigit() for c in label) or all(w.rstrip(".") in _NOT_NAMES for w in fold(label).split())


