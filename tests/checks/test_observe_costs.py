"""The cheaper observation paths of the dataset checks give exactly what the plain ones give:
duplicate-key grouping, LSH band pairs, contradiction tables, settled RP004 n-grams, batched
WT003/RP005/RP003 observation, and Misra-Gries merging."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np

from tests.checks.dataset_runs import conversation, identity_set, varied_set
from threadsmith.checks import EntryRef, build_checks
from threadsmith.checks import answer_groups, near_duplicates, phrases
from threadsmith.checks.answer_groups import answers
from threadsmith.checks.contradictions import RECORD
from threadsmith.checks.features import features
from threadsmith.checks.near_duplicates import _band_pairs, prefix_values, repeated_runs
from threadsmith.checks.phrases import OverusedPhrase, gram_stream, settle
from threadsmith.checks.repetition import HeavyHitters


def _refs(n: int) -> list[EntryRef]:
    return [EntryRef(None, i, f"e{i}", None) for i in range(n)]


def _stable_runs(keys: np.ndarray) -> list[list[int]]:
    order = np.argsort(keys, kind="stable")
    out: list[list[int]] = []
    for k in order.tolist():
        if out and keys[out[-1][0]] == keys[k]:
            out[-1].append(k)
        else:
            out.append([k])
    return [g for g in out if len(g) > 1]


def test_repeated_runs_group_as_a_stable_argsort() -> None:
    rng = np.random.default_rng(3)
    for keys in (np.array([], dtype=np.uint64), np.array([7], dtype=np.uint64), np.arange(50, dtype=np.uint64),
                 np.full(9, 5, dtype=np.uint64), rng.integers(0, 40, 500).astype(np.uint64),
                 rng.integers(0, 2**63, 300, dtype=np.uint64).repeat(2)[::3]):
        rows, starts = repeated_runs(keys)
        groups = [rows[a:b].tolist() for a, b in zip(starts.tolist(), [*starts[1:].tolist(), len(rows)])]
        assert groups == _stable_runs(keys)


def _reference_band_pairs(sigs: np.ndarray, rows: int) -> set[tuple[int, int]]:
    pairs = set()
    for start in range(0, sigs.shape[1] - rows + 1, rows):
        for group in _stable_runs(np.array([hash(tuple(r)) & (2**62) - 1 for r in sigs[:, start:start + rows].tolist()],
                                           dtype=np.uint64)):
            pairs |= {(group[0], m) for m in group[1:]}
    return pairs


def test_band_pairs_are_the_rows_that_agree_on_a_band() -> None:
    rng = np.random.default_rng(4)
    base = rng.integers(0, 4, (60, 12)).astype(np.uint16)  # few values: many bands agree
    for rows in (2, 3, 4):
        a, b = _band_pairs(base, rows)
        assert set(zip(a.tolist(), b.tolist())) == _reference_band_pairs(base, rows)
    assert _band_pairs(base[:, :2], 3).shape == (2, 0)


def _records(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros(n, dtype=RECORD)
    out["sketch"] = rng.integers(0, 3, (n, 16))  # few byte values: overlaps of every size
    out["size"] = rng.integers(1, 30, n)
    out["polarity"] = rng.integers(0, 3, n)
    out["claims"] = rng.integers(0, 2, n)
    return out


def test_contradiction_answers_from_the_pair_table_equal_one_row_at_a_time() -> None:
    for seed in range(4):
        records = _records(40, seed)
        rows, starts, stops = np.arange(40), np.array([0, 25]), np.array([25, 40])
        tables = answer_groups.pair_tables(records, rows, starts, stops, 0.5)
        for start, stop in ((0, 25), (25, 40)):
            assert answer_groups.first_answers(tables[start], 0.5).tolist() == \
                answers(records[start:stop], 0.5, 0.5).tolist()


def test_contradiction_groups_give_the_same_findings_with_or_without_tables(monkeypatch) -> None:
    rng = random.Random(2)
    data = []
    for i in range(150):
        q = rng.choice(["What is your name?", "Is it safe to swim here?", "How old are you?"])
        a = rng.choice(["I am Nova, made by Acme.", "My name is Sam.", "Yes, it is safe.", "No, it is not safe.",
                        "I am 3 years old.", "I am 5 years old."])
        data.append(conversation(("user", q), ("assistant", a), cid=f"c{i}"))

    def found() -> list[str]:
        check = build_checks(("CT001",)).dataset[0]
        check.observe_many([check.summarize(c) for c in data], _refs(len(data)))
        return sorted(h.message for h in check.finish())

    tabled = found()
    monkeypatch.setattr(answer_groups, "_TABLE_ROWS", 0)
    assert found() == tabled and tabled


def test_phrase_grams_settled_alone_or_together_are_the_stream_grams() -> None:
    data = identity_set(30, 1) + varied_set(30, 1) + [conversation(("user", "Hi"), ("assistant", "Hey."))]
    pending = [[prefix_values(features(c)), ()] for c in data]
    together = settle([list(p) for p in pending], 4)
    alone = [settle([list(p)], 4)[0] for p in pending]
    assert together == alone
    hashes = [p[0] for p in pending]
    grams, ends = gram_stream(hashes, 4)  # the batch's stream: grams straddling two entries are 0
    for (got, _, tokens), words, end in zip(together, hashes, ends.tolist()):
        assert tokens == len(words) >> 3
        assert got == grams[end - tokens:end - 3].tobytes() if tokens >= 4 else got == b""
    assert together[-1] == (b"", (), 3)  # start marker, "hey", end marker: no 4-gram
    assert settle(together, 4) == together


def test_phrase_findings_do_not_depend_on_settling(monkeypatch) -> None:
    monkeypatch.setattr(phrases, "_BATCH", 50)
    data = identity_set(200, 3) + varied_set(100, 3)
    random.Random(1).shuffle(data)

    def found(settled: bool) -> list[tuple]:
        check = OverusedPhrase()
        summaries = [check.summarize(c) for c in data]
        if settled:
            summaries = check.settle(summaries)
        for lo in range(0, len(data), 37):
            check.observe_many(summaries[lo:lo + 37], _refs(len(data))[lo:lo + 37])
        return sorted((str(h.ref), h.message) for h in check.finish())

    assert found(True) == found(False) and found(True)


def test_short_reply_batches_keep_the_candidates_one_at_a_time_keeps() -> None:
    rng = random.Random(5)
    summaries = []
    for _ in range(3000):
        n = rng.randint(1, 4)
        keys = tuple((rng.choice([8, 16, 24]) + rng.randint(0, 5)) << 7 | rng.randint(10, 40) for _ in range(n))
        packed = tuple(i << 32 | rng.choice([2, 3, 40, 60, 80, 120]) for i in range(n))
        summaries.append((keys, packed, min(p & 0xFFFFFFFF for p in packed)) if rng.random() > 0.05 else None)
    one, many = build_checks(("WT003",)).dataset[0], build_checks(("WT003",)).dataset[0]
    refs = _refs(len(summaries))
    for s, r in zip(summaries, refs):
        if s is not None:
            one.observe(s, r)
    for lo in range(0, len(summaries), 333):
        many.observe_many(summaries[lo:lo + 333], refs[lo:lo + 333])
    assert one._candidates == many._candidates and len(one._candidates) > 10
    assert list(one.finish()) == list(many.finish())


def test_reused_turn_batches_split_summaries_as_one_at_a_time() -> None:
    rng = random.Random(6)
    summaries = []
    for _ in range(200):
        turns = rng.randint(1, 3)
        summaries.append(bytes(rng.randrange(256) for _ in range(8 + 10 * turns)) if rng.random() > 0.1 else None)
    many = build_checks(("RP005",)).dataset[0]
    many.observe_many(summaries, _refs(200))
    kept = [s for s in summaries if s is not None]
    turns = [(len(s) - 8) // 10 for s in kept]
    assert many._fingerprints.tobytes() == b"".join(s[:8] for s in kept)
    assert many._hashes.tobytes() == b"".join(s[8:8 + 8 * t] for s, t in zip(kept, turns))
    assert many._messages.tobytes() == b"".join(s[8 + 8 * t:] for s, t in zip(kept, turns))
    assert many._counts.tolist() == turns and len(many._refs) == len(kept)


def test_heavy_hitters_merge_a_counter_as_its_items() -> None:
    rng = random.Random(7)
    a, b = HeavyHitters(16), HeavyHitters(16)
    for _ in range(20):
        batch = Counter(rng.choice("abcdefghijklmnopqrstuvwxyz") * rng.randint(1, 3) for _ in range(300))
        a.add_counts(list(batch.items()))
        b.add_counter(batch)
        assert a.counts == b.counts and a.total == b.total


def test_prompt_and_length_batches_keep_what_one_at_a_time_keeps(monkeypatch) -> None:
    from threadsmith.checks import repetition, variation
    monkeypatch.setattr(repetition, "BATCH_ITEMS", 7)
    monkeypatch.setattr(variation, "BATCH_ITEMS", 7)
    rng = random.Random(8)
    prompts = [(bytes([rng.randrange(5)]), f"prompt {k}") for k in range(100)]
    lengths = [(rng.randint(1, 4), rng.randint(1, 900), rng.randint(1, 10**9)) if k % 9 else None for k in range(100)]
    for code, summaries in (("LV003", prompts), ("LV004", lengths)):
        one, many = build_checks((code,)).dataset[0], build_checks((code,)).dataset[0]
        for s, r in zip(summaries, _refs(100)):
            if s is not None:
                one.observe(s, r)
        for lo in range(0, 100, 17):
            many.observe_many(summaries[lo:lo + 17], _refs(100)[lo:lo + 17])
        state = ("_excerpts", "_pending") if code == "LV003" else ("_entries", "_n", "_sum", "_squares")
        assert [getattr(one, a) for a in state] == [getattr(many, a) for a in state]
        assert list(one.finish()) == list(many.finish())


def test_pair_tables_are_made_in_bounded_parts(monkeypatch) -> None:
    monkeypatch.setattr(answer_groups, "_PAIRS", 10)
    sizes = np.array([2, 3, 600, 1, 2, 4])
    parts = list(answer_groups.table_parts(sizes))
    assert [(p.start, p.stop) for p in parts] == [(0, 1), (1, 4), (4, 5), (5, 6)]  # 4, 9+0+1, 4, 16 pairs
    assert list(answer_groups.table_parts(np.array([], dtype=np.int64))) == []
