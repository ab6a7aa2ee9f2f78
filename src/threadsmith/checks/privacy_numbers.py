"""Privacy checks (PV) for numbers that identify a person: payment card numbers (Luhn-valid,
test cards left alone) and IP addresses (public, personal ones; documentation ranges and public
resolvers left alone). They share :mod:`threadsmith.checks.privacy`'s gates and redaction."""

from __future__ import annotations

import ipaddress
import re

from threadsmith.checks.privacy import CARD, IP, Redacting, Span, digit_shape
from threadsmith.checks.registry import register
from threadsmith.model import Family, FixSafety, Severity


# --- Card numbers -----------------------------------------------------------------------------

_CARD = re.compile(r"(?<![\d.,-])(?:\d{4}([ -]?)\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -]?)\d{6}\2\d{4,5})(?![\d-]|[.,]\d)")
_TEST_CARDS = frozenset({"4111111111111111", "4242424242424242", "4012888888881881", "5555555555554444",
                         "5105105105105100", "378282246310005", "371449635398431", "6011111111111117",
                         "4000056655665556", "5200828282828210", "30569309025904", "3566002020360505"})


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum that every payment card number satisfies."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def card_numbers(text: str) -> list[Span]:
    """Payment card numbers: 13-19 digits (grouped by spaces or dashes, or not), an issuer
    prefix (2-6), a valid Luhn checksum; well-known test numbers are left out."""
    shape = digit_shape(text)
    if b"0000" not in shape or shape.count(b"0") < 13:
        return []
    found = []
    for match in _CARD.finditer(text):
        if match.start() and text[match.start() - 1] in "/=#?&":
            continue  # an id in a URL
        digits = re.sub(r"\D", "", match.group(0))
        if (13 <= len(digits) <= 19 and digits[0] in "23456" and len(set(digits)) > 2
                and digits not in _TEST_CARDS and luhn_valid(digits)):
            found.append((match.start(), match.end(), "card"))
    return found


@register
class CardNumber(Redacting):
    """A turn contains a payment card number.

    What it does:
        Reports runs of 13 to 19 digits, plain or grouped by spaces or dashes
        ("4539 1488 0343 6467", "3782-822463-10005"), that start like a card (2 to 6) and pass
        the Luhn checksum. Well-known test numbers (4242 4242 4242 4242 ...) are left out.
    Why it matters:
        Card numbers are regulated data (PCI DSS): a dataset holding one must not be shared,
        and a model must never learn to produce one.
    Example:
        user: "My card is 4539 1488 0343 6467, expiry 04/27."
    Fix:
        Unsafe: replace the number with ``[CARD_NUMBER]``.
    """

    code = "PV004"
    name = "card-number"
    family = Family.PRIVACY
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_description = "redact the number to [CARD_NUMBER]"
    placeholder = "[CARD_NUMBER]"
    what = "a payment card number"
    gate = CARD

    def spans(self, text: str) -> list[Span]:
        return card_numbers(text)

    def label(self, text: str, span: Span) -> str:
        return f"'····{re.sub(r'[^0-9]', '', text[span[0]:span[1]])[-4:]}'"


# --- IP addresses -----------------------------------------------------------------------------

_IPV4_HINT = re.compile(r"\.\d{1,3}\.\d")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\w)")
_IPV6_HINT = re.compile(r"::|:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_NOT_AN_ADDRESS = re.compile(r"\b(?:version|ver\.?|v|release|build|section|chapter|step|rule|article|§|oid)\s*$", re.I)
_PUBLIC_SERVICES = frozenset({"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112",
                              "208.67.222.222", "208.67.220.220", "4.2.2.2", "2001:4860:4860::8888",
                              "2001:4860:4860::8844", "2606:4700:4700::1111", "2606:4700:4700::1001"})


def _address(candidate: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        return None


def _personal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for a public address that could be someone's: not reserved, multicast, mapped,
    a well-known service, or a version-like dotted quad (4.1.0.7, 3.11.10.25: a first part under 20,
    and two parts under 10 or every part under 30). IPv6: the global unicast block 2000::/3 only."""
    if not address.is_global or address.is_multicast or str(address) in _PUBLIC_SERVICES:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        return int(address) >> 125 == 1 and address.sixtofour is None  # 2000::/3, the global unicast block
    parts = [int(p) for p in str(address).split(".")]
    version_like = parts[0] < 20 and (sum(p < 10 for p in parts) >= 2 or max(parts) < 30)
    return not version_like and len(set(parts)) > 1


def ip_addresses(text: str) -> list[Span]:
    """Public (globally routable) IPv4 and IPv6 addresses; private, loopback, link-local and
    documentation addresses, well-known public resolvers and version numbers are left out."""
    found = []
    candidates = []
    if "." in text and _IPV4_HINT.search(text):
        candidates += list(_IPV4.finditer(text))
    if ":" in text and _IPV6_HINT.search(text):
        candidates += [m for m in _IPV6.finditer(text) if sum(c != ":" for c in m.group(0)) >= 6]
    for match in candidates:
        address = _address(match.group(0))
        if address is None or not _personal(address):
            continue
        if _NOT_AN_ADDRESS.search(text, max(0, match.start() - 12), match.start()):
            continue
        found.append((match.start(), match.end(), "ip"))
    return found


@register
class IpAddress(Redacting):
    """A turn contains a public IP address.

    What it does:
        Reports IPv4 and IPv6 addresses that are globally routable. Private (10.x, 192.168.x),
        loopback, link-local, documentation (192.0.2.x, 2001:db8::) and other reserved
        addresses are left out: they identify no one outside a local network and fill
        networking tutorials. Well-known public resolvers (8.8.8.8, 1.1.1.1) and numbers after
        "version", "v" or "section" (v1.2.3.4), and dotted quads that look like build numbers
        (4.1.0.7, 3.11.10.25: under 20 first, then two parts under 10 or all under 30), are
        left out too.
    Why it matters:
        A public address can locate a person or a server; in conversation logs it is usually
        the user's own.
    Example:
        user: "My server at 203.45.67.89 keeps refusing SSH."
    Fix:
        Unsafe: replace the address with ``[IP_ADDRESS]``.
    """

    code = "PV005"
    name = "ip-address"
    family = Family.PRIVACY
    severity = Severity.INFO
    fix_safety = FixSafety.UNSAFE
    fix_description = "redact the address to [IP_ADDRESS]"
    placeholder = "[IP_ADDRESS]"
    what = "a public IP address"
    gate = IP

    def spans(self, text: str) -> list[Span]:
        return ip_addresses(text)

    def label(self, text: str, span: Span) -> str:
        address = text[span[0]:span[1]]
        return f"'{address.rsplit('.', 1)[0]}.…'" if "." in address else f"'{address[:9]}…'"
