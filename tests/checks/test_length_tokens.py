"""LN001 with a real token count: budgets, truncation at a turn boundary, windows that keep the system prompt."""

from __future__ import annotations

import pytest

from threadsmith.checks import Runner, build_checks
from threadsmith.checks.length import TokenBudget
from threadsmith.checks.windows import split_windows, truncate_at_turn
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


def test_split_fix_gives_windows_that_fit_and_is_idempotent() -> None:
    per = TOK.count([LONG])[0].per_message
    budget = per[0] + max(per[1] + per[2], per[3] + per[4], per[5] + per[6]) + 2
    check = TokenBudget({"fix_strategy": "split"}, CheckContext(tokenizer=TOK, max_tokens=budget))
    windows = check.fix(LONG)
    assert isinstance(windows, tuple) and len(windows) == 3
    for window in windows:
        assert window.messages[0].text == "Be brief." and not check.check(window) and check.fix(window) == window


def test_split_fix_leaves_out_an_exchange_too_long_alone() -> None:
    per = TOK.count([LONG])[0].per_message
    budget = TOK.count([LONG.with_messages(LONG.messages[:3])])[0].total  # only "Hi" / "Hello." fits
    check = TokenBudget({"fix_strategy": "split"}, CheckContext(tokenizer=TOK, max_tokens=budget))
    kept = check.fix(LONG)
    assert isinstance(kept, Conversation) and [m.text for m in kept.messages] == ["Be brief.", "Hi", "Hello."]
    tight = TokenBudget({"fix_strategy": "split"}, CheckContext(tokenizer=TOK, max_tokens=per[0] + 2))
    assert tight.fix(LONG) is None


def test_the_runner_returns_a_split_entry_as_parts() -> None:
    per = TOK.count([LONG])[0].per_message
    budget = per[0] + max(per[1] + per[2], per[3] + per[4], per[5] + per[6]) + 2
    context = CheckContext(tokenizer=TOK, max_tokens=budget)
    checks = build_checks(["LN001"], options={"LN001": {"fix_strategy": "split"}}, context=context)
    result = Runner(checks, fix=True, unsafe_fixes=True).process(LONG)
    assert result.fixes_applied == 1 and not result.findings
    assert [c.id for c in (result.conversation, *result.parts)] == ["c#w0", "c#w1", "c#w2"]
    assert Runner(checks, fix=True, unsafe_fixes=False).process(LONG).parts == ()
