"""Editing: pure edits of a conversation, and operations applied to entries as versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from threadsmith.errors import UserError
from threadsmith.model import Conversation, Message
from threadsmith.workspace import Workspace, editing
from threadsmith.workspace import operations as ops
from threadsmith.workspace.query import Query

CONV = Conversation("x", (Message("system", "Be Maren."), Message("user", "u1"), Message("assistant", "a1"),
                          Message("user", "u2"), Message("assistant", "a2")), tags=("rp",))


def test_split_keeps_the_system_prompt_in_both_parts() -> None:
    first, second = editing.split(CONV, 3)
    assert [m.text for m in first.messages] == ["Be Maren.", "u1", "a1"]
    assert [m.text for m in second.messages] == ["Be Maren.", "u2", "a2"]
    with pytest.raises(UserError, match="cannot be split"):
        editing.split(CONV, 1)


def test_join_drops_a_repeated_system_prompt_and_merges_tags() -> None:
    other = Conversation("y", (Message("system", "Be Maren."), Message("user", "u3")), tags=("rp", "café"))
    joined = editing.join([CONV, other])
    assert [m.text for m in joined.messages] == ["Be Maren.", "u1", "a1", "u2", "a2", "u3"]
    assert joined.tags == ("rp", "café")


def test_turn_edits() -> None:
    assert editing.set_text(CONV, 2, "  new\n").messages[2].text == "  new\n"
    assert editing.set_role(CONV, 2, "user").messages[2].role == "user"
    assert [m.text for m in editing.move_turn(CONV, 4, 1).messages][:3] == ["Be Maren.", "a2", "u1"]
    assert len(editing.delete_turn(CONV, 0).messages) == 4
    assert editing.insert_turn(CONV, 5, "user", "u3").messages[5].text == "u3"
    assert editing.set_tags(CONV, add=("ロールプレイ",), remove=("rp",)).tags == ("ロールプレイ",)
    with pytest.raises(UserError, match="turns are numbered 0 to 4"):
        editing.set_text(CONV, 9, "x")


def test_operations_make_one_version_each_call(loaded: Workspace) -> None:
    result = loaded.apply("chats", [ops.SetText("a", 1, "Hello"), ops.SetRole("b", 0, "system"),
                                    ops.InsertTurn("b", 2, "user", "More?"), ops.MoveTurn("c", 4, 3),
                                    ops.DeleteTurn("c", 2), ops.SetTags("a", add=("café",))])
    assert result.version.number == 2 and result.changed == 3
    b = loaded.entry("chats", "b").conversation
    assert [(m.role, m.text) for m in b.messages][-1] == ("user", "More?") and b.messages[0].role == "system"
    assert loaded.entry("chats", "a").conversation.tags == ("roleplay", "café")


def test_split_duplicate_and_join_create_and_delete_entries(loaded: Workspace) -> None:
    loaded.apply("chats", [ops.Split("c", 3), ops.Duplicate("b")], message="reshape")
    keys = [e.key for e in loaded.page("chats").entries]
    assert keys == ["a", "b", "b-copy", "c", "c-2"]
    part = loaded.entry("chats", "c-2")
    assert [m.role for m in part.conversation.messages] == ["system", "user", "assistant"]
    assert part.conversation.id == "c-2"  # exported under its own id
    assert part.provenance.origin.startswith("split from c at turn 3")
    assert part.provenance.path == loaded.entry("chats", "c").provenance.path
    loaded.apply("chats", [ops.Join("c", ("c-2",))])
    assert [e.key for e in loaded.page("chats").entries] == ["a", "b", "b-copy", "c"]
    assert len(loaded.entry("chats", "c").conversation.messages) == 5


def test_exclude_needs_a_reason_and_include_brings_back(loaded: Workspace) -> None:
    with pytest.raises(UserError, match="reason"):
        loaded.apply("chats", [ops.Exclude("a", reason=" ")])
    loaded.apply("chats", [ops.Exclude("a", reason="off topic")])
    assert loaded.entry("chats", "a").excluded == "off topic"
    assert [c.id for c in loaded.conversations("chats")] == ["b", "c"]
    loaded.apply("chats", [ops.Include("a")])
    assert loaded.entry("chats", "a").excluded is None


def test_an_edit_that_changes_nothing_makes_no_version(loaded: Workspace) -> None:
    result = loaded.apply("chats", [ops.SetText("b", 1, "Sixteen.")])
    assert result.version is None and len(loaded.log("chats")) == 1


def test_deleted_entries_cannot_be_edited(loaded: Workspace) -> None:
    loaded.apply("chats", [ops.Delete("b")])
    with pytest.raises(UserError, match="deleted"):
        loaded.apply("chats", [ops.SetText("b", 0, "x")])


def test_bulk_edits_on_a_query_are_one_version(loaded: Workspace) -> None:
    result = loaded.apply_where("chats", Query(tags=("roleplay",)), ops.SetTags(None, add=("maren",)))
    assert result.changed == 2 and result.version.kind == "bulk-edit"
    result = loaded.apply_where("chats", Query(text="tablespoons"), ops.Exclude(None, reason="cooking"))
    assert result.changed == 1 and loaded.entry("chats", "b").excluded == "cooking"
    assert len(loaded.log("chats")) == 3


def test_positions_stay_ordered_after_many_inserts(ws: Workspace, tmp_path: Path) -> None:
    from tests.workspace.conftest import RECORDS, write_records

    ws.import_files([write_records(tmp_path / "d.jsonl", RECORDS)], "d")
    for _ in range(5):
        ws.apply("d", [ops.Duplicate("a")])
    keys = [e.key for e in ws.page("d").entries]
    assert keys[0] == "a" and keys[-2:] == ["b", "c"] and len(keys) == 8
