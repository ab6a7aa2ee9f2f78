"""Import, log, export, diff, restore, tags and backup of a workspace."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest

from tests.workspace.conftest import RECORDS, write_records
from threadsmith.errors import NotFound, UserError
from threadsmith.workspace import Workspace
from threadsmith.workspace.operations import Delete, Exclude, SetText


def test_import_creates_version_one_with_provenance(ws: Workspace, data: Path) -> None:
    result = ws.import_files([data], "chats")
    assert result.imported == 3 and result.version.number == 1 and result.version.kind == "import"
    [info] = ws.datasets()
    assert (info.name, info.head, info.entries) == ("chats", 1, 3)
    entry = ws.entry("chats", "b")
    assert entry.provenance.path == str(data) and entry.provenance.line == 2 and entry.provenance.index == 1
    assert entry.provenance.format == "openai" and entry.provenance.batch == 1
    assert entry.conversation.messages[1].text == "Sixteen."


def test_export_is_byte_exact(ws: Workspace, tmp_path: Path) -> None:
    odd = [
        {"id": "w", "messages": [{"role": "user", "content": "  lead\tand trail  \n\n", "x-note": {"z": 1, "a": [2, 3.5]}},
                                 {"role": "GPT", "content": "Ça va?\u00a0ロールプレイ\r\n"}], "tags": ["café", "ロールプレイ"],
         "zz_unknown": {"keep": True}, "aa": None},
        {"id": 7, "messages": [{"role": "user", "content": "int id"}, {"role": "assistant", "content": "", "weight": 0}]},
        {"messages": [{"role": "user", "content": "no id"}, {"role": "assistant", "content": "ok"}], "tags": []},
        {"id": "s1", "conversations": [{"from": "human", "value": " x "}, {"from": "gpt", "value": "y"}]},
    ]
    source = write_records(tmp_path / "odd.jsonl", odd)
    ws.import_files([source], "odd")
    ws.export("odd", tmp_path / "out.jsonl")
    assert (tmp_path / "out.jsonl").read_bytes() == source.read_bytes()


def test_identical_content_is_stored_once(ws: Workspace, tmp_path: Path) -> None:
    same = [{**RECORDS[1], "id": f"copy-{i}"} for i in range(5)]
    result = ws.import_files([write_records(tmp_path / "same.jsonl", same)], "d")
    assert result.imported == 5 and result.new_contents == 1
    assert ws.store.db.conn.execute("SELECT count(*) FROM contents").fetchone()[0] == 1


def test_keys_are_stable_and_duplicates_get_a_suffix(ws: Workspace, tmp_path: Path, data: Path) -> None:
    ws.import_files([data], "d")
    ws.import_files([data], "d")
    keys = [e.key for e in ws.page("d", limit=10).entries]
    assert keys == ["a", "b", "c", "a~2", "b~2", "c~2"]
    assert ws.entry("d", "a~2").conversation.id == "a"  # the data's id is written back unchanged
    no_ids = write_records(tmp_path / "noid.jsonl", [{"messages": [{"role": "user", "content": "x"}]}] * 2)
    ws.import_files([no_ids], "n")
    assert [e.key for e in ws.page("n").entries] == ["noid:0", "noid:1"]


def test_unreadable_records_are_reported_and_the_rest_imported(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(orjson.dumps(RECORDS[0]) + b"\n{not json\n" + orjson.dumps(RECORDS[1]) + b"\n")
    result = ws.import_files([path], "m")
    assert result.imported == 2 and len(result.problems) == 1 and result.problems[0].line == 2


def test_a_file_with_nothing_readable_imports_nothing(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("{nope\n")
    with pytest.raises(UserError, match="nothing was imported"):
        ws.import_files([path], "bad")
    assert ws.datasets() == []


def test_log_lists_versions_newest_first(loaded: Workspace) -> None:
    loaded.apply("chats", [SetText("a", 2, "Calm seas.")], message="calmer")
    log = loaded.log("chats")
    assert [(v.number, v.kind, v.message) for v in log] == [(2, "edit", "calmer"), (1, "import", log[1].message)]
    assert log[0].author and log[0].created_at.endswith("Z") and log[0].entries == 3 and log[0].changed == 1


def test_author_comes_from_the_environment(loaded: Workspace, monkeypatch) -> None:
    monkeypatch.setenv("THREADSMITH_AUTHOR", "Ada Lovelace")
    loaded.apply("chats", [Delete("b")])
    assert loaded.log("chats")[0].author == "Ada Lovelace"


def test_diff_shows_entries_and_turns(loaded: Workspace, tmp_path: Path) -> None:
    loaded.apply("chats", [SetText("a", 2, "Storm's coming.\nBatten down."), Delete("b"), Exclude("c", reason="dup")])
    loaded.import_files([write_records(tmp_path / "more.jsonl", [{**RECORDS[1], "id": "d"}])], "chats")
    diff = loaded.diff("chats", 1, "latest")
    assert (diff.added, diff.removed, diff.changed, diff.excluded) == (1, 1, 1, 1)
    changed = next(c for c in diff.changes if c.kind == "changed")
    assert changed.key == "a"
    [turn] = changed.turns
    assert turn.kind == "changed" and turn.before_index == 2 and "+Batten down." in turn.lines
    back = loaded.diff("chats", "latest", 1)
    assert (back.added, back.removed) == (1, 1)


def test_restore_is_a_new_version_and_history_is_kept(loaded: Workspace, tmp_path: Path) -> None:
    original = (tmp_path / "v1.jsonl")
    loaded.export("chats", original)
    loaded.apply("chats", [SetText("a", 2, "Changed."), Delete("b")])
    loaded.apply("chats", [Exclude("c", reason="x")])
    version = loaded.restore("chats", 1)
    assert version.number == 4 and version.kind == "restore"
    loaded.export("chats", tmp_path / "v4.jsonl")
    assert (tmp_path / "v4.jsonl").read_bytes() == original.read_bytes()
    assert loaded.entry("chats", "a", version=2).conversation.messages[2].text == "Changed."
    assert loaded.diff("chats", 1, 4).changes == ()
    assert loaded.restore("chats", 4) is None  # nothing to do


def test_tags_and_version_references(loaded: Workspace) -> None:
    loaded.apply("chats", [Delete("a")])
    loaded.apply("chats", [Delete("b")])
    loaded.tag("chats", 1, "trained-run-3")
    loaded.tag("chats", "latest", "ロールプレイ-é")
    assert loaded.resolve("chats", "trained-run-3") == 1
    assert loaded.resolve("chats", "latest") == 3
    assert loaded.resolve("chats", "latest~2") == 1
    assert loaded.resolve("chats", "ロールプレイ-é~1") == 2
    assert loaded.resolve("chats", "2") == 2
    assert loaded.log("chats")[-1].tags == ("trained-run-3",)
    with pytest.raises(NotFound):
        loaded.resolve("chats", "latest~3")
    with pytest.raises(NotFound):
        loaded.resolve("chats", "no-such-tag")
    with pytest.raises(UserError):
        loaded.tag("chats", 2, "trained-run-3")
    assert loaded.tag("chats", 2, "trained-run-3", move=True).number == 2
    with pytest.raises(UserError):
        loaded.tag("chats", 2, "latest")


def test_export_any_version_and_leave_out_excluded(loaded: Workspace, tmp_path: Path, data: Path) -> None:
    loaded.apply("chats", [Exclude("b", reason="too short")])
    result = loaded.export("chats", tmp_path / "now.jsonl")
    assert (result.written, result.excluded) == (2, 1)
    assert [orjson.loads(line)["id"] for line in (tmp_path / "now.jsonl").read_bytes().splitlines()] == ["a", "c"]
    loaded.export("chats", tmp_path / "then.jsonl", version=1)
    assert (tmp_path / "then.jsonl").read_bytes() == data.read_bytes()
    loaded.export("chats", tmp_path / "sharegpt.jsonl", version=1, fmt="sharegpt")
    assert b'"from":"human"' in (tmp_path / "sharegpt.jsonl").read_bytes()


def test_pages_by_keyset(ws: Workspace, tmp_path: Path) -> None:
    records = [{"id": f"r{i:03d}", "messages": [{"role": "user", "content": f"n{i}"}]} for i in range(120)]
    ws.import_files([write_records(tmp_path / "many.jsonl", records)], "m")
    keys, cursor = [], None
    while True:
        page = ws.page("m", cursor=cursor, limit=50)
        keys += [e.key for e in page.entries]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert keys == [r["id"] for r in records]


def test_backup_is_a_complete_consistent_copy(loaded: Workspace, tmp_path: Path) -> None:
    target = loaded.backup(tmp_path / "backup.sqlite")
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with Workspace.open(target) as copy:
        assert [d.name for d in copy.datasets()] == ["chats"]
        assert copy.entry("chats", "a").conversation == loaded.entry("chats", "a").conversation
    with pytest.raises(UserError, match="never overwrites"):
        loaded.backup(target)


def test_open_locations(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Workspace.open() as ws:
        assert ws.path == str(Path("threadsmith-workspace") / "workspace.sqlite")
    monkeypatch.setenv("THREADSMITH_WORKSPACE", str(tmp_path / "elsewhere"))
    with Workspace.open() as ws:
        assert ws.path == str(tmp_path / "elsewhere" / "workspace.sqlite")
    with pytest.raises(NotFound, match="No workspace"):
        Workspace.open(tmp_path / "missing", create=False)


def test_unknown_names_are_not_found_with_hints(loaded: Workspace) -> None:
    with pytest.raises(NotFound, match="Datasets here: chats"):
        loaded.log("nope")
    with pytest.raises(NotFound, match="no entry"):
        loaded.entry("chats", "zzz")
