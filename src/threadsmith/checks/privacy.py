"""Privacy checks (PV): emails and phone numbers, and the gates and redaction every privacy check
shares; card numbers and IP addresses are in :mod:`threadsmith.checks.privacy_numbers`, secrets
in :mod:`threadsmith.checks.credentials`.

Every check scans every turn (system prompts leak keys too) behind cheap gates: one pass over
the whole conversation's text (:func:`gates`: an "@", the digit count, a long token) rules a
check out for every message at once, then per message a literal character or the digit count.
Its unsafe fix redacts what it found to a typed placeholder
(``[EMAIL]``, ``[PHONE]``, ``[API_KEY]``, ``[PRIVATE_KEY]``, ``[CARD_NUMBER]``,
``[IP_ADDRESS]``) that no check reports again. Findings never print a secret in full.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import ClassVar

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.text import joined
from threadsmith.model import Conversation, Family, FixSafety, Severity

Span = tuple[int, int, str]  # start, end, what (a short label)
_NOT_DIGIT = bytes(b for b in range(256) if not 0x30 <= b <= 0x39)


_SHAPES = bytes(0x30 if 0x30 <= b <= 0x39 else 0x2D if b in b" .-" else 0x78 for b in range(256))
_shapes: dict[int, tuple[str, bytes]] = {}


def _digit_count(text: str) -> int:
    return len(text.encode("utf-8", "ignore").translate(None, _NOT_DIGIT))


def digit_shape(text: str) -> bytes:
    """The text's bytes with digits as ``0``, spaces, dots and dashes as ``-``, the rest ``x``:
    ``b"000-0000" in digit_shape(text)`` asks for a phone-like run at C speed (cached for recent texts)."""
    cached = _shapes.get(id(text))
    if cached is not None and cached[0] is text:
        return cached[1]
    if len(_shapes) > 64:  # the texts of the conversation being checked, and a few more
        _shapes.clear()
    shape = text.encode("utf-8", "ignore").translate(_SHAPES)
    _shapes[id(text)] = (text, shape)
    return shape


# --- Whole-conversation gates -----------------------------------------------------------------

EMAIL, PHONE, CARD, IP, SECRET = 1, 2, 4, 8, 16
#: Digits as ``0``, ASCII letters and ``_+=-`` as ``a`` (the characters of a token), the rest spaces.
_CLASSES = bytes(0x30 if chr(b).isdigit() else 0x61 if chr(b).isascii() and (chr(b).isalpha() or chr(b) in "_+=-")
                 else 0x20 for b in range(128)) + b" " * 128
_DIGIT_TO_TOKEN = bytes(0x61 if b == 0x30 else b for b in range(256))
_last_gates: tuple[Conversation | None, int] = (None, 0)


def gates(conversation: Conversation) -> int:
    """The checks that may find something in the conversation (bits: EMAIL, PHONE ...): each bit
    is a necessary condition of its check's per-message gate, tested on all the text at once
    (cached for the conversation being checked)."""
    global _last_gates
    if _last_gates[0] is conversation:
        return _last_gates[1]
    text = joined(conversation)
    bits = EMAIL if "@" in text else 0
    classes = text.encode("utf-8", "ignore").translate(_CLASSES)
    if b"0" in classes:
        digits = classes.count(b"0")
        bits |= (PHONE if digits >= 7 else 0) | (CARD if digits >= 13 else 0)
        bits |= IP if "." in text or ":" in text else 0
        classes = classes.translate(_DIGIT_TO_TOKEN)
    if long_token(classes) or ("G" in text and "-----BEGIN" in text):
        bits |= SECRET
    _last_gates = (conversation, bits)
    return bits


_RUN, _RUN_ENDED = b"a" * 20, b"a" * 20 + b" "


def long_token(classes: bytes) -> bool:
    """True when ``classes`` (bytes of ``a`` and spaces only) holds a run of 20 ``a``: one that a
    space ends, or the last one. (Searching for the run alone is slow: its one letter is
    everywhere, so the search advances a byte at a time; the space lets it skip.)"""
    return _RUN_ENDED in classes or classes.endswith(_RUN)


def redact(text: str, spans: list[Span], placeholder: str | Callable[[str], str]) -> str:
    """``text`` with each span replaced by its placeholder (spans may come in any order)."""
    for start, end, label in sorted(spans, reverse=True):
        token = placeholder if isinstance(placeholder, str) else placeholder(label)
        text = text[:start] + token + text[end:]
    return text


def masked(value: str, keep: int = 4) -> str:
    """Enough of a value to find it again, not enough to use it."""
    return value[:keep] + "…" if len(value) > keep + 2 else "…"


class Redacting(ConversationCheck):
    """Shared body: find spans in every message, report them, redact them."""

    placeholder: ClassVar[str] = "[REDACTED]"
    what: ClassVar[str] = "personal data"
    #: The :func:`gates` bit without which :meth:`spans` finds nothing in any message (all: none).
    gate: ClassVar[int] = -1

    def spans(self, text: str) -> list[Span]:
        raise NotImplementedError

    def label(self, text: str, span: Span) -> str:
        return f"'{masked(text[span[0]:span[1]])}'"

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        if not gates(conversation) & self.gate:
            return ()
        return list(self._hits(conversation))

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        for i, message in enumerate(conversation.messages):
            text = message.text
            found = self.spans(text)
            if found:
                shown = ", ".join(self.label(text, s) for s in found[:3]) + (" …" if len(found) > 3 else "")
                yield Hit(i, f"{message.role} message {i} contains {self.what}: {shown}")

    def replacement(self, label: str) -> str:
        return self.placeholder

    def fix(self, conversation: Conversation) -> Conversation:
        messages = []
        for message in conversation.messages:
            found = self.spans(message.text)
            messages.append(message.with_text(redact(message.text, found, self.replacement)) if found else message)
        return conversation.with_messages(messages)


# --- Email addresses --------------------------------------------------------------------------

_EMAIL_DOMAIN = re.compile(r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?![\w.@-]*[\w@])")
_LOCAL_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})$")
_NOT_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "js", "css", "py", "ts", "json", "txt", "md",
                       "html"})
_PLACEHOLDER_DOMAINS = re.compile(r"(?:^|\.)(?:your|my)?(?:domain|company|website|email|mail)\.com$", re.I)
_DOCUMENTATION_DOMAINS = re.compile(
    r"(?:^|\.)(?:example\.(?:com|org|net)|[^.]+\.(?:example|test|invalid|localhost))$", re.I)
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`", re.S)
_ROLE_ACCOUNTS = frozenset({
    "info", "contact", "support", "sales", "admin", "hello", "help", "noreply", "no-reply", "webmaster", "team",
    "press", "privacy", "service", "billing", "feedback", "office", "careers", "jobs", "hr", "marketing", "git",
    "user", "username", "name", "email", "your.email", "youremail", "your_email", "your.name", "yourname",
    "someone", "john.doe", "jane.doe", "johndoe", "janedoe", "example", "test", "foo", "bar",
})


def emails(text: str) -> list[Span]:
    """Email addresses, leaving out placeholder domains (example.com ...) and role accounts."""
    if "@" not in text:
        return []
    found: list[Span] = []
    code: list[tuple[int, int]] | None = None
    for match in _EMAIL_DOMAIN.finditer(text):
        domain = match.group(1)
        local = _LOCAL_PART.search(text, max(0, match.start() - 64), match.start())
        if local is None or local.group(0).startswith(".") or domain.rsplit(".", 1)[1].lower() in _NOT_TLDS:
            continue
        if local.group(0).lower() in _ROLE_ACCOUNTS or _PLACEHOLDER_DOMAINS.search(domain):
            continue
        if _DOCUMENTATION_DOMAINS.search(domain) and code is None:
            code = [m.span() for m in _CODE.finditer(text)] if "`" in text else []
        if _DOCUMENTATION_DOMAINS.search(domain) and any(a <= match.start() < b for a, b in code or ()):
            continue
        found.append((local.start(), match.end(), "email"))
    return found


@register
class EmailAddress(Redacting):
    """A turn contains an email address.

    What it does:
        Reports email addresses in any turn. Placeholder domains (yourdomain.com), role accounts
        (info@, support@, noreply@), placeholder names (john.doe@, your.email@) and image names
        such as ``icon@2x.png`` are left out, and so are documentation domains (example.com,
        *.test ...) inside code; in prose an example.com address usually stands for a real one
        (fake data written for a dataset), so it is reported.
    Why it matters:
        A model trained on an address can repeat it to anyone; personal data in a training set
        is a legal liability (GDPR) as much as a quality problem.
    Example:
        user: "Write to me at jane.smith84@gmail.com"
    Fix:
        Unsafe: replace the address with ``[EMAIL]``.
    """

    code = "PV001"
    name = "email-address"
    family = Family.PRIVACY
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    fix_description = "redact the address to [EMAIL]"
    placeholder = "[EMAIL]"
    what = "an email address"
    gate = EMAIL

    def spans(self, text: str) -> list[Span]:
        return emails(text)

    def label(self, text: str, span: Span) -> str:
        address = text[span[0]:span[1]]
        return f"'{address[:2]}…{address[address.index('@'):]}'"


# --- Phone numbers ----------------------------------------------------------------------------

_NANP = re.compile(r"(?<![\w+$€£.,/-])(?:\+?1[ .-]?)?(?:\(([2-9]\d\d)\) ?|([2-9]\d\d)([ .-]))"
                   r"(\d{3})[ .-](\d{4})(?![\w-]|[.,]\d)")
_INTERNATIONAL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?![\w]|[.,]\d)")
#: A national number with a trunk 0 ("07628 240739", "030 901820 11"): 10 or 11 digits in groups of 2-6.
_NATIONAL = re.compile(r"(?<![\w+$€£.,/-])0\d{1,4}(?:[ .-]\d{2,6}){1,3}(?![\w-]|[.,]\d)")
_LABELLED = re.compile(r"\b(?:phone|tel|telephone|mobile|cell|call me at|text me at|whatsapp|fax)\b[^\d\n+]{0,12}"
                       r"(\+?\d[\d ().-]{5,18}\d)(?![\w]|[.,]\d)", re.I)
_LABELS = ("phone", "tel", "mobile", "cell", "call me", "text me", "whatsapp", "fax")
_DUMMY_NUMBERS = frozenset({"1234567890", "0123456789", "0000000000", "1111111111", "9999999999"})


def phone_numbers(text: str) -> list[Span]:
    """Phone numbers: North American (NANP rules; 555 numbers are fiction), international
    (+CC ...), national with a trunk 0, and numbers after a label such as "phone:" (7 to 15 digits)."""
    shape = digit_shape(text)
    if shape.count(b"0") < 7:
        return []
    found: list[Span] = []
    if b"000-0000" in shape:
        for match in _NANP.finditer(text):
            if "555" not in (match.group(4), match.group(1) or match.group(2)) and (
                match.group(1) or match.group(4)[0] not in "01"):  # "(327) 144-3073" is a phone even so
                found.append((match.start(), match.end(), "phone"))
    if b"-0" in shape or shape.startswith(b"0"):
        found += [(m.start(), m.end(), "phone") for m in _NATIONAL.finditer(text)
                  if 10 <= _digit_count(m.group(0)) <= 11]
    if "+" in text:
        found += [(m.start(), m.end(), "phone") for m in _INTERNATIONAL.finditer(text)
                  if 8 <= _digit_count(m.group(0)) <= 15]
    if (b"000-000" in shape or b"0000000" in shape or b"00-00-00" in shape) and any(
            label in text.lower() for label in _LABELS):
        found += [(m.start(1), m.end(1), "phone") for m in _LABELLED.finditer(text)
                  if 7 <= _digit_count(m.group(1)) <= 15]
    return merge_spans(s for s in found if re.sub(r"\D", "", text[s[0]:s[1]])[-10:] not in _DUMMY_NUMBERS)


def merge_spans(spans: Iterator[Span] | list[Span]) -> list[Span]:
    """Spans sorted, with overlapping ones merged."""
    out: list[Span] = []
    for start, end, label in sorted(spans):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]), out[-1][2])
        else:
            out.append((start, end, label))
    return out


@register
class PhoneNumber(Redacting):
    """A turn contains a phone number.

    What it does:
        Reports North American numbers ("(415) 867-5309", "415-867-5309"; valid area codes,
        and valid exchange codes unless the area code is in parentheses; 555 numbers are
        fiction), international numbers written with a country code ("+44 20 7946 0958"),
        national numbers with a trunk 0 in groups ("07700 900461", "030 901820 11"; 10 or 11
        digits), and 7 to 15 digits after a label such as "phone:", "call me at" or
        "WhatsApp". Years, prices, times, dates and ISBNs do not have these shapes;
        "123-456-7890"-style dummies are left out.
    Why it matters:
        A phone number identifies a person; a model that memorized one can repeat it.
    Example:
        assistant: "Sure, call me at (415) 867-5309 tonight."
    Fix:
        Unsafe: replace the number with ``[PHONE]``.
    """

    code = "PV002"
    name = "phone-number"
    family = Family.PRIVACY
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    fix_description = "redact the number to [PHONE]"
    placeholder = "[PHONE]"
    what = "a phone number"
    gate = PHONE

    def spans(self, text: str) -> list[Span]:
        return phone_numbers(text)

    def label(self, text: str, span: Span) -> str:
        number = text[span[0]:span[1]]
        return f"'{number[:-4]}····'" if len(number) > 6 else "'····'"
