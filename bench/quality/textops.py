"""Small text helpers for the injector: sentences, casing, personas, random edits."""

from __future__ import annotations

import random
import re

from threadsmith.model import Conversation, Message

_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])[\"'\u201d*)]?\s+(?=[\"'\u201c*(A-Z0-9])")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*")
_PERSONA = re.compile(
    r"\b(?i:you are|you're|imagine you are|pretend (?:to be|you are)|role-?play as|play(?:ing)? as|(?:take on|in) the role of)\s+"
    r"(?i:an? |the )?([A-Z][\w'-]+(?: [A-Z][\w'-]+){0,2})")
_ROLE_NOUN = re.compile(r"\b(?:you are|imagine you are|pretend you are|as)\s+an? ([a-z-]{3,})(?: ([a-z-]{3,}))?", re.I)
_TITLES = {"Sir", "Lady", "Lord", "Captain", "Doctor", "Dr", "King", "Queen", "Professor", "Mr", "Mrs", "Ms", "Saint"}
_NOT_NOUN = {"from", "with", "who", "that", "which", "living", "trying", "working", "visiting", "the", "and", "for",
             "in", "on", "at", "of", "about", "during", "giving", "tasked", "named", "called", "famous", "renowned"}


def sentences(text: str) -> list[str]:
    """Split text into sentences (good enough for English prose; keeps the separators out)."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start() + len(match.group(0).rstrip())
        parts.append(text[start:end].strip())
        start = match.end()
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def sentence_bounds(text: str) -> list[int]:
    """Offsets where a new sentence starts (0 excluded), usable as insertion points."""
    return [m.end() for m in _SENTENCE_END.finditer(text)]


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def vary_case(text: str, rng: random.Random) -> str:
    """Random casing: mostly as written, sometimes lower, upper (short texts) or capitalised."""
    roll = rng.random()
    if roll < 0.6:
        return text
    if roll < 0.78:
        return text.lower()
    if roll < 0.88 and len(text) < 40:
        return text.upper()
    return text[:1].upper() + text[1:]


def vary_end(text: str, rng: random.Random) -> str:
    """Swap the closing punctuation for another common one."""
    core = text.rstrip(".!?\u2026 ")
    return core + rng.choice([".", ".", "!", "", "...", "!!", " :)", "?!", "\u2026"])


def curly(text: str) -> str:
    """Straight quotes and apostrophes to typographic ones."""
    text = re.sub(r"(?<=\w)'(?=\w)", "\u2019", text)
    text = re.sub(r"'", "\u2019", text)
    out, open_ = [], True
    for ch in text:
        if ch == '"':
            out.append("\u201c" if open_ else "\u201d")
            open_ = not open_
        else:
            out.append(ch)
    return "".join(out)


def maybe_curly(text: str, rng: random.Random) -> str:
    return curly(text) if rng.random() < 0.4 else text


def persona_name(conversation: Conversation, rng: random.Random) -> str | None:
    """The character's name from the system prompt or first user turn ("You are Maren Vos ...")."""
    for message in conversation.messages[:2]:
        if message.role not in ("system", "user"):
            continue
        match = _PERSONA.search(message.text)
        if match:
            name = match.group(1)
            titled = name.split()[0] in _TITLES
            return name.split()[0] if (" " in name and not titled and rng.random() < 0.5) else name
        noun = _ROLE_NOUN.search(message.text)
        if noun:
            for word in (noun.group(2), noun.group(1)):
                if word and word.lower() not in _NOT_NOUN and not word.endswith(("ing", "ed", "ly")):
                    return word.capitalize()
    return None


def replace_message(conversation: Conversation, index: int, text: str) -> Conversation:
    messages = list(conversation.messages)
    messages[index] = messages[index].with_text(text)
    return conversation.with_messages(messages)


def assistant_indices(conversation: Conversation, answered: bool = False) -> list[int]:
    """Indices of non-empty assistant turns; with ``answered``, only those right after a user turn."""
    msgs = conversation.messages
    return [i for i, m in enumerate(msgs)
            if m.role == "assistant" and m.text.strip() and (not answered or (i > 0 and msgs[i - 1].role == "user"))]


def insert_at_boundary(text: str, piece: str, rng: random.Random, where: str = "any") -> str:
    """Insert ``piece`` at the start, the end or a sentence/paragraph boundary of ``text``."""
    if where == "start":
        return f"{piece} {text}"
    if where == "end":
        return f"{text} {piece}"
    bounds = sentence_bounds(text)
    if not bounds:
        return f"{text} {piece}" if rng.random() < 0.5 else f"{piece} {text}"
    at = rng.choice(bounds)
    return f"{text[:at]}{piece} {text[at:]}"


def swap_words(text: str, pairs: list[tuple[str, str]], rng: random.Random, count: int) -> tuple[str, int]:
    """Apply up to ``count`` whole-word swaps from ``pairs`` (either direction); return text and swaps made."""
    options = []
    for a, b in pairs:
        for src, dst in ((a, b), (b, a)):
            for m in re.finditer(rf"\b{re.escape(src)}\b", text):
                options.append((m.start(), m.end(), dst))
    rng.shuffle(options)
    chosen: list[tuple[int, int, str]] = []
    for opt in options:
        if len(chosen) >= count:
            break
        if all(opt[1] <= c[0] or opt[0] >= c[1] for c in chosen):
            chosen.append(opt)
    for start, end, dst in sorted(chosen, reverse=True):
        text = text[:start] + dst + text[end:]
    return text, len(chosen)


def message(role: str, text: str) -> Message:
    return Message(role=role, content=text)
