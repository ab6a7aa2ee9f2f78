"""Privacy checks (PV) about credentials: API keys, tokens, private keys."""

from __future__ import annotations

import base64
import re

from threadsmith.checks.privacy import SECRET, Redacting, Span, long_token, masked, merge_spans
from threadsmith.checks.registry import register
from threadsmith.model import Family, FixSafety, Severity

# --- Secrets ----------------------------------------------------------------------------------

_KNOWN_SECRETS = re.compile(
    r"(?P<key>\bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"
    r"|\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"
    r"|\bgh[pousr]_[A-Za-z0-9]{36,}|\bgithub_pat_[A-Za-z0-9_]{22,}"
    r"|\bxox[abposr]-[A-Za-z0-9-]{10,}|\bAIza[0-9A-Za-z_-]{35}|\bhf_[A-Za-z0-9]{30,}|\bglpat-[A-Za-z0-9_-]{20,}"
    r"|\b[rs]k_(?:live|test)_[A-Za-z0-9]{20,}|\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|\bnpm_[A-Za-z0-9]{36}"
    r"|\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"
    r"|(?i:\bbearer\s+)(?P<bearer>[A-Za-z0-9._~+/-]{20,}=*)")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|[^\n]*(?:\n[A-Za-z0-9+/=]{16,})*)", re.S)
_TOKEN = re.compile(r"(?<![A-Za-z0-9_+/.-])[A-Za-z0-9_+/-]{32,}={0,2}(?![A-Za-z0-9_+/=-])")
_DIGEST_CONTEXT = re.compile(r"(?:sha\d*|md5|hash|digest|checksum|fingerprint|integrity)\W{0,4}$", re.I)
_KEY_CONTEXT = re.compile(r"(?:key|token|secret|password|passwd|auth|credential)s?[\"']?\s*[:=]\s*[\"']?$", re.I)
_PLACEHOLDER_KEY = re.compile(r"example|xxxx|your|here|1234567|abcdef|0000|\.\.\.|^(?:sha\d+|md5)-", re.I)
_TOKEN_CHARS = bytes(0x61 if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_+=-") else 0x20 for b in range(256))


_WORDLIKE = re.compile(r"[a-z]{4,}")


def _random_looking(token: str, min_changes: float) -> bool:
    """True for a token that looks generated: upper, lower and digits mixed, few separators,
    character classes changing often, and few word-like runs (``getElementById2`` is a name)."""
    if sum(c in "-_" for c in token) > 0.15 * len(token):
        return False
    classes = ["a" if c.islower() else "A" if c.isupper() else "0" if c.isdigit() else "-" for c in token]
    if min(classes.count("a"), classes.count("A"), classes.count("0")) < 2:
        return False
    longest = max(re.split(r"[-_]", token), key=len)
    if not (any(c.islower() for c in longest) and any(c.isupper() for c in longest)
            and any(c.isdigit() for c in longest)):
        return False  # NAME_PREFIX_<hex digest>: an identifier and a hash, not a key
    changes = sum(1 for a, b in zip(classes, classes[1:]) if a != b)
    wordy = sum(len(w) for w in _WORDLIKE.findall(token))
    return changes >= min_changes * (len(token) - 1) and wordy < 0.35 * len(token)


def _encoded_text(token: str) -> bool:
    """True when the token is base64 of readable text (an encoded message, not a key)."""
    try:
        altchars = b"-_" if "-" in token or "_" in token else None
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), altchars=altchars)
    except ValueError:
        return False
    return len(decoded) >= 8 and sum(32 <= b < 127 or b in (9, 10, 13) for b in decoded) >= 0.95 * len(decoded)


def secrets(text: str, min_changes: float = 0.4) -> list[Span]:
    """API keys and tokens (known prefixes), private key blocks, bearer tokens, and long
    random-looking tokens outside URLs (labelled ``private key``, ``key`` or ``token``)."""
    found: list[Span] = []
    if "-----BEGIN" in text:
        found += [(m.start(), m.end(), "private key") for m in _PRIVATE_KEY.finditer(text)]
    if not long_token(text.encode("utf-8", "ignore").translate(_TOKEN_CHARS)):
        return found
    for match in _KNOWN_SECRETS.finditer(text):
        group = "key" if match.group("key") else "bearer"
        if not _PLACEHOLDER_KEY.search(match.group(group)):
            found.append((match.start(group), match.end(group), "key"))
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        chunk = text[max(0, match.start() - 200):match.start()]
        before = "" if not chunk or chunk[-1].isspace() else chunk.split()[-1]
        in_url = ("://" in before or before.startswith("www.") or before.endswith(("base64,", "/")))
        if in_url and not _KEY_CONTEXT.search(before):
            continue
        if "%" in text[max(0, match.start() - 1):match.end() + 1] or _DIGEST_CONTEXT.search(chunk[-24:]):
            continue  # URL-encoded data, or a hash: "pin-sha256: ...", "integrity": "sha384-..."
        if _random_looking(token, min_changes) and not _PLACEHOLDER_KEY.search(token) and not _encoded_text(token):
            found.append((match.start(), match.end(), "token"))
    return merge_spans(found)


@register
class Secret(Redacting):
    """A turn contains an API key, token or private key.

    What it does:
        Reports keys with known shapes (OpenAI and Anthropic ``sk-``, AWS ``AKIA``, GitHub
        ``ghp_``, Slack ``xoxb-``, Google ``AIza``, Hugging Face ``hf_``, Stripe, GitLab,
        SendGrid, npm, JSON web tokens), ``Bearer`` tokens, PEM private key blocks, and other
        tokens of at least 32 characters that look random (upper case, lower case and digits,
        changing class at least ``min_class_changes`` of the time, so identifiers and slugs
        are not tokens), outside URLs. Keys that say EXAMPLE, xxxx or your... are placeholders.
    Why it matters:
        A leaked key is usable by anyone who reads the data, and a model trained on it can
        reproduce it; both are security incidents, not just noise.
    Example:
        user: "My code fails: openai.api_key = 'sk-proj-4fGh8...'"
    Fix:
        Unsafe: replace the key with ``[API_KEY]`` (a private key block with ``[PRIVATE_KEY]``),
        and revoke the key: redacting the data does not un-leak it.
    """

    code = "PV003"
    name = "secret"
    family = Family.PRIVACY
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_description = "redact the secret to [API_KEY] or [PRIVATE_KEY]"
    what = "a secret"
    gate = SECRET
    defaults = {"min_class_changes": 0.4}

    def spans(self, text: str) -> list[Span]:
        return secrets(text, self.options["min_class_changes"])

    def label(self, text: str, span: Span) -> str:
        return f"{span[2]} '{masked(text[span[0]:span[1]], 4 if span[2] != 'private key' else 10)}'"

    def replacement(self, label: str) -> str:
        return "[PRIVATE_KEY]" if label == "private key" else "[API_KEY]"
