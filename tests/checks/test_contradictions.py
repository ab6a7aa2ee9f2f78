"""Contradiction checks over larger groups: every member reported, huge groups stay fast."""

from __future__ import annotations

import time

from tests.checks.dataset_runs import conversation, qa, run
from threadsmith.checks.contradictions import ConflictingAnswers, ConflictingShortPromptAnswers, turns


def test_every_member_of_a_conflicting_group_is_reported() -> None:
    data = [qa("What is your name, please?", "I am Nova, an assistant made by Acme.") for _ in range(5)]
    data += [qa("What is your name, please?", "My name is Claude, and Anthropic trained me.")]
    hits = run(ConflictingAnswers, data)
    assert sorted(h.ref.entry_index for h in hits) == list(range(6))
    assert all("2 different answers among 6 conversations" in h.message for h in hits)


def test_rewordings_of_one_answer_agree() -> None:
    data = [qa("What is the capital of France?", text) for text in (
        "Paris.", "The capital of France is Paris.", "It's Paris, of course.", "Paris is the capital of France.")]
    assert run(ConflictingAnswers, data) == []


def test_huge_short_prompt_group_is_fast() -> None:
    data = [qa("Hi", f"Hello there, visitor number {i}! Lovely weather for {i % 7} ducks.") for i in range(3000)]
    data += [qa("Hi", "Go away.")]
    started = time.perf_counter()
    hits = run(ConflictingShortPromptAnswers, data)
    assert len(hits) == 3001 and time.perf_counter() - started < 20
    assert run(ConflictingAnswers, data) == []


def test_context_ignores_case_and_punctuation_but_not_roles() -> None:
    a = turns(conversation(("user", "What's your name?"), ("assistant", "Nova.")))
    b = turns(conversation(("user", "what's  your name"), ("assistant", "Nova.")))
    c = turns(conversation(("system", "What's your name?"), ("user", "Go"), ("assistant", "Nova.")))
    assert a[0][1] == b[0][1] != c[0][1]
