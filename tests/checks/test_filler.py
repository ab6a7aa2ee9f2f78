"""Filler checks (FL001-FL003): what the case files cannot say."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threadsmith.checks import build_checks
from threadsmith.checks.filler import _sign_off_in
from threadsmith.checks.filler_openers import strip_opener
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.text import fold, words
from threadsmith.checks.turn_scan import may_sign_off
from threadsmith.formats import read_file
from threadsmith.model import Conversation, Message

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "threadsmith" / "examples"

SIGN_OFFS = [
    "I hope this helps!", "Hope that helps :)", "I hope this information is helpful.", "I hope you find this useful.",
    "Let me know if you have any other questions.", "Let me know if you need further assistance.",
    "Let me know if there's anything else I can do for you.", "Feel free to ask if you need anything else!",
    "If you have any more questions, feel free to ask.", "If you have any other questions, don't hesitate to ask!",
    "Don't hesitate to reach out if you need more help.", "Is there anything else I can help you with?",
    "I'm always here to help if you need it.", "Happy to help!", "Happy coding!", "Have a great day!",
    "I hope that clears things up.", "Let me know how it goes!", "I'M HERE IF YOU NEED ANYTHING ELSE.",
    "Don’t hesitate to reach out with more questions.", "Good luck, and have a wonderful evening!",
    "If you'd like, I can elaborate on any of these points.", "Enjoy, and tell me what you think!",
]


def check_hits(conversation: Conversation, code: str, kind: str = "assistant", **options: object) -> list[str]:
    (check,) = build_checks(select=[code], options={code: options}, context=CheckContext(kind=kind)).conversation
    return [hit.message for hit in check.check(conversation)]


def reply(text: str, question: str = "How do I do it?") -> Conversation:
    return Conversation("c", (Message("user", question), Message("assistant", text)))


@pytest.mark.parametrize("sign_off", SIGN_OFFS)
def test_every_sign_off_is_found_and_the_quick_test_lets_it_through(sign_off: str) -> None:
    text = "Run `make` in the project folder. " + sign_off
    assert may_sign_off(tuple(words(text))), "the cheap pre-test must not hide a sign-off the full search finds"
    assert _sign_off_in(fold(sign_off)) is not None
    assert check_hits(reply(text), "FL001")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SIGN_OFFS + ["Run make.", "Good luck with the exam!", "It works.", "\n\n"]),
                min_size=1, max_size=5))
def test_sign_off_fix_is_idempotent_and_complete(pieces: list[str]) -> None:
    (check,) = build_checks(select=["FL001"]).conversation
    conversation = reply("Use a soft reset. " + " ".join(pieces))
    fixed = check.fix(conversation)
    assert check.fix(fixed) == fixed
    assert not [hit for hit in check.check(fixed) if hit.fixable]


def test_window_option_reaches_further_back() -> None:
    text = "Use a soft reset. I hope this helps. It stays staged. Push later."
    assert check_hits(reply(text), "FL001") == []
    assert check_hits(reply(text), "FL001", window=3)


@pytest.mark.parametrize(("text", "stripped"), [
    ("Great question! Air scatters blue light.", "Air scatters blue light."),
    ("What a great question. Air scatters blue light.", "Air scatters blue light."),
    ("Certainly! Here's a poem:", "Here's a poem:"),
    ("Sure, here is the code:", "Here is the code:"),
    ("Of course! Let me explain how.", "Let me explain how."),
    ("What a fascinating request! The tower...", "The tower..."),
    ("Thank you for your question. Tides follow the moon.", "Tides follow the moon."),
    ("Happy to help! Below is the story you asked for.\n\nOnce...", "Once..."),
    ("Okay, here's what I came up with:\n\nRoses...", "Roses..."),
    ("Sure thing! Here you go: 42", "42"),
    ("Alright, let's get started! Step one.", "Step one."),
    ("Absolutely! I'd be happy to help with that. Recursion is...", "Recursion is..."),
    ("Certainly. In ancient Egypt...", "In ancient Egypt..."),
    ("Sure! 1. Preheat the oven.", "1. Preheat the oven."),
])
def test_openers_are_removed(text: str, stripped: str) -> None:
    assert strip_opener(text) == stripped
    assert strip_opener(stripped) is stripped


@pytest.mark.parametrize("text", [
    "Sure, you can use butter.", "Certainly not on a weekday.", "Of course it does, because the oven is hot.",
    "Absolutely nothing happens.", "Questions like this one come up often.", "Here's a draft:\n\nDear Sam,",
    "What a great day it was.", "Thank you for the flowers.", "Good question marks matter.",
])
def test_content_that_starts_like_an_opener_is_kept(text: str) -> None:
    assert strip_opener(text) is text


def test_yes_no_questions_make_a_bare_yes_content() -> None:
    assert check_hits(reply("Sure! Wrap it tightly.", "Can I freeze bread?"), "FL002") == []
    assert check_hits(reply("Sure! Wrap it tightly.", "Can you tell me how to freeze bread?"), "FL002")


def test_roleplay_interjections_count_only_outside_quoted_dialogue() -> None:
    spoken = reply("Of course! *She grabs your sleeve.* This way.", "*I wave.* can you show me?")
    assistant_voice = reply("Of course! Here's the harbour. *She points.*", "*I wave.* can you show me?")
    narrated = reply("Of course! *She grabs your sleeve.* \"This way.\"", "*I wave.* \"Can you show me?\"")
    assert check_hits(spoken, "FL002", "roleplay") == []
    assert check_hits(assistant_voice, "FL002", "roleplay")
    assert check_hits(narrated, "FL002", "roleplay")


UNRELATED = ("Feed the starter every day with equal weights of flour and water, and discard half before each "
             "feeding.\n\nIndex funds track a market index with low fees, which makes them popular with "
             "long-term investors and retirement savings plans.\n\nIf hooch forms on the starter, pour it off and "
             "feed the starter again.")


def test_unrelated_paragraph_thresholds_are_options() -> None:
    conversation = reply(UNRELATED, "How do I keep a sourdough starter alive?")
    assert check_hits(conversation, "FL003")
    assert check_hits(conversation, "FL003", min_paragraphs=4) == []
    assert check_hits(conversation, "FL003", min_words=30) == []


def test_a_paragraph_that_opens_with_a_pronoun_refers_back() -> None:
    text = UNRELATED.replace("Index funds track", "They track")
    assert check_hits(reply(text, "How do I keep a sourdough starter alive?"), "FL003") == []


@pytest.mark.parametrize(("name", "kind"), [("assistant-chat.jsonl", "assistant"),
                                            ("roleplay-lighthouse.jsonl", "roleplay")])
def test_example_datasets_audit_clean(name: str, kind: str) -> None:
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"{name} is not there")
    conversations = [c for c in read_file(path) if isinstance(c, Conversation)]
    for code in ("FL001", "FL002", "FL003"):
        flagged = sum(1 for c in conversations if check_hits(c, code, kind))
        assert flagged <= 0.05 * len(conversations), code
