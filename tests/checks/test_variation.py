"""Low-variation checks (LV) over whole generated datasets, and on real data when it is there."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from tests.checks.dataset_runs import identity_set, qa, run, varied_set
from tests.conftest import SHARED_DATA
from threadsmith import Config
from threadsmith.audit import audit
from threadsmith.checks.variation import (
    LowLexicalDiversity,
    NearDuplicateMass,
    OpenerConcentration,
    SystemPromptConcentration,
    UniformReplyLength,
    distinct,
    mattr,
)

LV_CHECKS = [LowLexicalDiversity, OpenerConcentration, SystemPromptConcentration, UniformReplyLength,
             NearDuplicateMass]
GPTEACHER = SHARED_DATA / "gpteacher-roleplay.json"


def test_identity_set_is_flagged() -> None:
    data = identity_set(500)
    fired = {cls.code for cls in LV_CHECKS if run(cls, data)}
    assert {"LV001", "LV002", "LV003", "LV005"} <= fired
    hits = run(LowLexicalDiversity, data)
    assert all(h.ref is None for h in hits)


def test_varied_set_is_not_flagged() -> None:
    data = varied_set(400)
    assert {cls.code: run(cls, data) for cls in LV_CHECKS} == {cls.code: [] for cls in LV_CHECKS}


@pytest.mark.skipif(not GPTEACHER.exists(), reason="needs ../shared/data")
def test_real_varied_dataset_is_not_flagged() -> None:
    report = audit([GPTEACHER], config=Config(select=("LV", "RP002", "RP003", "RP004", "RP005", "CT")))
    assert [f.message for f in report.findings] == []


def test_too_few_entries_are_not_judged() -> None:
    assert all(not run(cls, identity_set(40)) for cls in LV_CHECKS)


def test_one_system_prompt_is_fine_for_roleplay() -> None:
    data = [qa(f"Line {i} of the scene?", f"*Maren nods {i} times.*", system="You are Maren.") for i in range(60)]
    assert run(SystemPromptConcentration, data, kind="assistant")
    assert not run(SystemPromptConcentration, data, kind="roleplay")


def test_uniform_lengths() -> None:
    same = [qa(f"Q{i}?", " ".join(f"w{i}x{j}" for j in range(20 + i % 3))) for i in range(60)]
    varied = [qa(f"Q{i}?", " ".join(f"w{i}x{j}" for j in range(3 + (i * 37) % 150))) for i in range(60)]
    assert "coefficient of variation" in run(UniformReplyLength, same)[0].message
    assert not run(UniformReplyLength, varied)


def test_diversity_measures() -> None:
    repetitive = "i am nova an assistant made by acme".split() * 50
    varied = [f"w{i}" for i in range(400)]
    assert mattr(repetitive, 50) < 0.2 < 0.9 < mattr(varied, 50)
    assert distinct(repetitive, 2) < 0.05 and distinct(varied, 2) == 1.0
    assert mattr(["a", "b"], 50) == 1.0


def _sliding_mattr(tokens: list[str], window: int) -> float:
    if len(tokens) <= window:
        return len(set(tokens)) / max(1, len(tokens))
    counts = Counter(tokens[:window])
    total = len(counts)
    for old, new in zip(tokens, tokens[window:]):
        counts[new] += 1
        counts[old] -= 1
        if not counts[old]:
            del counts[old]
        total += len(counts)
    return total / (window * (len(tokens) - window + 1))


def test_mattr_matches_a_sliding_window() -> None:
    rng = random.Random(5)
    for _ in range(200):
        tokens = [str(rng.randrange(rng.randint(1, 60))) for _ in range(rng.randint(0, 300))]
        window = rng.randint(1, 60)
        assert mattr(tokens, window) == pytest.approx(_sliding_mattr(tokens, window), abs=1e-12)
