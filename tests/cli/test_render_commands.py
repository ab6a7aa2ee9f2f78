"""`threadsmith render` and `audit --tokenizer` with a real tokenizer (skipped when it is absent)."""

import json

import pytest

from tests.conftest import SHARED_DATA, chat
from threadsmith.cli import cli

QWEN2 = SHARED_DATA / "tokenizers" / "qwen2.json.gz"
pytestmark = pytest.mark.skipif(not QWEN2.is_file(), reason=f"{QWEN2} is absent")
pytest.importorskip("tokenizers", reason="needs the export extra")

RECORDS = [
    chat(("system", "Be brief."), ("user", "Hi"), ("assistant", "Hello."), ("user", "More?"), ("assistant", "No.")),
    chat(("user", "Hi"), ("user", "Hello?"), ("assistant", "Yes?")),
    chat(("system", "Be brief."), ("user", "Hi")),
]


def test_render_json_shows_the_trained_spans(cli_runner, write_jsonl) -> None:
    path = write_jsonl(RECORDS)
    result = cli_runner.invoke(cli, ["render", str(path), "--tokenizer", str(QWEN2), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["template"] == "chatml" and doc["mask_source"] == "generation"
    assert [doc["text"][a:b] for a, b in doc["trained_spans"]] == ["Hello.<|im_end|>", "No.<|im_end|>"]
    assert sum(m["tokens"] for m in doc["messages"]) == doc["tokens"] == len(doc["input_ids"])
    assert sum(doc["assistant_mask"]) == doc["trained_tokens"]


def test_render_text_and_train_on_last(cli_runner, write_jsonl) -> None:
    path = write_jsonl(RECORDS)
    result = cli_runner.invoke(cli, ["render", str(path), "--tokenizer", str(QWEN2), "--train-on", "last"])
    assert result.exit_code == 0, result.stderr
    assert "assistant" in result.stdout and "trained" in result.stdout


def test_render_a_refused_entry_is_exit_2_with_the_reason(cli_runner, write_jsonl) -> None:
    path = write_jsonl(RECORDS)
    result = cli_runner.invoke(cli, ["render", str(path), "--tokenizer", str(QWEN2), "--template", "mistral",
                                     "--entry", "1"])
    assert result.exit_code == 2
    assert "must alternate" in result.stderr and "Traceback" not in result.stderr


def test_render_needs_a_tokenizer_and_a_real_entry(cli_runner, write_jsonl) -> None:
    path = write_jsonl(RECORDS)
    assert cli_runner.invoke(cli, ["render", str(path)]).exit_code == 2
    missing = cli_runner.invoke(cli, ["render", str(path), "--tokenizer", str(QWEN2), "--entry", "9"])
    assert missing.exit_code == 2 and "no entry 9" in missing.stderr


def test_audit_with_a_tokenizer_runs_the_template_checks(cli_runner, write_jsonl) -> None:
    path = write_jsonl(RECORDS)
    plain = json.loads(cli_runner.invoke(cli, ["audit", str(path), "--format", "json", "--select", "TM"]).stdout)
    assert plain["findings"] == []  # not selected without a tokenizer
    result = cli_runner.invoke(cli, ["audit", str(path), "--format", "json", "--select", "TM,LN001",
                                     "--tokenizer", str(QWEN2), "--template", "gemma", "--max-tokens", "10"])
    doc = json.loads(result.stdout)
    found = {(f["code"], f["entry_index"]) for f in doc["findings"]}
    # gemma's <end_of_turn> is no single token of Qwen2: TM004 says the template does not fit
    assert found == {("TM001", 1), ("TM002", 2), ("TM004", 0), ("TM005", 0), ("LN001", 0), ("LN001", 2)}


def test_render_an_entry_of_a_workspace_dataset(cli_runner, write_jsonl, tmp_path) -> None:
    path = write_jsonl(RECORDS, name="demo.jsonl")
    workspace = str(tmp_path / "ws")
    assert cli_runner.invoke(cli, ["import", str(path), "-d", "demo", "--workspace", workspace]).exit_code == 0
    result = cli_runner.invoke(cli, ["render", "--dataset", "demo", "--entry", "demo:0", "--workspace", workspace,
                                     "--tokenizer", str(QWEN2), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["trained_tokens"] > 0
