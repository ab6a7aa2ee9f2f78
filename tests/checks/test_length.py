"""Length checks (LN): the pluggable token estimator, robust histograms, and LN002 at dataset scale."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threadsmith.checks import CheckSet, EntryRef, Runner
from threadsmith.checks.histograms import BIN_TABLE, LogHistogram, bin_value, log_bin
from threadsmith.checks.length import (
    _RATIO_BYTES,
    _RATIO_OFFSET,
    LengthRatio,
    TokenBudget,
    _ratio_bin,
    _ratio_byte,
    exchanges,
    fast_token_bound,
    fast_token_estimate,
    register_estimator,
    token_counter,
)
from threadsmith.errors import UserError
from threadsmith.model import Conversation, Message


def _conversation(*turns: str, index: int = 0) -> Conversation:
    roles = ["user", "assistant"] * len(turns)
    return Conversation(f"c{index}", tuple(Message(role, text) for role, text in zip(roles, turns)))


def _run(check: object, conversations: list[Conversation]) -> list:
    runner = Runner(CheckSet([], [check], {}))  # type: ignore[list-item]
    for i, conversation in enumerate(conversations):
        result = runner.process(conversation)
        runner.observe(result.summaries, EntryRef(None, i, conversation.id, None))
    return runner.finish()


def test_fast_estimate_is_the_mean_of_chars_and_words() -> None:
    assert fast_token_estimate("") == 0
    assert fast_token_estimate("Hello there") == 3  # (11/4 + 2*1.3) / 2 = 2.675
    text = "The scene of the crime is a dimly lit study inside a grand mansion. " * 20
    chars, words = len(text) / 4, len(text.split()) * 1.3
    assert fast_token_estimate(text) == pytest.approx((chars + words) / 2, abs=1)


def test_fast_estimate_counts_non_latin_scripts_higher() -> None:
    chinese = "这是一个测试句子我们想看看估计器的表现"
    assert fast_token_estimate(chinese) >= 0.6 * len(chinese)
    assert fast_token_estimate("Привет, как дела?") > fast_token_estimate("Privet, kak dela?")


@given(st.text(max_size=300))
def test_the_cheap_bound_is_never_below_the_estimate(text: str) -> None:
    assert fast_token_bound(text) >= fast_token_estimate(text)


def test_a_registered_estimator_replaces_the_fast_one() -> None:
    register_estimator("test-chars", lambda options: lambda text: len(text) * int(options.get("scale", 1)))
    check = TokenBudget({"estimator": "test-chars", "scale": 2, "budget": 20, "message_overhead": 0})
    hits = list(check.check(_conversation("Hello", "Hello there")))  # (5 + 11) * 2 = 32 tokens
    assert len(hits) == 1
    assert "about 32 tokens (counted)" in hits[0].message
    assert not list(check.check(_conversation("Hi", "Hey")))


def test_an_unknown_estimator_is_a_user_error() -> None:
    with pytest.raises(UserError, match="No token estimator is called 'nope'"):
        token_counter("nope")
    with pytest.raises(UserError):
        TokenBudget({"estimator": "nope"})


def test_budget_counts_the_template_overhead_per_message() -> None:
    conversation = _conversation(*(["Hi"] * 10))  # 10 messages of 1 token
    assert not list(TokenBudget({"budget": 50, "message_overhead": 4}).check(conversation))
    assert list(TokenBudget({"budget": 49, "message_overhead": 4}).check(conversation))


def test_log_bins_invert() -> None:
    assert [log_bin(n) for n in (0, 1, 3, 7, 15)] == [0, 4, 8, 12, 16]
    assert log_bin(10_000) == int(4 * 13.2879)  # beyond the lookup table
    assert bin_value(log_bin(99) + 0.5) == pytest.approx(100, rel=0.1)


def test_histogram_median_and_spread() -> None:
    hist = LogHistogram()
    assert hist.median_bin() == 0.0 and hist.spread() == 1.0
    for n in [40] * 30 + [80] * 35 + [20] * 35:
        hist.add(log_bin(n))
    assert hist.median_value() == pytest.approx(40, rel=0.15)
    assert hist.spread() == pytest.approx(1.4826 * 4, rel=0.2)  # most of the mass is one doubling away
    assert hist.running_median() == pytest.approx(hist.median_value())


def test_histogram_quantile_can_leave_the_judged_value_out() -> None:
    hist = LogHistogram()
    for n in [100] * 4 + [3]:
        hist.add(log_bin(n))
    assert hist.quantile_value(0.1) < 10  # the short value itself is the 10th percentile of five
    assert hist.quantile_value(0.1, leave_out=log_bin(3)) == pytest.approx(100, rel=0.2)
    assert hist.counts[log_bin(3)] == 1  # the histogram itself is unchanged


def test_histogram_clips_out_of_range_bins() -> None:
    hist = LogHistogram(size=8)
    hist.add(-3)
    hist.add(99)
    assert hist.counts[0] == 1 and hist.counts[7] == 1


def _story_dataset(n: int, seed: int = 0) -> list[Conversation]:
    rng = random.Random(seed)
    return [_conversation("Story?", " ".join(["word"] * rng.randint(250, 400)), index=i) for i in range(n)]


def test_ratio_is_judged_against_a_dataset_where_short_prompts_get_long_replies() -> None:
    assert _run(LengthRatio(), _story_dataset(300)) == []


def test_ratio_flags_an_outlier_in_a_dataset_of_balanced_pairs() -> None:
    rng = random.Random(1)
    data = [_conversation(" ".join(["ask"] * rng.randint(10, 40)), " ".join(["say"] * rng.randint(30, 120)), index=i)
            for i in range(400)]
    data[123] = _conversation("Hi", " ".join(["say"] * 2100), index=123)
    data[321] = _conversation(" ".join(["ask"] * 450), "Yes.", index=321)
    findings = _run(LengthRatio(), data)
    assert sorted(f.entry_index for f in findings) == [123, 321]
    long_reply = next(f for f in findings if f.entry_index == 123)
    assert "2,100 words for 1" in long_reply.message and "typically" in long_reply.message


def test_ratio_keeps_only_extreme_pairs_in_memory() -> None:
    check = LengthRatio()
    _run(check, _story_dataset(50) + [_conversation("Tell me a story", "Once upon a time.", index=99)])
    assert len(check._extreme) == 50  # the story pairs are extreme in absolute terms; nothing else is kept


def test_exchanges_pair_each_reply_with_the_user_turn_before_it() -> None:
    conversation = Conversation("c", (Message("system", "Be brief."), Message("assistant", "Hello there."),
                                      Message("user", "Tell me a story."), Message("assistant", "  "),
                                      Message("user", "Please?"), Message("assistant", "Once upon a time.")))
    system, chars, messages, users, pairs = exchanges(conversation)
    assert (system, messages, users) == ("Be brief.", 6, 2)
    assert chars == sum(len(m.text) for m in conversation.messages)
    assert pairs == ((1, 2, -1), (5, 4, 1))  # the blank reply is left out; the opener answers no user turn
    assert exchanges(conversation) is exchanges(conversation)  # cached for the conversation


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_ratio_bytes_are_the_clipped_ratio_bins(reply: int, user: int) -> None:
    expected = min(2 * _RATIO_OFFSET - 1, max(0, _ratio_bin(reply, user)))
    assert _ratio_byte(reply, user) == expected
    if reply < 4096 and user < 4096:
        assert _RATIO_BYTES[BIN_TABLE[reply] - BIN_TABLE[user]] == expected
