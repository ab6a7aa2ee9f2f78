"""The real consumers read every export: ``datasets`` (json, parquet, load_from_disk), LLaMA-Factory's schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.export.conftest import RECORDS, SINGLE_TURN, synthetic, write_records
from threadsmith.export import TARGET_NAMES, ExportOptions, SplitSpec, export, file_source

datasets = pytest.importorskip("datasets", reason="the export extra (datasets) is not installed")
datasets.disable_progress_bars()


def _records(target: str) -> list[dict]:
    base = SINGLE_TURN if target == "alpaca" else RECORDS
    return [*base, *synthetic(12)]


@pytest.mark.parametrize("target", [t for t in TARGET_NAMES if t not in ("hf", "jsonl")])
def test_datasets_loads_every_jsonl_export(target: str, tmp_path: Path) -> None:
    out = tmp_path / target
    result = export(file_source(write_records(tmp_path / "c.jsonl", _records(target))), out,
                    ExportOptions(target=target, split=SplitSpec.parse("0.5,0.25,0.25", seed=2)))
    column = {"openai": "messages", "trl": "messages", "axolotl": "messages", "trl-prompt-completion": "prompt",
              "sharegpt": "conversations", "llamafactory": "conversations", "alpaca": "instruction"}[target]
    for f in result.files:  # each split on its own, as the trainers load them
        if f.split:
            loaded = datasets.load_dataset("json", data_files=str(out / f.path), split="train",
                                           cache_dir=str(tmp_path / "cache"))
            assert len(loaded) == result.sizes[f.split] and column in loaded.column_names


def test_hf_export_loads_as_parquet_and_from_disk(tmp_path: Path) -> None:
    out = tmp_path / "hf"
    result = export(file_source(write_records(tmp_path / "c.jsonl", _records("hf"))), out,
                    ExportOptions(target="hf", split=SplitSpec.parse("0.5,0.5", seed=0)))
    by_card = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))  # reads README.md configs
    assert {k: len(v) for k, v in by_card.items()} == result.sizes
    disk = datasets.load_from_disk(str(out / "arrow"))
    assert {k: len(v) for k, v in disk.items()} == result.sizes
    row = disk["train"][0]
    assert set(row) == {"id", "messages", "tags"} and {"role", "content"} <= set(row["messages"][0])
    assert not list(out.rglob(".threadsmith-*"))  # no temporary file is left


def test_llamafactory_export_follows_its_documented_schema(tmp_path: Path) -> None:
    """LLaMA-Factory is not installed here: check data/README.md's sharegpt rules instead."""
    out = tmp_path / "lf"
    export(file_source(write_records(tmp_path / "c.jsonl", _records("llamafactory"))), out,
           ExportOptions(target="llamafactory", split=SplitSpec.parse("0.5,0.5", seed=0), name="mine"))
    info = json.loads((out / "dataset_info.json").read_text())
    assert set(info) == {"mine_train", "mine_validation"}
    for entry in info.values():
        assert entry["formatting"] == "sharegpt" and entry["columns"]["messages"] == "conversations"
        tags = entry["tags"]
        for line in (out / entry["file_name"]).read_text().splitlines():
            turns = json.loads(line)["conversations"]
            assert len(turns) % 2 == 0
            for i, turn in enumerate(turns):  # human/observation at odd positions, gpt/function at even ones
                side = (tags["user_tag"], tags["observation_tag"]) if i % 2 == 0 else (tags["assistant_tag"],
                                                                                      tags["function_tag"])
                assert turn[tags["role_tag"]] in side and isinstance(turn[tags["content_tag"]], str)


def test_hf_export_with_an_empty_split_still_loads(tmp_path: Path) -> None:
    out = tmp_path / "hf"
    result = export(file_source(write_records(tmp_path / "c.jsonl", RECORDS[:1])), out,
                    ExportOptions(target="hf", split=SplitSpec.parse("0.5,0.5", seed=0)))
    assert sorted(result.sizes.values()) == [0, 1]
    assert sorted(len(v) for v in datasets.load_from_disk(str(out / "arrow")).values()) == [0, 1]
    assert sum(len(v) for v in datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache")).values()) == 1
