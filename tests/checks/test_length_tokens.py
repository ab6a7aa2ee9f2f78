"""LN001 with a real token count: budgets, truncation at a turn boundary, windows that keep the system prompt."""

from __future__ import annotations

import pytest

from threadsmith.checks.length import TokenBudget, split_windows, truncate_at_turn
from threadsmith.checks.profile import CheckContext
from threadsmith.model import Conversation, Message

pytest.importorskip("tokenizers", reason="needs the export extra")
from threadsmith.rendering import byte_tokenizer  # noqa: E402

TOK = byte_tokenizer()


def _conversation(*turns: tuple[str, str]) -> Conversation:
    return Conversation("c", tuple(Message(role, text) for role, text in turns))


LONG = _conversation(("system", "Be brief."), ("user", "Hi"), ("assistant", "Hello."), ("user", "And then?"),
                     ("assistant", "More."), ("user", "Last one?"), ("assistant", "Yes."))


def test_counts_with_the_context_budget() -> None:
    total = TOK.count([LONG])[0].total
    assert not TokenBudget(context=CheckContext(tokenizer=TOK, max_tokens=total)).check(LONG)
    hits = TokenBudget(context=CheckContext(tokenizer=TOK, max_tokens=total - 1)).check(LONG)
    assert len(hits) == 1 and f"{total} tokens (template 'chatml')" in hits[0].message and hits[0].fixable


def test_without_a_tokenizer_the_estimate_and_no_fix() -> None:
    hits = TokenBudget({"budget": 10}).check(LONG)
    assert hits and "(estimated)" in hits[0].message and not hits[0].fixable


def test_truncate_keeps_whole_turns_ending_with_a_reply() -> None:
    per = TOK.count([LONG])[0].per_message
    budget = sum(per[:5]) + 3  # room for two exchanges, not three
    cut = truncate_at_turn(LONG, TOK, budget)
    assert cut is not None and [m.text for m in cut.messages][-1] == "More." and len(cut.messages) == 5
    assert TOK.count([cut])[0].total <= budget
    assert truncate_at_turn(LONG, TOK, 10) is None


def test_fix_is_idempotent_and_clears_the_finding() -> None:
    check = TokenBudget(context=CheckContext(tokenizer=TOK, max_tokens=60))
    fixed = check.fix(LONG)
    assert fixed is not None and not check.check(fixed) and check.fix(fixed) == fixed


def test_split_windows_keep_the_system_prompt_and_fit() -> None:
    per = TOK.count([LONG])[0].per_message
    budget = per[0] + max(per[1] + per[2], per[3] + per[4], per[5] + per[6]) + 2  # one exchange per window
    windows = split_windows(LONG, TOK, budget)
    assert [w.id for w in windows] == ["c#w0", "c#w1", "c#w2"]
    assert all(w.messages[0].text == "Be brief." and w.messages[-1].role == "assistant" for w in windows)
    assert [m.text for w in windows for m in w.messages[1:]] == [m.text for m in LONG.messages[1:]]
    assert all(TOK.count([w])[0].total <= budget + 2 for w in windows)
    assert split_windows(LONG, TOK, 10_000) == [LONG]
