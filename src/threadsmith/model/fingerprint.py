"""Content fingerprints: equal for conversations that are the same after normalization.

Normalization: canonical roles, speaker names kept, text stripped and inner whitespace runs
collapsed to one space. Tags, ids, metadata and the role spelling do not count.
"""

from __future__ import annotations

import hashlib

from threadsmith.model.conversation import Conversation


def normalized_text(text: str) -> str:
    """Text with surrounding whitespace removed and inner whitespace runs collapsed."""
    return " ".join(text.split())


def fingerprint(conversation: Conversation) -> bytes:
    """A 16-byte digest of the normalized conversation."""
    h = hashlib.blake2b(digest_size=16)
    for message in conversation.messages:
        h.update(message.role.encode())
        h.update(b"\x1f")
        if message.name:
            h.update(message.name.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
        h.update(normalized_text(message.text).encode("utf-8", "surrogatepass"))
        for call in message.tool_calls:
            h.update(b"\x1f" + call.name.encode() + b"\x1f" + str(call.arguments).encode("utf-8", "surrogatepass"))
        h.update(b"\x1e")
    return h.digest()
