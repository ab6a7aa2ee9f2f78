"""The workspace commands end to end: import -> audit -> fix -> diff -> restore -> export, and the rest."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from tests.conftest import DIRTY_FIXTURE
from threadsmith.cli import cli
from threadsmith.workspace.cards import write_png_card


@pytest.fixture
def run(cli_runner, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("THREADSMITH_WORKSPACE", str(tmp_path / "ws"))

    def invoke(*args: str, code: int = 0, stdin: str | None = None):
        result = cli_runner.invoke(cli, list(args), input=stdin)
        assert result.exit_code == code, result.stdout + result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        return result

    return invoke


@pytest.fixture
def dirty(tmp_path: Path) -> Path:
    path = tmp_path / "dirty.jsonl"
    path.write_text(DIRTY_FIXTURE, encoding="utf-8")
    return path


def test_walk_through(run, dirty: Path, tmp_path: Path) -> None:
    assert "imported 6 entries into d as version 1" in run("import", str(dirty), "--dataset", "d").stderr
    report = json.loads(run("audit", "--dataset", "d", "--format", "json", code=1).stdout)
    assert report["summary"]["conversations"] == 6 and "ST008" in report["summary"]["by_code"]
    again = json.loads(run("audit", "--dataset", "d", "--format", "json", "--refresh", code=1).stdout)
    assert again["summary"]["by_code"] == report["summary"]["by_code"]
    assert "--refresh applies to --dataset" in run("audit", str(dirty), "--refresh", code=2).stderr
    assert "version 2" in run("fix", "--dataset", "d").stderr
    diff = run("diff", "1", "2", "--dataset", "d").stdout
    assert "changed" in diff and "structure" in diff and "-" in diff
    run("tag", "1", "raw", "--dataset", "d")
    log = run("log", "--dataset", "d").stdout
    assert "(raw)" in log and "fix" in log
    assert "version 3" in run("restore", "raw", "--dataset", "d").stderr
    run("export", "--dataset", "d", "-o", str(tmp_path / "out.jsonl"))
    original = [orjson.loads(line) for line in dirty.read_bytes().splitlines()]
    assert [orjson.loads(line) for line in (tmp_path / "out.jsonl").read_bytes().splitlines()] == original
    run("export", "--dataset", "d", "--version", "2", "--to", "sharegpt", "-o", str(tmp_path / "fixed.jsonl"))
    assert b'"from":"human"' in (tmp_path / "fixed.jsonl").read_bytes()
    shown = run("show", "dirty:3", "--dataset", "d", "--version", "raw").stdout
    assert "1 user   Hi " in shown and "dirty.jsonl:4" in shown
    record = json.loads(run("show", "dirty:3", "-d", "d", "--format", "json").stdout)
    assert record["since"] == 3 and len(record["content_hash"]) == 32
    datasets = json.loads(run("datasets", "--format", "json").stdout)
    assert datasets[0]["name"] == "d" and datasets[0]["head"] == 3


def test_edit_commands_and_search(run, dirty: Path) -> None:
    run("import", str(dirty), "-d", "d")
    run("edit", "set-text", "dirty:0", "1", "Greetings traveller", "-d", "d")
    run("edit", "set-text", "dirty:0", "2", "-", "-d", "d", stdin="From stdin\n")
    run("edit", "insert-turn", "dirty:0", "3", "user", "And?", "-d", "d")
    run("edit", "move-turn", "dirty:0", "3", "1", "-d", "d")
    run("edit", "delete-turn", "dirty:0", "1", "-d", "d")
    run("edit", "set-role", "dirty:5", "0", "system", "-d", "d")
    run("edit", "tags", "dirty:1", "--add", "café", "--add", "ロールプレイ", "-d", "d")
    run("edit", "duplicate", "dirty:1", "-d", "d")
    run("edit", "split", "dirty:0", "2", "-d", "d")
    run("edit", "join", "dirty:0", "dirty:0-2", "-d", "d")
    run("edit", "exclude", "dirty:2", "--reason", "dup", "-d", "d")
    run("edit", "include", "dirty:2", "-d", "d")
    run("edit", "delete", "dirty:4", "-d", "d")
    hits = json.loads(run("search", "traveller", "-d", "d", "--format", "json").stdout)["hits"]
    assert [h["key"] for h in hits] == ["dirty:0"]
    assert "dirty:1" in run("search", "-d", "d", "--tag", "ロールプレイ").stdout
    result = run("edit", "tags", "--where", "Hi", "--add", "greeting", "-d", "d")
    assert "selected" in result.stderr
    assert "greeting" in run("tags", "list", "-d", "d").stdout
    run("edit", "exclude", "--code", "ST008", "--reason", "padded", "-d", "d")
    assert "padded" in run("search", "-d", "d", "--excluded").stdout
    assert len(json.loads(run("log", "-d", "d", "--format", "json").stdout)) == 16


def test_conflicts_and_errors_exit_2_with_a_hint(run, dirty: Path) -> None:
    run("import", str(dirty), "-d", "d")
    run("edit", "set-text", "dirty:0", "1", "New", "-d", "d")
    result = run("edit", "set-text", "dirty:0", "1", "Mine", "-d", "d", "--base-version", "1", code=2)
    assert "dirty:0" in result.stderr and "version 1" in result.stderr and "hint" in result.stderr
    assert "No dataset named" in run("log", "-d", "nope", code=2).stderr
    assert "no turn 9" in run("edit", "set-text", "dirty:0", "9", "x", "-d", "d", code=2).stderr
    assert "Name an entry KEY" in run("edit", "delete", "-d", "d", code=2).stderr
    assert "fix --dataset" in run("audit", "--dataset", "d", "--fix", code=2).stderr


def test_reading_commands_do_not_create_a_workspace(run, tmp_path: Path) -> None:
    assert "No workspace" in run("datasets", code=2).stderr
    assert not (tmp_path / "ws").exists()


def test_libraries_merge_and_backup(run, dirty: Path, tmp_path: Path) -> None:
    run("import", str(dirty), "-d", "a")
    run("import", str(dirty), "-d", "b")
    assert "skipped 6" in run("merge", "a", "b@1", "--into", "all", "--policy", "skip-exact").stderr
    card = write_png_card(tmp_path / "maren.png", {"spec": "chara_card_v2", "data": {"name": "Maren Vos",
                                                                                       "first_mes": "Hm."}})
    assert "added Maren Vos" in run("characters", "import", str(card)).stderr
    assert "Maren Vos" in run("characters", "list").stdout
    run("prompts", "add", "sys", "System")
    run("prompts", "use", "sys", "-d", "a", "--where", "System", "--role", "system")
    assert "version" in run("prompts", "set", "sys", "You are helpful.").stderr
    assert "You are helpful." in run("prompts", "list").stdout
    run("backup", str(tmp_path / "copy.sqlite"))
    assert (tmp_path / "copy.sqlite").stat().st_size > 0


def test_show_spells_out_tool_calls_and_what_each_result_answers(run, tmp_path: Path) -> None:
    from tests.formats.test_tool_calls import OPENAI

    path = tmp_path / "tools.jsonl"
    path.write_bytes(orjson.dumps(OPENAI) + b"\n")
    run("import", str(path), "--dataset", "t")
    shown = run("show", "tools:0", "--dataset", "t").stdout
    assert '→ get_weather({"city": "Paris"})' in shown and "↳ result of c1" in shown
