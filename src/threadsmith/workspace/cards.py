"""SillyTavern character cards: V1/V2/V3 JSON, and PNG images with the card in a text chunk.

A PNG card carries the card JSON base64-encoded in a ``tEXt`` chunk (also ``iTXt`` or
``zTXt``) whose keyword is ``chara`` (V2) or ``ccv3`` (V3; preferred when both are present).
PNG chunks are read with the standard library (struct, zlib), checking each chunk's CRC.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from threadsmith.errors import InputNotFound, UserError
from threadsmith.store.library import CharacterRow

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_KEYWORDS = ("ccv3", "chara")
_HINT = "A character card is a SillyTavern .json file or a .png with the card embedded (exported by SillyTavern)."


def read_card(path: str | Path) -> tuple[dict[str, Any], str]:
    """The card JSON of a .json or .png card file, and its spec (``chara_card_v2`` ...)."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise InputNotFound(f"No such file: {file}") from None
    except OSError as exc:
        raise InputNotFound(f"Cannot read {file}: {exc.strerror}") from None
    raw = png_card_text(data, file) if data.startswith(PNG_SIGNATURE) else data
    try:
        card = orjson.loads(raw.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as exc:
        raise UserError(f"{file} does not hold a character card: invalid JSON ({exc.msg}).", hint=_HINT) from None
    if not isinstance(card, dict):
        raise UserError(f"{file} does not hold a character card (the JSON is not an object).", hint=_HINT)
    return card, str(card.get("spec") or "chara_card_v1")


def png_card_text(data: bytes, file: Path) -> bytes:
    """The decoded card JSON from a PNG's ``ccv3`` or ``chara`` text chunk."""
    found: dict[str, bytes] = {}
    for kind, body in png_chunks(data, file):
        keyword, text = _text_chunk(kind, body)
        if keyword in _KEYWORDS and keyword not in found:
            found[keyword] = text
    for keyword in _KEYWORDS:
        if keyword in found:
            try:
                return base64.b64decode(found[keyword], validate=False)
            except (binascii.Error, ValueError):
                raise UserError(f"{file}: the {keyword!r} text chunk is not base64.", hint=_HINT) from None
    raise UserError(f"{file} is a PNG without a character card (no 'chara' or 'ccv3' text chunk).", hint=_HINT)


def png_chunks(data: bytes, file: Path) -> Iterator[tuple[bytes, bytes]]:
    """``(type, data)`` of each chunk of a PNG, until IEND; a damaged chunk is an error."""
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 8 + length
        if end + 4 > len(data):
            raise UserError(f"{file}: the PNG is truncated (chunk {kind!r} runs past the end).")
        body = data[pos + 8:end]
        (crc,) = struct.unpack(">I", data[end:end + 4])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise UserError(f"{file}: the PNG is damaged (bad checksum in chunk {kind.decode('latin-1')!r}).")
        yield kind, body
        if kind == b"IEND":
            return
        pos = end + 4


def _text_chunk(kind: bytes, body: bytes) -> tuple[str | None, bytes]:
    """The keyword and text of a tEXt, zTXt or iTXt chunk (other chunks: None)."""
    if kind not in (b"tEXt", b"zTXt", b"iTXt") or b"\0" not in body:
        return None, b""
    keyword, rest = body.split(b"\0", 1)
    name = keyword.decode("latin-1")
    try:
        if kind == b"tEXt":
            return name, rest
        if kind == b"zTXt":
            return name, zlib.decompress(rest[1:])
        compressed, rest = rest[0], rest[2:]
        _language, _translated, text = rest.split(b"\0", 2)
        return name, zlib.decompress(text) if compressed else text
    except (zlib.error, ValueError, IndexError):
        return None, b""


def character_from_card(card: dict[str, Any], source: str, now: str) -> CharacterRow:
    """The character a card describes (V2/V3 keep the fields under ``data``; V1 at the top)."""
    data = card.get("data") if isinstance(card.get("data"), dict) else card
    name = data.get("name") or card.get("name") or card.get("char_name")
    if not isinstance(name, str) or not name.strip():
        raise UserError(f"{source}: the card has no character name.", hint=_HINT)
    tags = data.get("tags") if isinstance(data.get("tags"), list) else []

    def text(*keys: str) -> str:
        for key in keys:
            value = data.get(key, card.get(key))
            if isinstance(value, str):
                return value
        return ""

    return CharacterRow(
        name=name.strip(), description=text("description", "char_persona"), personality=text("personality"),
        scenario=text("scenario", "world_scenario"), first_message=text("first_mes", "char_greeting"),
        example_dialogue=text("mes_example", "example_dialogue"), tags=tuple(str(t) for t in tags),
        card=card, source=source, created_at=now, updated_at=now)


def write_png_card(path: str | Path, card: dict[str, Any], keyword: str = "chara") -> Path:
    """A minimal 1x1 PNG holding ``card`` in a tEXt chunk (for tests and examples)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    text = keyword.encode("latin-1") + b"\0" + base64.b64encode(orjson.dumps(card))
    target = Path(path)
    target.write_bytes(PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"tEXt", text) + chunk(b"IDAT", pixels)
                       + chunk(b"IEND", b""))
    return target
