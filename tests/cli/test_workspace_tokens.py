"""A workspace dataset with a tokenizer: `audit --dataset --tokenizer` and LN001's fixes by `fix`."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from tests.conftest import chat
from threadsmith.cli import cli
from threadsmith.formats import read_file

pytest.importorskip("tokenizers", reason="needs the export extra")
from threadsmith.rendering import byte_tokenizer  # noqa: E402

TOK = byte_tokenizer()  # one token a byte, chatml: counts are easy to check
SYSTEM = "You are Maren, the lighthouse keeper."
LONG = chat(("system", SYSTEM), ("user", "Who are you?"), ("assistant", "I keep the light on this rock. " * 3),
            ("user", "Is it lonely?"), ("assistant", "Only in winter, when the boat stops coming. " * 2),
            ("user", "What do you eat?"), ("assistant", "Fish, mostly, and the tins the boat brings."),
            ("user", "Goodbye."), ("assistant", "Mind the steps on the way down."))
SHORT = chat(("user", "Hi"), ("assistant", "Hello."))
BUDGET = 200


@pytest.fixture
def run(cli_runner, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("THREADSMITH_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def invoke(*args: str, code: int = 0):
        result = cli_runner.invoke(cli, list(args))
        assert result.exit_code == code, result.stdout + result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        return result

    return invoke


@pytest.fixture
def dataset(run, write_jsonl, tmp_path: Path) -> list[str]:
    """Dataset ``d`` of a long roleplay between two short chats; the tokenizer options."""
    run("import", str(write_jsonl([SHORT, LONG, SHORT], name="keeper.jsonl")), "--dataset", "d")
    TOK.tokenizer.save(str(tmp_path / "tokenizer.json"))
    return ["--tokenizer", str(tmp_path / "tokenizer.json"), "--template", "chatml", "--max-tokens", str(BUDGET)]


def test_audit_dataset_with_a_tokenizer_counts_real_tokens(run, dataset: list[str]) -> None:
    report = json.loads(run("audit", "--dataset", "d", "--format", "json", "--select", "LN001,TM", *dataset,
                            code=1).stdout)
    ln001 = [f for f in report["findings"] if f["code"] == "LN001"]
    assert [f["entry_id"] for f in ln001] == ["keeper:1"]
    assert "(template 'chatml')" in ln001[0]["message"] and f"{BUDGET:,}-token budget" in ln001[0]["message"]
    assert "unsafe" in ln001[0]["fix"]
    assert {"TM001", "TM002", "LN001"} <= set(report["summary"]["checks"])
    # Without the tokenizer the same dataset gets the estimate (another cache key, not the counted result).
    plain = json.loads(run("audit", "--dataset", "d", "--format", "json", "--select", "LN001,TM").stdout)
    assert plain["findings"] == [] and not any(c.startswith("TM") for c in plain["summary"]["checks"])


def test_fix_splits_an_entry_over_the_budget_into_windows(run, dataset: list[str], tmp_path: Path) -> None:
    out = run("fix", "--dataset", "d", "--codes", "LN001", "--unsafe", "--over-budget", "split", *dataset).stderr
    assert "version 2" in out
    run("export", "--dataset", "d", "-o", str(tmp_path / "out.jsonl"))
    exported = [orjson.loads(line) for line in (tmp_path / "out.jsonl").read_bytes().splitlines()]
    assert exported[0] == SHORT and exported[-1] == SHORT
    windows = exported[1:-1]
    assert len(windows) >= 2
    conversations = list(read_file(tmp_path / "out.jsonl"))[1:-1]
    for window, conversation in zip(windows, conversations):
        assert window["messages"][0] == {"role": "system", "content": SYSTEM}
        assert window["messages"][-1]["role"] == "assistant"
        assert TOK.count([conversation])[0].total <= BUDGET
    # Every turn is kept, in order, once.
    assert [m for w in windows for m in w["messages"][1:]] == LONG["messages"][1:]
    # Provenance: the new windows come from the same source line, and say how they were made.
    shown = json.loads(run("show", "keeper:1-w2", "--dataset", "d", "--format", "json").stdout)
    assert shown["provenance"]["path"].endswith("keeper.jsonl") and shown["provenance"]["line"] == 2
    assert "split from keeper:1" in shown["provenance"]["origin"]
    # After the fix LN001 has nothing left to report.
    again = json.loads(run("audit", "--dataset", "d", "--format", "json", "--select", "LN001", *dataset).stdout)
    assert again["findings"] == [] and again["summary"]["conversations"] == 2 + len(windows)


def test_fix_truncate_and_drop_choices(run, dataset: list[str]) -> None:
    run("fix", "--dataset", "d", "--codes", "LN001", "--unsafe", "--over-budget", "drop", *dataset)
    report = json.loads(run("audit", "--dataset", "d", "--format", "json", "--select", "LN001", *dataset).stdout)
    assert report["summary"]["conversations"] == 2
    # --over-budget says what it needs instead of doing nothing.
    refused = run("fix", "--dataset", "d", "--codes", "LN001", "--over-budget", "split", *dataset, code=2)
    assert "--unsafe" in refused.stderr
    refused = run("fix", "--dataset", "d", "--codes", "LN001", "--unsafe", "--over-budget", "split", code=2)
    assert "--tokenizer" in refused.stderr


def test_file_audit_fix_writes_every_window(run, write_jsonl, tmp_path: Path) -> None:
    TOK.tokenizer.save(str(tmp_path / "tokenizer.json"))
    settings = tmp_path / "threadsmith.toml"
    settings.write_text('[checks.LN001]\nfix_strategy = "split"\n', encoding="utf-8")
    source = write_jsonl([SHORT, LONG], name="keeper.jsonl")
    run("audit", str(source), "--select", "LN001", "--unsafe-fixes", "-o", str(tmp_path / "fixed.jsonl"),
        "--config", str(settings), "--tokenizer", str(tmp_path / "tokenizer.json"), "--template", "chatml",
        "--max-tokens", str(BUDGET))
    fixed = [orjson.loads(line) for line in (tmp_path / "fixed.jsonl").read_bytes().splitlines()]
    assert fixed[0] == SHORT and len(fixed) >= 3
    assert all(w["messages"][0]["content"] == SYSTEM for w in fixed[1:])
    assert [m for w in fixed[1:] for m in w["messages"][1:]] == LONG["messages"][1:]
