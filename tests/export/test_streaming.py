"""Exports stream: memory does not grow with the dataset (tracemalloc peak, 2k against 20k entries)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from tests.export.conftest import synthetic, write_records
from threadsmith.export import ExportOptions, SplitSpec, export, file_source


def _peak(tmp_path: Path, n: int, options: ExportOptions) -> int:
    source = write_records(tmp_path / f"s{n}.jsonl", synthetic(n))
    export(file_source(source), tmp_path / "warm", options)  # imports and caches out of the measure
    tracemalloc.start()
    try:
        export(file_source(source), tmp_path / f"o{n}", options)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_plain_export_memory_is_flat(tmp_path: Path) -> None:
    options = ExportOptions(target="openai")
    small, large = _peak(tmp_path, 2_000, options), _peak(tmp_path, 20_000, options)
    assert large < small * 1.5 + 1_000_000, (small, large)


@pytest.mark.slow
def test_split_keeps_only_small_keys_per_entry(tmp_path: Path) -> None:
    options = ExportOptions(target="trl", split=SplitSpec.parse("0.9,0.05,0.05", seed=1))
    small, large = _peak(tmp_path, 2_000, options), _peak(tmp_path, 20_000, options)
    per_entry = (large - small) / 18_000
    assert per_entry < 1_000, f"{per_entry:.0f} bytes per entry ({small:,} -> {large:,})"
