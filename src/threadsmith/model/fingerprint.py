"""Content fingerprints: equal for conversations that are the same after normalization.

Normalization: canonical roles, speaker names kept, text with surrounding whitespace
stripped. Tags, ids, metadata and the role spelling do not count.
"""

from __future__ import annotations

from hashlib import blake2b

from threadsmith.model.conversation import Conversation


def fingerprint(conversation: Conversation) -> bytes:
    """A 16-byte digest of the normalized conversation."""
    parts = []
    for message in conversation.messages:
        content = message.content
        text = content if isinstance(content, str) else message.text
        parts.append(f"{message.role}\x1f{message.name or ''}\x1f{text.strip()}")
        for call in message.tool_calls:
            parts.append(f"\x1d{call.name}\x1f{call.arguments}")
    return blake2b("\x1e".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).digest()
