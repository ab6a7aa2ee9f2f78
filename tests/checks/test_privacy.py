"""Privacy checks (PV): detectors, redaction, and what findings may show."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.checks.dataset_runs import qa
from threadsmith.checks.credentials import Secret, _random_looking, secrets
from threadsmith.checks.privacy import EmailAddress, PhoneNumber, emails, long_token, phone_numbers
from threadsmith.checks.privacy_numbers import CardNumber, IpAddress, card_numbers, ip_addresses, luhn_valid

PRIVATE = ("Mail jane.smith84@gmail.com or call (415) 867-5309; key sk-proj-4fGh8JkL2mNpQ7rStUvWxYz9B3cD6eF1, "
           "card 4539 1488 0343 6467, server 81.2.69.160.")
CHECKS = (EmailAddress, PhoneNumber, Secret, CardNumber, IpAddress)


def found(detector, text: str) -> list[str]:
    return [text[start:end] for start, end, _ in detector(text)]


@pytest.mark.parametrize("cls", CHECKS, ids=lambda cls: cls.code)
def test_redaction_is_typed_idempotent_and_never_reflagged(cls) -> None:
    conv = qa("Hi", PRIVATE)
    check = cls()
    assert [h.message_index for h in check.check(conv)] == [1]
    fixed = check.fix(conv)
    assert cls.placeholder if hasattr(cls, "placeholder") else True
    assert check.fix(fixed) == fixed
    assert list(check.check(fixed)) == []
    for other in CHECKS:  # a placeholder is nobody's finding
        assert len(list(other().check(fixed))) <= len(list(other().check(conv)))


def test_every_redaction_together_leaves_typed_placeholders() -> None:
    conv = qa("Hi", PRIVATE)
    for cls in CHECKS:
        conv = cls().fix(conv)
    assert conv.messages[1].text == ("Mail [EMAIL] or call [PHONE]; key [API_KEY], card [CARD_NUMBER], "
                                     "server [IP_ADDRESS].")


@pytest.mark.parametrize("cls", CHECKS, ids=lambda cls: cls.code)
def test_findings_never_print_the_value_in_full(cls) -> None:
    for hit in cls().check(qa("Hi", PRIVATE)):
        for value in ("jane.smith84@gmail.com", "867-5309", "sk-proj-4fGh8JkL2mNpQ7rStUvWxYz9B3cD6eF1",
                      "4539 1488 0343 6467", "81.2.69.160"):
            assert value not in hit.message


@pytest.mark.parametrize("text", [
    "From 1999-2004 prices rose", "It costs $415-867-5309", "Call 555-123-4567", "ISBN 978-3-16-148410-0",
    "at 12:30:45 on 2024-03-01", "dummy 123-456-7890", "version 10.2.3.4567", "ratio 1 234 567 890",
])
def test_not_phone_numbers(text: str) -> None:
    assert phone_numbers(text) == []


@pytest.mark.parametrize(("text", "number"), [
    ("Call me at (415) 867-5309.", "(415) 867-5309"), ("Cell 312.867.5309 anytime", "312.867.5309"),
    ("Office +44 20 7946 0958.", "+44 20 7946 0958"), ("+33 6 12 34 56 78", "+33 6 12 34 56 78"),
    ("phone: 0171 234 5678", "0171 234 5678"), ("WhatsApp me on 07700 900461", "07700 900461"),
])
def test_phone_numbers(text: str, number: str) -> None:
    assert found(phone_numbers, text) == [number]


def test_emails_skip_placeholders_role_accounts_and_examples_in_code() -> None:
    text = ("Write to k.okafor@uni.edu, not info@acme.com, your.email@gmail.com or icon@2x.png; "
            "`login(\"bob@example.com\")` but tell alice@example.com.")
    assert found(emails, text) == ["k.okafor@uni.edu", "alice@example.com"]


def test_luhn_and_card_layouts() -> None:
    assert luhn_valid("4539148803436467") and not luhn_valid("4539148803436468")
    text = "4539 1488 0343 6467, 4539-1488-0343-6467, 4539148803436467, 3400-001234-56781"
    assert len(card_numbers(text)) == 4
    assert card_numbers("test 4242 4242 4242 4242, id 1234567890123456, https://x.io/f/5068609911521280") == []


def test_ip_addresses_only_public_and_not_versions() -> None:
    text = ("192.168.1.1 10.0.0.5 127.0.0.1 203.0.113.7 8.8.8.8 version 1.2.3.4 V8 4.1.0.7 255.255.255.0 "
            "upgrade to 3.11.10.25, 2001:db8::1 ::1 0:1:2:3:4:5:6:7 fe80::a00:27ff:fe4e:66a1 then 81.2.69.160, "
            "140.1.43.5 and 2a00:1450:4001:82b::200e")
    assert found(ip_addresses, text) == ["81.2.69.160", "140.1.43.5", "2a00:1450:4001:82b::200e"]


def test_secrets_with_known_shapes_and_placeholders() -> None:
    text = ("AKIAZ3MX7PQR5TUV2WXY and AKIAIOSFODNN7EXAMPLE; sk-your-api-key-here-xxxxxxxx; "
            "ghp_R7tY2uI9oP4aS6dF1gH8jK3lZ5xC0vB2nM7q; -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
            "-----END OPENSSH PRIVATE KEY-----")
    assert [label for _, _, label in secrets(text)] == ["key", "key", "private key"]


def test_random_tokens_are_secrets_and_names_hashes_and_encoded_text_are_not() -> None:
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    tokens = ["".join(rng.choice(alphabet) for _ in range(40)) for _ in range(500)]
    assert sum(_random_looking(t, 0.4) for t in tokens) / len(tokens) > 0.9
    for name in ("getElementsByTagNameForTesting2023", "XMLHttpRequestEventTarget2Level1",
                 "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2", "9fceb02d0ae598e95dc970b74767f19372d61af8"):
        assert secrets(f"see {name} here") == []
    assert secrets("Decode V2VsY29tZSB0byB0aGUgY3liZXItc21va2UuIFlvdXIgbmV3IG1pc3Npb24u please") == []
    assert secrets("https://docs.google.com/document/d/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/edit") == []
    assert secrets("https://api.example.com/v1?api_key=9fK2mXq8Lp3ZrT7vB1nW4sY6hJ0dC5gA") != []
    assert secrets("Public key pin-sha256: SIXvRyDmBJSgatgTQRGbInBaAK+hZOQ18UmrSwnDlK8=") == []


def test_secret_class_change_threshold_is_an_option() -> None:
    conv = qa("token", "token = 9fK2mXq8Lp3ZrT7vB1nW4sY6hJ0dC5gA")
    assert list(Secret().check(conv))
    assert not list(Secret({"min_class_changes": 1.01}).check(conv))


# --- Whole-conversation gates ----------------------------------------------------------------

def _detectors(text: str) -> dict[type, bool]:
    return {EmailAddress: bool(emails(text)), PhoneNumber: bool(phone_numbers(text)), Secret: bool(secrets(text)),
            CardNumber: bool(card_numbers(text)), IpAddress: bool(ip_addresses(text))}


def test_gates_are_computed_once_and_tell_what_may_be_found() -> None:
    from threadsmith.checks.privacy import CARD, EMAIL, IP, PHONE, SECRET, gates
    conv = qa("Hi", "Plain words, nothing private here at all.")
    assert gates(conv) == 0 and gates(conv) is gates(conv)
    assert gates(qa("Hi", PRIVATE)) == EMAIL | PHONE | CARD | IP | SECRET
    assert gates(qa("-----BEGIN RSA PRIVATE KEY-----", "ok")) == SECRET


@pytest.mark.parametrize("seed", range(40))
def test_a_closed_gate_never_hides_a_finding(seed: int) -> None:
    rng = random.Random(seed)
    pieces = [*PRIVATE.split(), "a@b", "+44", "2001:4860::8888", "1.2.3.4", "-----BEGIN", "x" * 20,
              "AKIAIOSFODNN7EXAMPLF", "aB3" * 12, "555-0100", "07700 900461"]
    texts = [" ".join(rng.choice(pieces + ["word"] * 20) for _ in range(rng.randint(1, 12))) for _ in range(3)]
    conv = qa(texts[0], texts[1])
    for cls in CHECKS:
        expected = any(_detectors(t)[cls] for t in texts[:2])
        assert bool(list(cls().check(conv))) == expected, (cls.code, texts[:2])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="a ", max_size=60))
def test_long_token_is_a_run_of_twenty_token_characters(classes: str) -> None:
    data = classes.encode()
    assert long_token(data) == (b"a" * 20 in data)
