"""Synthetic-noise check (SN) for encoding damage: mojibake (UTF-8 read as Windows-1252 or Latin-1,
e.g. ``â€™``) and stray HTML entities, with a fix that repairs them (entities are left alone in
conversations about markup)."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from html.entities import html5

from threadsmith.checks.artifacts import CODE, mapped
from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.text import joined
from threadsmith.model import Conversation, Family, FixSafety, Severity

_CONT = "\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_MOJIBAKE = re.compile(f"(?:[\xc2-\xdf][{_CONT}]|[\xe0-\xef][{_CONT}]{{2}}|[\xf0-\xf4][{_CONT}]{{3}})+")
_LEAD_BYTES = bytes(range(0xC2, 0xF5))
_NOT_LEAD = bytes(b for b in range(256) if b not in _LEAD_BYTES)
_ENTITY = re.compile(r"&(?:#\d{2,7}|#[xX][0-9a-fA-F]{2,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
_ABOUT_MARKUP = re.compile(r"</|/>|<br|<p>|<div|`|\b(?:html|xml|entit(?:y|ies)|escap\w*|markup)\b", re.I)
_PLAUSIBLE = ((0xA0, 0x6FF), (0x900, 0xE7F), (0x1E00, 0x1FFF), (0x2000, 0x2BFF), (0x3000, 0x9FFF),
              (0xAC00, 0xD7AF), (0xFE00, 0xFE0F), (0xFF00, 0xFFEF), (0x1F000, 0x10FFFF))


def _undo_mojibake(run: str) -> str | None:
    """``run`` read back as the UTF-8 it was before a cp1252/latin-1 misreading, or None when
    that does not give plausible text (so correct accented text is never changed)."""
    raw = bytearray()
    for char in run:
        try:
            raw += char.encode("cp1252")
        except UnicodeEncodeError:
            if ord(char) > 0xFF:
                return None
            raw.append(ord(char))
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    for char in decoded:
        code = ord(char)
        if unicodedata.category(char)[0] in "CM" or not any(lo <= code <= hi for lo, hi in _PLAUSIBLE):
            return None
    return decoded


def _mojibake(text: str) -> list[tuple[re.Match[str], str]]:
    """Mojibake runs outside code (a code sample may show mojibake on purpose) and their repair."""
    if text.isascii() or not text.encode("latin-1", "ignore").translate(None, _NOT_LEAD):
        return []
    code = [m.span() for m in CODE.finditer(text)] if "`" in text else []
    return [(m, fixed) for m in _MOJIBAKE.finditer(text)
            if not any(a <= m.start() < b for a, b in code) and (fixed := _undo_mojibake(m.group(0))) is not None]


def _entities(text: str, markup: bool) -> list[re.Match[str]]:
    if markup or "&" not in text or ";" not in text or _ABOUT_MARKUP.search(text):
        return []
    return [m for m in _ENTITY.finditer(text) if m.group(0)[1] == "#" or m.group(0)[1:] in html5]


def about_markup(conversation: Conversation) -> bool:
    """True when a turn talks about HTML, XML or escaping, or shows code (entities are meant there)."""
    return any(_ABOUT_MARKUP.search(m.text) for m in conversation.messages)


def encoding_damage(text: str, markup: bool = False) -> list[str]:
    """The mojibake runs and stray HTML entities (unless ``markup``: the talk is about markup)."""
    return [m.group(0) for m, _ in _mojibake(text)] + [m.group(0) for m in _entities(text, markup)]


def repair_encoding(text: str, markup: bool = False) -> str:
    """``text`` with mojibake decoded and stray entities unescaped (until none is left)."""
    for _ in range(4):
        found = _mojibake(text)
        for match, fixed in reversed(found):
            text = text[:match.start()] + fixed + text[match.end():]
        entities = _entities(text, markup)
        for match in reversed(entities):
            plain = " " if match.group(0) in ("&nbsp;", "&#160;") else html.unescape(match.group(0))
            text = text[:match.start()] + plain + text[match.end():]
        if not found and not entities:
            break
    return text


@register
class EncodingDamage(ConversationCheck):
    """A turn holds mojibake (``â€™``, ``Ã©``) or stray HTML entities (``&amp;``, ``&#39;``).

    What it does:
        Reports runs of characters that are UTF-8 misread as cp1252 or Latin-1 ("donâ€™t",
        "cafÃ©", "ðŸ˜Š") outside code, when reading them back gives plausible text, and HTML entities in
        conversations that are not about markup (no turn has tags, code, or a mention of HTML,
        XML, entities or escaping).
    Why it matters:
        The model learns to write the garbage: mojibake and entities are copied into its
        replies, and the tokens they take are wasted.
    Example:
        assistant: "Itâ€™s a beautiful day &amp; the sea is calm."
    Fix:
        Safe: decode the mojibake back to the intended characters and unescape the entities
        (``&nbsp;`` becomes a space). Only runs that decode to plausible text are changed, and
        text that talks about markup is left alone, so correct text is not damaged.
    """

    code = "SN007"
    name = "encoding-damage"
    family = Family.SYNTHETIC_NOISE
    severity = Severity.WARNING
    fix_safety = FixSafety.SAFE
    fix_description = "decode the mojibake and unescape the HTML entities"

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        text = joined(conversation)
        return () if text.isascii() and "&" not in text else list(self._hits(conversation))

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        markup: bool | None = None
        for i, message in enumerate(conversation.messages):
            text = message.text
            if markup is None and "&" in text:
                markup = about_markup(conversation)
            found = encoding_damage(text, bool(markup))
            if found:
                listing = ", ".join(f"'{f}'" for f in list(dict.fromkeys(found))[:3])
                yield Hit(i, f"{message.role} message {i} has mojibake or HTML entities: {listing}")

    def fix(self, conversation: Conversation) -> Conversation:
        markup = about_markup(conversation)
        messages = [mapped(m, lambda t: repair_encoding(t, markup)) for m in conversation.messages]
        return conversation.with_messages(messages)
