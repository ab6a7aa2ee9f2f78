"""Repetition checks (RP003-RP005) over generated datasets: default thresholds, batching, bounds."""

from __future__ import annotations

import random

import pytest

from tests.checks.dataset_runs import qa, run, varied_set
from threadsmith.checks import EntryRef, phrases
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.phrases import OverusedPhrase
from threadsmith.checks.repetition import BatchedCounts, HeavyHitters, OverusedOpener, ReusedAssistantTurn


def test_heavy_hitters_keep_every_frequent_item() -> None:
    rng = random.Random(0)
    stream = [f"rare{rng.randrange(100_000)}" for _ in range(20_000)] + ["hot"] * 800 + ["warm"] * 300
    rng.shuffle(stream)
    hh = HeavyHitters(64)
    for item in stream:
        hh.add(item)
    top = dict(hh.top(2))
    assert set(top) == {"hot", "warm"}
    slack = len(stream) / 65
    assert 800 - slack <= top["hot"] <= 800 and 300 - slack <= top["warm"] <= 300
    assert len(hh.counts) <= 64


def test_heavy_hitters_merge_batches_with_the_same_bound() -> None:
    rng = random.Random(1)
    stream = [f"rare{rng.randrange(50_000)}" for _ in range(30_000)] + ["hot"] * 900 + ["warm"] * 400
    rng.shuffle(stream)
    counted = BatchedCounts(64)
    for start in range(0, len(stream), 997):
        counted.extend(stream[start:start + 997])
        counted.flush()
    top = dict(counted.top(2))
    slack = len(stream) / 65
    assert set(top) == {"hot", "warm"} and counted.total == len(stream)
    assert 900 - slack <= top["hot"] <= 900 and 400 - slack <= top["warm"] <= 400


def _with_opener(data: list, every: int, opener: str) -> list:
    return [qa(c.messages[0].text, f"{opener} {c.messages[-1].text}") if i % every == 0 else c
            for i, c in enumerate(data)]


def test_opener_default_thresholds() -> None:
    flagged = run(OverusedOpener, _with_opener(varied_set(300), 5, "Certainly! Here's the"))
    dataset = [h for h in flagged if h.ref is None]
    assert len(dataset) == 1
    assert "60 of 300 assistant turns (20%) open with 'certainly here's the'" in dataset[0].message
    assert len(flagged) == 61 and all(h.message_index == 1 for h in flagged if h.ref)
    assert run(OverusedOpener, _with_opener(varied_set(300), 20, "Certainly! Here's the")) == []


def test_phrase_default_thresholds_and_carriers() -> None:
    data = [qa(c.messages[0].text, f"{c.messages[-1].text} I hope this helps you today.") if i % 8 == 0 else c
            for i, c in enumerate(varied_set(400))]
    hits = run(OverusedPhrase, data)
    dataset = [h for h in hits if h.ref is None]
    assert [h.message for h in dataset] == [
        "the phrase 'i hope this helps you today' recurs in the replies of 50 of 400 conversations (12%)"]
    assert sorted(h.ref.entry_index for h in hits if h.ref) == list(range(0, 400, 8))
    sparse = [qa(c.messages[0].text, f"{c.messages[-1].text} I hope this helps.") if i % 40 == 0 else c
              for i, c in enumerate(varied_set(400))]
    assert run(OverusedPhrase, sparse) == []


def test_phrase_tracking_across_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # Small batches: the phrase becomes common only in the second half; its early carriers may be missed
    # (fewer than a quarter), its count and later carriers are not.
    monkeypatch.setattr(phrases, "_BATCH", 50)
    data = varied_set(600)
    data = [qa(c.messages[0].text, f"{c.messages[-1].text} as an ai language model") if i % 10 == 0 or i >= 400
            and i % 3 == 0 else c for i, c in enumerate(data)]
    hits = run(OverusedPhrase, data, {"max_listed": 1000})
    carriers = {h.ref.entry_index for h in hits if h.ref}
    expected = {i for i in range(600) if i % 10 == 0 or (i >= 400 and i % 3 == 0)}
    assert carriers <= expected and len(carriers) >= 0.75 * len(expected)
    assert {i for i in expected if i >= 400} <= carriers


def test_phrase_text_read_back_from_stored_summaries() -> None:
    """Summaries as a workspace stores them (no turn texts): the phrase's text is read back from
    one carrier through ``recall``; without a way to read back, finish says so."""
    data = [qa(c.messages[0].text, f"{c.messages[-1].text} I hope this helps you today.") if i % 8 == 0 else c
            for i, c in enumerate(varied_set(400))]
    refs = [EntryRef(None, i, c.id, i + 1) for i, c in enumerate(data)]

    def stored_run(recall) -> list:
        check = OverusedPhrase(None, CheckContext(kind="assistant"))
        check.recall = recall
        for conv, ref in zip(data, refs):
            summary = check.summarize(conv)
            if summary is not None:
                stored = check.stored(summary)
                assert stored[1] is None
                check.observe(stored, ref)
        return list(check.finish())

    asked: list[list[int]] = []

    def recall(wanted):
        asked.append([r.entry_index for r in wanted])
        return [data[r.entry_index] for r in wanted]

    assert stored_run(recall) == run(OverusedPhrase, data)
    assert len(asked) == 1 and len(asked[0]) <= 3  # the carriers of its n-grams: the first, at most a few
    with pytest.raises(RuntimeError, match="no way to read the entries back"):
        stored_run(None)
    with pytest.raises(RuntimeError, match="found other text than it observed"):  # never silently no text
        stored_run(lambda wanted: [data[(r.entry_index + 1) % len(data)] for r in wanted])


def test_phrase_listing_is_bounded() -> None:
    data = [qa(c.messages[0].text, f"{c.messages[-1].text} I hope this helps you today.") for c in varied_set(100)]
    hits = run(OverusedPhrase, data, {"max_listed": 10})
    assert len([h for h in hits if h.ref]) == 10


def test_reused_turn_big_group() -> None:
    canned = "I'm sorry, but I cannot help with that request, as it goes against my guidelines."
    data = [qa(f"Bad request number {i}?", canned) for i in range(300)] + varied_set(50)
    hits = run(ReusedAssistantTurn, data)
    assert len(hits) == 300
    assert "reused verbatim in 299 other conversations" in hits[0].message
    assert run(ReusedAssistantTurn, varied_set(300)) == []


def test_phrase_in_a_few_percent_of_replies() -> None:
    # A five-word catchphrase in 20 of 600 conversations, in the middle of replies; a four-word one is not enough.
    data = varied_set(600)
    data = [qa(c.messages[0].text, c.messages[-1].text.replace(" ", " Such is the way of things. ", 1)) if i % 30 == 0
            else qa(c.messages[0].text, c.messages[-1].text.replace(" ", " as you know well ", 1)) if i % 30 == 1
            else c for i, c in enumerate(data)]
    hits = run(OverusedPhrase, data)
    assert [h.message for h in hits if h.ref is None] == [
        "the phrase 'such is the way of things' recurs in the replies of 20 of 600 conversations (3%)"]
