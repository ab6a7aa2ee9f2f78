"""Splits: seeded determinism, sizes, groups never straddle splits, stratification, measured leakage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.export.conftest import synthetic, write_records
from threadsmith.errors import UserError
from threadsmith.export import ExportOptions, Filters, SplitSpec, export, file_source
from threadsmith.export.splits import SplitPlanner, assign
from threadsmith.formats import read_file


def _plan(records: list[dict], spec: SplitSpec, tmp_path: Path):
    planner = SplitPlanner(spec)
    for item in read_file(write_records(tmp_path / "s.jsonl", records)):
        planner.observe(item)
    return planner.plan()


groups_strategy = st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=300)


@settings(max_examples=60, deadline=None)
@given(labels=groups_strategy, seed=st.integers(0, 2**31), ratios=st.sampled_from([(0.8, 0.1, 0.1), (0.5, 0.5),
                                                                                      (0.9, 0.05, 0.05), (1 / 3,) * 3]))
def test_assign_is_seeded_sizes_close_and_groups_whole(labels: list[int], seed: int, ratios: tuple) -> None:
    raw = np.array(labels, dtype=np.int64)
    first = {}
    groups = np.array([first.setdefault(x, i) for i, x in enumerate(raw)], dtype=np.int64)  # label = first member
    strata = np.zeros(len(groups), dtype=np.int64)
    spec = SplitSpec(ratios=ratios, seed=seed)
    a = assign(groups, strata, [""], spec)
    assert np.array_equal(a, assign(groups, strata, [""], spec))  # same seed, same split
    for g in np.unique(groups):
        assert len(set(a[groups == g].tolist())) == 1  # a group never straddles
    largest = int(np.bincount(groups).max())
    sizes = np.bincount(a, minlength=len(ratios) + 1)
    for s, ratio in enumerate(ratios):
        assert abs(sizes[s] - ratio * len(groups)) <= largest * len(ratios)
    assert sizes[len(ratios)] == 0  # ratios leave nothing unused


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(20, 120), min_size=2, max_size=4), seed=st.integers(0, 1000))
def test_stratified_singletons_split_each_stratum_in_proportion(sizes: list[int], seed: int) -> None:
    strata = np.concatenate([np.full(n, s) for s, n in enumerate(sizes)])
    groups = np.arange(len(strata))
    a = assign(groups, strata, [f"s{s}" for s in range(len(sizes))], SplitSpec(ratios=(0.5, 0.5), seed=seed))
    for s, n in enumerate(sizes):
        mine = np.bincount(a[strata == s], minlength=2)
        assert abs(int(mine[0]) - n / 2) <= 1.5


def test_counts_leave_the_rest_unused() -> None:
    a = assign(np.arange(100), np.zeros(100, dtype=np.int64), [""], SplitSpec(counts=(50, 10, 10), seed=3))
    assert np.bincount(a, minlength=4).tolist() == [50, 10, 10, 30]


def test_near_duplicates_and_shared_contexts_stay_together(tmp_path: Path) -> None:
    records = synthetic(60)
    reply = "The lighthouse keeper trims the wick every evening before the storm rolls across the bay tonight."
    for i in (3, 17, 41, 55):  # near-duplicate replies: one cluster
        records[i]["messages"][1]["content"] = reply + f" ({i})"
    for i in (8, 30, 49):  # the same question answered differently: one contradiction group
        records[i]["messages"][0]["content"] = "What colour is the lighthouse lamp at night?"
    for seed in range(8):
        plan = _plan(records, SplitSpec(ratios=(0.5, 0.25, 0.25), seed=seed), tmp_path)
        assert len({int(plan.assignment[i]) for i in (3, 17, 41, 55)}) == 1
        assert len({int(plan.assignment[i]) for i in (8, 30, 49)}) == 1
        assert plan.leakage == {"near_duplicate_pairs": 0, "shared_context_pairs": 0, "exact_duplicate_pairs": 0}
        assert sum(plan.sizes.values()) == 60 and plan.largest_group == 4


def test_seed_changes_the_split_and_export_reports_it(tmp_path: Path) -> None:
    source = write_records(tmp_path / "s.jsonl", synthetic(200))
    one = export(file_source(source), tmp_path / "a", ExportOptions(split=SplitSpec.parse("0.8,0.1,0.1", seed=1)))
    same = export(file_source(source), tmp_path / "b", ExportOptions(split=SplitSpec.parse("0.8,0.1,0.1", seed=1)))
    other = export(file_source(source), tmp_path / "c", ExportOptions(split=SplitSpec.parse("0.8,0.1,0.1", seed=2)))
    assert one.sizes == {"train": 160, "validation": 20, "test": 20} and one.leakage["near_duplicate_pairs"] == 0
    assert [f.sha256 for f in one.files] == [f.sha256 for f in same.files]
    assert [f.sha256 for f in one.files] != [f.sha256 for f in other.files]


def test_stratify_by_tag_through_export(tmp_path: Path) -> None:
    source = write_records(tmp_path / "s.jsonl", synthetic(300))
    result = export(file_source(source), tmp_path / "o", ExportOptions(
        split=SplitSpec.parse("0.5,0.5", seed=4, stratify="tag")))
    import orjson
    for split in ("train", "validation"):
        tags = [orjson.loads(x)["tags"][0] for x in (tmp_path / "o" / f"{split}.jsonl").read_bytes().splitlines()]
        assert abs(tags.count("b") - 50) <= 1  # 100 "b" entries, half in each split
    assert result.sizes == {"train": 150, "validation": 150}


@pytest.mark.parametrize("text", ["0.9", "0.5,0.6", "a,b", "0.5,0.3,0.1,0.1", "-0.5,1.5"])
def test_bad_split_specs_are_clear_errors(text: str) -> None:
    with pytest.raises(UserError) as caught:
        SplitSpec.parse(text)
    assert caught.value.hint and "0.9,0.05,0.05" in caught.value.hint


def test_counts_are_parsed() -> None:
    assert SplitSpec.parse("800,100,100").counts == (800, 100, 100)
    assert SplitSpec.parse("0.9,0.1").names == ("train", "validation")
    with pytest.raises(UserError):
        SplitSpec.parse("0.5,0.5", stratify="colour")


def test_strata_are_tag_sets_or_characters() -> None:
    from threadsmith.export.splits import stratum_of
    from threadsmith.model import Conversation, Message

    conv = Conversation("x", (Message("user", "hi", name="Sam"), Message("assistant", "hey", name="Mara")),
                        tags=("rp", "night"))
    assert stratum_of(conv, "tag") == "night,rp" and stratum_of(conv, "character") == "Mara"
    assert stratum_of(conv, None) == "" and stratum_of(Conversation("y", ()), "character") == ""


def test_short_identical_replies_do_not_glue_unrelated_entries(tmp_path: Path) -> None:
    records = synthetic(40)
    for record in records:
        record["messages"][1]["content"] = "Sure thing!"
    plan = _plan(records, SplitSpec(ratios=(0.5, 0.5), seed=0), tmp_path)
    assert plan.largest_group == 1 and plan.sizes == {"train": 20, "validation": 20}


def test_parallel_first_pass_splits_like_the_sequential_one(tmp_path: Path, monkeypatch) -> None:
    import threadsmith.export.exporter as exporter

    records = synthetic(300)
    records[7]["messages"][1]["content"] = records[9]["messages"][1]["content"] + " indeed"
    source = write_records(tmp_path / "s.jsonl", records)
    options = ExportOptions(split=SplitSpec.parse("0.6,0.2,0.2", seed=3, stratify="tag"), filters=Filters(tags=("a",)))
    monkeypatch.setenv("THREADSMITH_WORKERS", "1")
    one = export(file_source(source), tmp_path / "seq", options)
    monkeypatch.setattr(exporter, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setenv("THREADSMITH_WORKERS", "2")
    calls = []
    real = exporter.parallel_keys
    monkeypatch.setattr(exporter, "parallel_keys", lambda *a: calls.append(a[-1]) or real(*a))
    two = export(file_source(source), tmp_path / "par", options)
    assert calls == [2]
    assert [f.sha256 for f in one.files] == [f.sha256 for f in two.files] and one.sizes == two.sizes
    assert one.counts == two.counts and one.dropped == two.dropped == {"tag": 100}
