"""Weak-turn checks (WT): what the case files cannot say (dataset kinds, WT003 at dataset scale)."""

from __future__ import annotations

import random

import pytest

from threadsmith.checks import CheckSet, EntryRef, Runner
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.text import view
from threadsmith.checks.short_replies import ShortReply
from threadsmith.checks.weak_turns import EchoReply, NonResponsiveReply, minimal_reply
from threadsmith.model import Conversation, Message


def _conversation(*turns: str, system: str | None = None, index: int = 0) -> Conversation:
    messages = [Message("system", system)] if system else []
    messages += [Message("user" if i % 2 == 0 else "assistant", text) for i, text in enumerate(turns)]
    return Conversation(f"c{index}", tuple(messages))


def _reply_view(text: str):  # the assistant turn's MessageView
    return view(_conversation("Hi", text))[1]


@pytest.mark.parametrize("text", ["Okay.", "Sure!", "I see.", "ok ok", "Mm-hmm.", "*nods* Got it.",
                                  "Oh, that's interesting!", "...", "Alright then, sounds good."])
def test_minimal_replies(text: str) -> None:
    assert minimal_reply(_reply_view(text), 6)


@pytest.mark.parametrize("text", ["Yes.", "No.", "Thank you!", "You're welcome.", "Paris.", "Sure, it opens at nine.",
                                  "*nods and hands you the lantern, then points at the stairs* Okay.",
                                  "Okay okay okay okay okay okay okay."])
def test_replies_that_are_not_minimal(text: str) -> None:
    assert not minimal_reply(_reply_view(text), 6)


def test_echo_needs_more_coverage_in_instruction_datasets() -> None:
    conversation = _conversation("Repeat after me: the quick brown fox jumps over the lazy dog",
                                 "the quick brown fox jumps over the lazy dog")
    assert list(EchoReply(context=CheckContext("assistant")).check(conversation))
    assert not list(EchoReply(context=CheckContext("instruction")).check(conversation))
    verbatim = _conversation("Summarize: the quick brown fox jumps.", "Summarize: the quick brown fox jumps.")
    assert list(EchoReply(context=CheckContext("instruction")).check(verbatim))


OFF_TOPIC = _conversation("Describe the vegetables that grow well in shady gardens with poor soil.",
                          "The stock market closed higher today after a volatile week of trading in technology.")
OFF_TOPIC_QUESTION = _conversation("Which vegetables grow well in shady gardens with poor soil?",
                                   "The stock market closed higher today after a volatile week of trading in technology.")


def test_non_responsive_judges_tasks_in_instruction_datasets_only() -> None:
    assert list(NonResponsiveReply(context=CheckContext("instruction")).check(OFF_TOPIC))
    assert not list(NonResponsiveReply(context=CheckContext("assistant")).check(OFF_TOPIC))
    assert list(NonResponsiveReply(context=CheckContext("assistant")).check(OFF_TOPIC_QUESTION))


def test_non_responsive_in_roleplay_judges_only_single_exchange_tasks() -> None:
    roleplay = CheckContext("roleplay")
    task = _conversation("You are a seasoned gardener in a small medieval village near the coast. Describe which "
                         "vegetables grow well in shady gardens with poor, sandy soil.",
                         "The stock market closed higher today after a volatile week of trading in technology.")
    assert list(NonResponsiveReply(context=roleplay).check(task))
    assert not list(NonResponsiveReply({"in_roleplay": False}, roleplay).check(task))
    # Too few content words for a task; and scene lines of a chat are never judged by default.
    assert not list(NonResponsiveReply(context=roleplay).check(OFF_TOPIC_QUESTION))
    scene = _conversation("*I sit down.* Hello.", "*She nods.* Evening.",
                          "Which vegetables grow well in shady gardens with poor soil?",
                          "The stock market closed higher today after a volatile week of trading in technology.")
    assert not list(NonResponsiveReply(context=roleplay).check(scene))
    assert list(NonResponsiveReply({"in_roleplay": True}, roleplay).check(scene))


def test_non_responsive_counts_a_stem_anywhere_in_the_reply() -> None:
    related = _conversation("Which vegetables grow well in shady gardens with poor soil?",
                            "Most shade-tolerant vegetable beds do well with leafy greens and a mulch of compost.")
    assert not list(NonResponsiveReply().check(related))


def _run(check: ShortReply, conversations: list[Conversation]) -> list:
    runner = Runner(CheckSet([], [check], {}))
    for i, conversation in enumerate(conversations):
        result = runner.process(conversation)
        runner.observe(result.summaries, EntryRef(None, i, conversation.id, None))
    return runner.finish()


def _reply(rng: random.Random, median: int) -> str:
    return " ".join(["word"] * max(1, int(rng.lognormvariate(0, 0.35) * median)))


def test_short_reply_at_dataset_scale() -> None:
    rng = random.Random(3)
    data = [_conversation(" ".join(["ask"] * rng.randint(8, 40)), _reply(rng, 120), index=i) for i in range(3000)]
    planted = set(rng.sample(range(3000), 30))
    for i in planted:
        data[i] = _conversation("Tell me about the old harbour and who built it, please.", "It is old.", index=i)
    check = ShortReply()
    found = {f.entry_index for f in _run(check, data)}
    assert planted <= found
    assert len(found - planted) <= 0.005 * 3000
    assert len(check._candidates) < 0.2 * 3000  # memory follows the short replies, not the dataset


def test_short_reply_compares_within_a_system_prompt() -> None:
    rng = random.Random(5)
    verbose, terse = "You are Mira, a storyteller who answers at length.", "You are Kai. Answer in a line or two."
    data = [_conversation("Tell me about the tower on the hill.", _reply(rng, 200), system=verbose, index=i)
            for i in range(300)]
    data += [_conversation("Tell me about the tower on the hill.", _reply(rng, 12), system=terse, index=300 + i)
             for i in range(300)]
    data.append(_conversation("Tell me about the tower on the hill.", _reply(rng, 12), system=verbose, index=600))
    findings = _run(ShortReply(), data)
    assert [f.entry_index for f in findings] == [600]
    assert "with this system prompt" in findings[0].message


def test_short_reply_needs_support() -> None:
    data = [_conversation("Tell me about the tower.", "word " * 100, index=i) for i in range(12)]
    data.append(_conversation("Tell me about the tower.", "It is old.", index=12))
    assert _run(ShortReply(), data) == []
    assert [f.entry_index for f in _run(ShortReply({"min_support": 10}), data)] == [12]


def test_short_reply_falls_back_to_all_replies_in_small_datasets() -> None:
    rng = random.Random(9)
    data = [_conversation(" ".join(["ask"] * rng.choice([2, 8, 30, 90])), _reply(rng, 60), index=i) for i in range(23)]
    data.append(_conversation("Tell me about the harbour wall and the old pier.", "It is old.", index=23))
    findings = _run(ShortReply(), data)
    assert [f.entry_index for f in findings] == [23]
    assert "replies in this dataset" in findings[0].message


def test_short_reply_without_a_norm_reports_nothing() -> None:
    rng = random.Random(7)
    # Replies spread over two orders of magnitude: nothing is far below "typical".
    data = [_conversation("Tell me about the tower.", "word " * int(10 ** rng.uniform(0.5, 2.5)), index=i)
            for i in range(1000)]
    assert len(_run(ShortReply(), data)) <= 5


def test_openings_are_only_compared_with_openings() -> None:
    rng = random.Random(11)
    data = []
    for i in range(40):
        messages = (Message("system", "You are Mira."), Message("assistant", "Hi! What brings you here today?"),
                    Message("user", "Tell me about the tower on the hill."), Message("assistant", _reply(rng, 150)))
        data.append(Conversation(f"c{i}", messages))
    assert _run(ShortReply(), data) == []


@pytest.mark.parametrize(("text", "short"), [
    ("Answer in one word: which is bigger?", True), ("Describe the sea in a single sentence.", True),
    ("Give me a two-line poem.", True), ("In a word, how was it?", True), ("Summarize in three bullets.", True),
    ("Riddle time: what am I?", True), ("Yes or no: is it raining?", True), ("True or false: fish swim.", True),
    ("Write a haiku about rain.", True), ("What is the capital of Peru?", False), ("One of my friends left.", False),
    ("Tell me a few things about the sea lines.", False), ("Someone word for word copied it.", False),
])
def test_asks_for_something_short(text: str, short: bool) -> None:
    from threadsmith.checks.weak_turn_text import _asks_for_short

    assert _asks_for_short(view(_conversation(text, "Sure."))[0]) is short
