"""Libraries: SillyTavern character cards (JSON, PNG), prompt templates, tag categories; merges."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

import orjson
import pytest

from tests.workspace.conftest import RECORDS, write_records
from threadsmith.errors import NotFound, UserError
from threadsmith.workspace import Workspace
from threadsmith.workspace.cards import PNG_SIGNATURE, write_png_card
from threadsmith.workspace.query import Query

V2 = {"spec": "chara_card_v2", "spec_version": "2.0",
      "data": {"name": "Maren Vos", "description": "Keeper of the light.", "personality": "dry", "scenario": "A storm.",
               "first_mes": "*looks up* You again?", "mes_example": "<START>\n{{char}}: Hm.", "tags": ["ロールプレイ", "café"],
               "extensions": {"keep": "me"}}}
V3 = {"spec": "chara_card_v3", "spec_version": "3.0", "data": {**V2["data"], "name": "Ilse Brandt", "nickname": "Cap"}}
V1 = {"name": "Jonah", "description": "A deckhand.", "personality": "eager", "scenario": "", "first_mes": "Ahoy!",
      "mes_example": ""}


def test_json_cards_of_every_version(ws: Workspace, tmp_path: Path) -> None:
    for name, card in (("v2.json", V2), ("v3.json", V3), ("v1.json", V1)):
        (tmp_path / name).write_bytes(orjson.dumps(card))
        character, new = ws.import_character(tmp_path / name)
        assert new
    maren = ws.character("Maren Vos")
    assert (maren.description, maren.personality, maren.scenario) == ("Keeper of the light.", "dry", "A storm.")
    assert maren.first_message == "*looks up* You again?" and maren.example_dialogue.startswith("<START>")
    assert maren.tags == ("ロールプレイ", "café") and maren.card["data"]["extensions"] == {"keep": "me"}
    assert ws.character("Jonah").first_message == "Ahoy!"
    assert [c.name for c in ws.characters()] == ["Ilse Brandt", "Jonah", "Maren Vos"]


def test_png_cards_with_chara_and_ccv3_chunks(ws: Workspace, tmp_path: Path) -> None:
    character, _ = ws.import_character(write_png_card(tmp_path / "maren.png", V2))
    assert character.name == "Maren Vos"
    both = tmp_path / "both.png"
    write_png_card(both, V2)
    data = both.read_bytes()
    text = b"ccv3\0" + base64.b64encode(orjson.dumps(V3))
    extra = struct.pack(">I", len(text)) + b"tEXt" + text + struct.pack(">I", zlib.crc32(b"tEXt" + text) & 0xFFFFFFFF)
    both.write_bytes(data[:33] + extra + data[33:])  # after IHDR
    assert ws.import_character(both)[0].name == "Ilse Brandt"  # V3 wins
    again, new = ws.import_character(tmp_path / "maren.png")
    assert not new


def test_damaged_or_cardless_files_are_user_errors(ws: Workspace, tmp_path: Path) -> None:
    card = write_png_card(tmp_path / "c.png", V2)
    broken = bytearray(card.read_bytes())
    broken[40] ^= 0xFF
    (tmp_path / "broken.png").write_bytes(bytes(broken))
    with pytest.raises(UserError, match="damaged|truncated"):
        ws.import_character(tmp_path / "broken.png")
    (tmp_path / "plain.png").write_bytes(PNG_SIGNATURE + card.read_bytes()[8:33] + card.read_bytes()[-12:])
    with pytest.raises(UserError, match="without a character card"):
        ws.import_character(tmp_path / "plain.png")
    (tmp_path / "nameless.json").write_bytes(orjson.dumps({"spec": "chara_card_v2", "data": {"description": "x"}}))
    with pytest.raises(UserError, match="no character name"):
        ws.import_character(tmp_path / "nameless.json")


def test_prompt_templates_update_every_entry_that_uses_them(loaded: Workspace, tmp_path: Path) -> None:
    loaded.import_files([write_records(tmp_path / "other.jsonl", RECORDS)], "other")
    loaded.add_prompt("maren", "You are Maren.")
    used = loaded.use_prompt("maren", "chats", Query(text='"You are Maren"', roles=("system",)))
    assert used.details["linked"] == 2 and used.version is None  # the text was already the template's
    loaded.use_prompt("maren", "other", Query(tags=("roleplay",)))
    results = loaded.set_prompt("maren", "You are Maren Vos, keeper of the light.")
    assert sorted((r.dataset, r.changed) for r in results) == [("chats", 2), ("other", 2)]
    assert loaded.entry("chats", "c").conversation.messages[0].text == "You are Maren Vos, keeper of the light."
    assert loaded.entry("chats", "b").conversation.messages[0].role == "user"  # not linked, untouched
    assert loaded.log("chats")[0].kind == "prompt"
    assert loaded.prompts()[0].uses == 4
    with pytest.raises(UserError):
        loaded.add_prompt("maren", "again")
    with pytest.raises(NotFound):
        loaded.set_prompt("nope", "x")


def test_tags_with_categories_in_any_script(loaded: Workspace) -> None:
    loaded.categorize_tag("café", "place")
    loaded.categorize_tag("roleplay", "genre")
    tags = {t.tag: (t.count, t.category) for t in loaded.tags("chats")}
    assert tags == {"roleplay": (2, "genre"), "café": (1, "place")}
    loaded.categorize_tag("café", None)
    assert {t.tag: t.category for t in loaded.tags("chats")}["café"] is None


def test_merge_policies_keep_provenance(ws: Workspace, tmp_path: Path) -> None:
    ws.import_files([write_records(tmp_path / "one.jsonl", RECORDS)], "one")
    changed = [{**RECORDS[0], "messages": RECORDS[0]["messages"][:2]}, {**RECORDS[1], "id": "b2"}, RECORDS[2]]
    ws.import_files([write_records(tmp_path / "two.jsonl", changed)], "two")
    ws.merge(["one", "two"], "all", policy="keep-all")
    assert [e.key for e in ws.page("all").entries] == ["a", "b", "c", "a~2", "b2", "c~2"]
    merged = ws.entry("all", "a~2")
    assert merged.conversation.id == "a" and merged.provenance.path == str(tmp_path / "two.jsonl")
    assert merged.provenance.origin == "merged from two entry a (version 1)"
    ws.merge(["one", "two"], "exact", policy="skip-exact")
    assert [e.key for e in ws.page("exact").entries] == ["a", "b", "c", "a~2"]
    result = ws.merge(["one", "two"], "first", policy="keep-first")
    assert [e.key for e in ws.page("first").entries] == ["a", "b", "c"] and result.details["skipped"] == 3
    with pytest.raises(UserError):
        ws.merge(["one"], "one")
