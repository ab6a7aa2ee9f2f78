"""The manifest: source hash, filters, split, per-file SHA-256 and sizes, counts, tokens, cost."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.export.conftest import RECORDS, synthetic, write_records
from threadsmith.export import ExportOptions, Filters, PriceTable, SplitSpec, export, file_source, verify_manifest


def test_manifest_names_exactly_what_was_written(tmp_path: Path) -> None:
    source = write_records(tmp_path / "c.jsonl", synthetic(50))
    out = tmp_path / "o"
    result = export(file_source(source), out, ExportOptions(
        target="openai", split=SplitSpec.parse("0.6,0.2,0.2", seed=9), filters=Filters(tags=("a",))))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["source"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert manifest["filters"]["tags"] == ["a"] and manifest["split"]["seed"] == 9
    assert manifest["split"]["leakage"]["near_duplicate_pairs"] == 0
    for entry in manifest["files"]:
        data = (out / entry["path"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
        assert entry["records"] == len(data.splitlines())
    assert manifest["counts"]["written"] == sum(manifest["split"]["sizes"].values()) == result.counts["written"]
    assert manifest["counts"]["read"] == 50 and manifest["counts"]["filtered"] == 17
    tokens = manifest["tokens"]["splits"]["train"]
    assert tokens["entries"] == manifest["split"]["sizes"]["train"] and 0 < tokens["p50"] <= tokens["max"]
    cost = manifest["openai_cost"]
    assert cost["billed_tokens_per_epoch"] == tokens["tokens"] and cost["cost_usd"] > 0
    assert verify_manifest(str(out / "manifest.json")) == []
    (out / "test.jsonl").write_bytes(b"{}\n")
    assert verify_manifest(str(out / "manifest.json")) == ["test.jsonl: changed since the export"]


def test_price_table_is_editable_by_a_user_file(tmp_path: Path) -> None:
    mine = tmp_path / "prices.toml"
    mine.write_text('default_model = "my-ft"\n[models."my-ft"]\ntraining_per_million = 10.0\ncontext = 100\n')
    table = PriceTable.load(mine)
    estimate = table.estimate([50, 150, 100], epochs=2)
    assert estimate["billed_tokens_per_epoch"] == 250 and estimate["over_context"] == 1
    assert estimate["cost_per_epoch_usd"] == 0.0025 and estimate["cost_usd"] == 0.005
    assert "gpt-4o-mini-2024-07-18" in table.models  # the shipped models stay


def test_unreadable_lines_are_counted_not_exported(tmp_path: Path) -> None:
    source = tmp_path / "c.jsonl"
    write_records(source, RECORDS)
    source.write_bytes(source.read_bytes() + b"{not json\n")
    result = export(file_source(source), tmp_path / "o", ExportOptions(target="trl"))
    assert result.counts["unreadable"] == 1 and result.counts["written"] == 3 and any("line 4" in p for p in result.problems)


def test_token_stats_are_exact_with_a_real_tokenizer(tmp_path: Path) -> None:
    import pytest

    from tests.conftest import SHARED_DATA

    qwen2 = SHARED_DATA / "tokenizers" / "qwen2.json.gz"
    if not qwen2.is_file():
        pytest.skip(f"{qwen2} is absent")
    from threadsmith.formats import read_file
    from threadsmith.rendering import load_tokenizer

    source = write_records(tmp_path / "c.jsonl", RECORDS)
    result = export(file_source(source), tmp_path / "o", ExportOptions(target="openai", tokenizer=str(qwen2),
                                                                       template="chatml"))
    tokenizer = load_tokenizer(str(qwen2), template="chatml")
    rendered = [tokenizer.render(c) for c in read_file(source)]
    train = result.tokens["splits"]["train"]
    assert "qwen2" in result.tokens["method"] and train["tokens"] == sum(len(r.input_ids) for r in rendered)
    assert train["trained_tokens"] == sum(r.trained_tokens for r in rendered) > 0
    assert result.cost["billed_tokens_per_epoch"] == train["tokens"]
