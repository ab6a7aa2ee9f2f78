"""Exports from a workspace dataset version (facade and CLI), and the export command on a file."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from tests.export.conftest import RECORDS, synthetic, write_records
from threadsmith.cli import cli
from threadsmith.export import ExportOptions, Filters, SplitSpec
from threadsmith.workspace import Workspace
from threadsmith.workspace.operations import Exclude

EMPTY_REPLY = {"id": "bad-1", "messages": [{"role": "user", "content": "Hello?"}, {"role": "assistant", "content": ""}]}


def _ids(path: Path) -> list[str]:
    return [orjson.loads(line)["id"] for line in path.read_bytes().splitlines()]


def test_version_export_leaves_out_excluded_and_filtered_entries(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        ws.import_files([write_records(tmp_path / "c.jsonl", [*RECORDS, EMPTY_REPLY])], "chats")
        key = ws.page("chats").entries[0].key
        ws.apply("chats", [Exclude(key=key, reason="off topic")])
        result = ws.export_for_training("chats", tmp_path / "o", ExportOptions(
            target="hf", filters=Filters(drop_severity="error")), version="latest")
        old = ws.export_for_training("chats", tmp_path / "v1", ExportOptions(target="jsonl"), version=1)
    assert result.counts == {"read": 3, "unreadable": 0, "excluded": 1, "filtered": 1, "unused": 0, "unsupported": 0,
                             "written": 2}
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["source"]["dataset"] == "chats" and manifest["source"]["version"] == 2
    assert old.counts["written"] == 4 and _ids(tmp_path / "v1" / "train.jsonl") == ["geo-1", "rp-1", "math-1", "bad-1"]


def test_version_export_splits_without_leakage(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        ws.import_files([write_records(tmp_path / "c.jsonl", synthetic(40))], "big")
        result = ws.export_for_training("big", tmp_path / "o", ExportOptions(
            target="trl", split=SplitSpec.parse("0.5,0.25,0.25", seed=5, stratify="tag")))
    assert sum(result.sizes.values()) == 40 and sum(result.leakage.values()) == 0


@pytest.fixture
def invoke(cli_runner, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("THREADSMITH_WORKSPACE", str(tmp_path / "ws"))

    def run(*args: str, code: int = 0):
        result = cli_runner.invoke(cli, list(args))
        assert result.exit_code == code, result.stdout + result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        return result

    return run


def test_cli_exports_a_file_with_split_filters_and_cost(invoke, tmp_path: Path) -> None:
    source = write_records(tmp_path / "c.jsonl", [*synthetic(30), EMPTY_REPLY])
    result = invoke("export", str(source), "-o", str(tmp_path / "o"), "--to", "openai", "--split", "0.8,0.1,0.1",
                    "--seed", "3", "--drop-severity", "error")
    assert "leakage 0" in result.stderr and "billed tokens per epoch" in result.stderr
    assert "bad-1" not in (tmp_path / "o" / "train.jsonl").read_text()
    data = json.loads(invoke("export", str(source), "-o", str(tmp_path / "j"), "--to", "trl", "--tag", "b",
                             "--format", "json").stdout)
    assert data["counts"]["written"] == 10 and data["dropped"] == {"tag": 21}


def test_cli_exports_a_dataset_version(invoke, tmp_path: Path) -> None:
    invoke("import", str(write_records(tmp_path / "c.jsonl", RECORDS)), "-d", "d")
    result = invoke("export", "-d", "d", "-o", str(tmp_path / "o"), "--to", "llamafactory", "--name", "d")
    assert "wrote 3 of 3 entries" in result.stderr and (tmp_path / "o" / "dataset_info.json").is_file()


@pytest.mark.parametrize(("args", "says"), [
    ((), "Give either a SOURCE file or --dataset NAME"),
    (("c.jsonl", "--split", "0.5"), "needs two or three parts"),
    (("c.jsonl", "--to", "alpaca"), "Alpaca holds exactly one user turn"),
    (("c.jsonl", "--stratify", "tag"), "--stratify needs --split"),
    (("missing.jsonl",), "No such file"),
])
def test_cli_errors_are_messages_not_tracebacks(invoke, tmp_path: Path, monkeypatch, args: tuple, says: str) -> None:
    monkeypatch.chdir(tmp_path)
    write_records(tmp_path / "c.jsonl", RECORDS)
    result = invoke("export", *args, "-o", str(tmp_path / "o"), code=2)
    assert says in result.stderr
