"""Golden files for every target on tiny literal data, and the errors for what a trainer cannot take.

Set THREADSMITH_UPDATE_GOLDEN=1 to rewrite the golden files (then review the diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import orjson
import pytest

from tests.export.conftest import GOLDEN, RECORDS, SINGLE_TURN, write_records
from threadsmith.errors import UnsupportedConversion
from threadsmith.export import TARGET_NAMES, ExportOptions, export, file_source
from threadsmith.export.records import BUILDERS
from threadsmith.model import Conversation, Message

UPDATE = os.environ.get("THREADSMITH_UPDATE_GOLDEN") == "1"
#: Files compared byte for byte (manifests hold times and absolute paths; Parquet is compared by rows).
TEXT_FILES = {"train.jsonl", "axolotl.yaml", "dataset_info.json", "README.md"}


def _compare(produced: Path, golden: Path) -> None:
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(produced.read_bytes())
    assert produced.read_bytes() == golden.read_bytes(), f"{produced.name} differs from {golden}"


@pytest.mark.parametrize("target", [t for t in TARGET_NAMES if t != "hf"])
def test_golden_jsonl_targets(target: str, tmp_path: Path) -> None:
    source = write_records(tmp_path / "chats.jsonl", SINGLE_TURN if target == "alpaca" else RECORDS)
    out = tmp_path / "out"
    result = export(file_source(source), out, ExportOptions(target=target, name="chats"))
    written = {p.name for p in out.iterdir()}
    assert written == {"train.jsonl", "manifest.json"} | {"axolotl": {"axolotl.yaml"},
                                                           "llamafactory": {"dataset_info.json"}}.get(target, set())
    for name in sorted(written & TEXT_FILES):
        _compare(out / name, GOLDEN / target / name)
    assert result.counts["written"] == (2 if target == "alpaca" else 3)


def test_golden_hf_rows_and_card(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "out"
    export(file_source(write_records(tmp_path / "chats.jsonl", RECORDS)), out, ExportOptions(target="hf", name="chats"))
    rows = pq.read_table(out / "data" / "train-00000-of-00001.parquet").to_pylist()
    golden = GOLDEN / "hf" / "rows.json"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert rows == json.loads(golden.read_text(encoding="utf-8"))
    _compare(out / "README.md", GOLDEN / "hf" / "README.md")
    assert (out / "arrow" / "dataset_dict.json").is_file()


def test_trl_keeps_every_turn_and_openai_keeps_weights(tmp_path: Path) -> None:
    out = tmp_path / "o"
    export(file_source(write_records(tmp_path / "c.jsonl", RECORDS)), out, ExportOptions(target="openai"))
    math = orjson.loads((out / "train.jsonl").read_bytes().splitlines()[2])
    assert [m.get("weight") for m in math["messages"]] == [None, 0, None, 1]
    trl = export(file_source(tmp_path / "c.jsonl"), tmp_path / "t", ExportOptions(target="trl"))
    assert "1 entries have assistant turns with weight 0" in trl.problems[0]
    trl = BUILDERS["trl-prompt-completion"](_conversation("user", "assistant", "user", "assistant"))
    assert [m["role"] for m in trl["prompt"]] == ["user", "assistant", "user"] and len(trl["completion"]) == 1


def _conversation(*roles: str, weight: float | None = None, cid: str = "x-9") -> Conversation:
    return Conversation(cid, tuple(Message(r, f"turn {i}", weight=weight if r == "assistant" else None)
                                   for i, r in enumerate(roles)))


@pytest.mark.parametrize(("target", "roles", "weight", "says"), [
    ("alpaca", ("user", "assistant", "user", "assistant"), None, "Alpaca holds exactly one user turn"),
    ("alpaca", ("user",), None, "Alpaca holds exactly one user turn"),
    ("openai", ("user", "narrator", "assistant"), None, "role 'narrator'"),
    ("openai", ("user", "assistant"), 0, "no trained assistant message"),
    ("openai", ("user", "assistant"), 0.5, "weight 0 or 1"),
    ("llamafactory", ("user", "user", "assistant"), None, "alternating"),
    ("llamafactory", ("user", "assistant", "user"), None, "end on an assistant turn"),
    ("trl", ("system", "user"), None, "no assistant turn"),
    ("trl-prompt-completion", ("user",), None, "no assistant turn"),
])
def test_what_a_trainer_cannot_take_is_a_clear_error(target: str, roles: tuple, weight, says: str) -> None:
    with pytest.raises(UnsupportedConversion) as caught:
        BUILDERS[target](_conversation(*roles, weight=weight))
    assert says in str(caught.value) and "'x-9'" in str(caught.value) and caught.value.hint


def test_an_error_mid_export_leaves_no_file(tmp_path: Path) -> None:
    source = write_records(tmp_path / "c.jsonl", RECORDS)
    with pytest.raises(UnsupportedConversion, match="math-1"):
        export(file_source(source), tmp_path / "out", ExportOptions(target="alpaca"))
    assert not (tmp_path / "out").exists()  # the folder it made is gone too


def test_an_error_mid_export_removes_only_the_folders_it_made(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    source = write_records(tmp_path / "c.jsonl", [*RECORDS, {"messages": [{"role": "user", "content": "?"}, {
        "role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function",
                                                              "function": {"name": "f", "arguments": "{}"}}]}]}])
    out = tmp_path / "out"
    (out / "notes").mkdir(parents=True)
    (out / "empty").mkdir()
    with pytest.raises(UnsupportedConversion, match="calls tools"):
        export(file_source(source), out, ExportOptions(target="hf"))
    assert sorted(p.name for p in out.iterdir()) == ["empty", "notes"]  # data/ and arrow/ were this export's


def test_single_file_layout_and_manifest_beside_it(tmp_path: Path) -> None:
    source = write_records(tmp_path / "c.jsonl", RECORDS)
    result = export(file_source(source), tmp_path / "clean.jsonl", ExportOptions(target="sharegpt"))
    assert (tmp_path / "clean.jsonl").is_file() and result.manifest.endswith("clean.manifest.json")
    assert b'"from":"human"' in (tmp_path / "clean.jsonl").read_bytes()


def test_openai_names_are_made_valid() -> None:
    record = BUILDERS["openai"](Conversation("n", (Message("user", "hi"), Message("assistant", "yo", name="Mara Ö!"))))
    assert record["messages"][1]["name"] == "Mara___"


def test_axolotl_config_points_at_every_split(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    from tests.export.conftest import synthetic
    from threadsmith.export import SplitSpec

    out = tmp_path / "ax"
    export(file_source(write_records(tmp_path / "c.jsonl", synthetic(20))), out,
           ExportOptions(target="axolotl", split=SplitSpec.parse("0.8,0.2", seed=1), base_model="HuggingFaceTB/SmolLM2-135M"))
    config = yaml.safe_load((out / "axolotl.yaml").read_text())
    assert config["base_model"] == "HuggingFaceTB/SmolLM2-135M" and config["val_set_size"] == 0.0
    (train,), (evaluation,) = config["datasets"], config["test_datasets"]
    assert train["path"] == "./train.jsonl" and evaluation["path"] == "./validation.jsonl"
    assert train["type"] == "chat_template" and train["roles_to_train"] == ["assistant"] and train["train_on_eos"] == "turn"
    assert "message_field_training" not in train  # no weights in this data


def test_skip_unsupported_leaves_out_and_counts_what_the_target_cannot_take(tmp_path: Path) -> None:
    source = write_records(tmp_path / "c.jsonl", RECORDS)
    result = export(file_source(source), tmp_path / "out", ExportOptions(target="alpaca", skip_unsupported=True))
    assert result.counts["written"] == 2 and result.counts["unsupported"] == 1
    assert result.problems[0].startswith("left out: Conversation 'math-1'")
    assert [orjson.loads(line)["instruction"] for line in (tmp_path / "out" / "train.jsonl").read_bytes().splitlines()] \
        == ["What is the capital of France?", "*waves* Hello there, keeper!"]
    with pytest.raises(UnsupportedConversion) as stopped:
        export(file_source(source), tmp_path / "out2", ExportOptions(target="alpaca"))
    assert "--skip-unsupported" in stopped.value.hint
