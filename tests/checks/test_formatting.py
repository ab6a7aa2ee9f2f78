"""Formatting checks (FM): convention detection, norms at dataset scale, and roleplay-only behaviour."""

from __future__ import annotations

import random
import re

import pytest

from threadsmith.checks import CheckSet, EntryRef, Runner
from threadsmith.checks import actions
from threadsmith.checks import conventions as cv
from threadsmith.checks.formatting import (
    ActionStyle,
    NamePrefix,
    NarrationPerson,
    QuoteStyle,
    UnbalancedMarkup,
    unbalanced,
)
from threadsmith.checks.norms import Dimension, Norms
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.speaker_labels import name_prefix
from threadsmith.model import Conversation, Message


def _conversation(*replies: str, index: int = 0) -> Conversation:
    messages: list[Message] = []
    for reply in replies:
        messages += [Message("user", "Go on."), Message("assistant", reply)]
    return Conversation(f"c{index}", tuple(messages))


def _mask(reply: str, roleplay: bool = False) -> int:
    return cv.conventions(_conversation(reply), roleplay)


def _run(check: object, replies: list[str]) -> list:
    runner = Runner(CheckSet([], [check], {}))  # type: ignore[list-item]
    for i, reply in enumerate(replies):
        conversation = _conversation(reply, index=i)
        result = runner.process(conversation)
        runner.observe(result.summaries, EntryRef(None, i, conversation.id, None))
    return runner.finish()


@pytest.mark.parametrize(("text", "bit"), [
    ("*waves*", cv.ACT_ASTERISK),
    ("*She smiles warmly at you.* Hi.", cv.ACT_ASTERISK),
    ("*Captain Reyes slowly turns around.*", cv.ACT_ASTERISK),
    ("(laughs) That's rich.", cv.ACT_PAREN),
    ("Fine. (He shrugs.) Whatever.", cv.ACT_PAREN),
    ("[She leans closer] Listen.", cv.ACT_BRACKET),
    ("## Title\n\nText", cv.MARKDOWN),
    ("Use **bold** here.", cv.MARKDOWN),
    ("See [the docs](https://example.com).", cv.MARKDOWN),
    ("Run `ls` first.", cv.MARKDOWN),
    ("| a | b |\n|---|---|\n| 1 | 2 |", cv.MARKDOWN),
    ("- one\n- two", cv.LIST),
    ("Line one<br>Line two", cv.HTML),
    ("```\ncode\n```", cv.FENCE),
    ('"Come in," she says.', cv.Q_STRAIGHT_DOUBLE),
    ("“Come in,” she says.", cv.Q_CURLY_DOUBLE),
    ("She says 'Come in, the door is open.' and waits.", cv.Q_STRAIGHT_SINGLE),
    ("She says ‘Come in.’", cv.Q_CURLY_SINGLE),
    ("I don't know.", cv.APOS_STRAIGHT),
    ("I don’t know.", cv.APOS_CURLY),
    ("Mira: Hello there.", cv.PREFIXED),
    ("**Mira:** Hello there.", cv.PREFIXED),
    ("[Mira] Hello there.", cv.PREFIXED),
    ("Mira - Hello there.", cv.PREFIXED),
    ("Hello there.", cv.UNPREFIXED),
    ("_She waves from the pier._ Hi.", cv.ACT_OTHER),
    ("~smiles~ Welcome back.", cv.ACT_OTHER),
    ("*The old keeper nods slowly.* Aye.", cv.ACT_ASTERISK),
    ("*The keeper slowly turns.* Aye.", cv.ACT_ASTERISK),
    ("Mars' surface is rocky.", cv.APOS_STRAIGHT),
    ("The founders’ ideals endure.", cv.APOS_CURLY),
    ("Run `ls` first. If you’d rather not, skip it.", cv.APOS_CURLY),
    ("Response\n---\n\nThe case is closed.", cv.MARKDOWN),
    ("Nutritionist - Here is a plan.\n\nBreakfast: oats.\nLunch: soup.", cv.PREFIXED),
])
def test_conventions_detected(text: str, bit: int) -> None:
    assert _mask(text) & bit


@pytest.mark.parametrize(("text", "bits"), [
    ("It is *really* important.", cv.ACTIONS),
    ("The function (see below) returns a list.", cv.ACTIONS),
    ("Call f(x) with [1, 2, 3].", cv.ACTIONS),
    ("A single line - with a dash.", cv.LIST),
    ("Steps:\n1. walk\n2. row", cv.LIST),
    ("5 < 6 and 7 > 3", cv.HTML),
    ("Price: 5 * 3 = 15", cv.MARKDOWN),
    ("Note: the ferry is late.", cv.PREFIXED),
    ("Step 1: boil water.", cv.PREFIXED),
    ("[Your Name] Dear Sir,", cv.PREFIXED),
    ("Tokyo is big - really big.", cv.PREFIXED),
    ("Assistant: hello", cv.PREFIXED),  # role labels are role-confusion's business
    ("Detective: Where were you?\nWitness: At home.", cv.PREFIXED),
    ('{"a": "b"}', cv.Q_STRAIGHT_DOUBLE),
    ('Use `print("hi")` here.', cv.Q_STRAIGHT_DOUBLE),  # quotes in code are syntax
    ("*The key point: watch the water.*", cv.ACTIONS),  # a label, not a subject
    ("my_var_name = 1", cv.ACTIONS),
    ("See https://example.com//path//x for more.", cv.ACTIONS),
    ("Text\n\n---\n\nMore text", cv.MARKDOWN),  # a rule between paragraphs is no heading
    ("Questioner: Where were you? Time Traveler: In 2300.", cv.PREFIXED),
])
def test_conventions_not_detected(text: str, bits: int) -> None:
    assert not _mask(text) & bits


def test_prose_narration_and_person_need_roleplay() -> None:
    prose = 'She sets the cup down. "Drink," she says.'
    assert not _mask(prose) & cv.ACT_PROSE
    assert _mask(prose, roleplay=True) & cv.ACT_PROSE
    assert _mask(prose, roleplay=True) & cv.THIRD_PERSON
    assert _mask('I set the cup down. "Drink," I say.', roleplay=True) & cv.FIRST_PERSON
    assert _mask("*I lean on the railing.*", roleplay=True) & cv.FIRST_PERSON
    assert not _mask("*I lean on the railing.*") & (cv.FIRST_PERSON | cv.THIRD_PERSON)


def test_action_verbs_have_their_forms() -> None:
    for form in ("nod", "nods", "nodding", "nodded", "smiles", "smiling", "smiled", "cries", "cried", "took", "stood"):
        assert form in actions.VERBS


@pytest.mark.parametrize(("text", "problem"), [
    ("*She turns away.", "odd number of *"),
    ("**Bold start only.", "unclosed **"),
    ('"Come in, she says.', "straight double quotes"),
    ("“Come in, she says.", "1 opening but 0 closing"),
])
def test_unbalanced(text: str, problem: str) -> None:
    assert any(problem in p for p in unbalanced(text))


@pytest.mark.parametrize("text", [
    "*She turns away.* \"Fine.\"", "* item\n* item", "2 * 3 = 6", "4*5", "***", "Sh*t, f**k.", "\\*literal",
    "He is 6'2\" tall.", "`\"` is a quote", "\"One.\n\n\"Two,\" she said.",
])
def test_balanced(text: str) -> None:
    assert unbalanced(text) == []


def test_name_prefix_reads_the_message_name() -> None:
    assert name_prefix("kai: hello", "kai") == "kai"
    assert name_prefix("Captain Reyes: All hands.") == "Captain Reyes"
    assert name_prefix("Answer: 42") is None


def test_action_style_at_scale_flags_the_deviants() -> None:
    rng = random.Random(2)
    replies = ["*She smiles warmly.* \"Welcome back.\"" if rng.random() > 0.03 else "(smiles warmly) Welcome back."
               for _ in range(2000)]
    deviants = {i for i, r in enumerate(replies) if r.startswith("(")}
    findings = _run(ActionStyle(), replies)
    assert {f.entry_index for f in findings} == deviants
    assert "*asterisk* actions" in findings[0].message


def test_no_clear_norm_means_no_findings_and_little_memory() -> None:
    rng = random.Random(4)
    replies = [rng.choice(["*She smiles.* Hi.", "(smiles) Hi."]) for _ in range(6000)]
    check = ActionStyle()
    assert _run(check, replies) == []
    assert check.norms.given_up[0] and check.norms.kept == []


def test_prose_style_is_a_style_in_roleplay_datasets() -> None:
    replies = ['She sets the cup down. "Drink," she says.'] * 60 + ["*She sets the cup down.* \"Drink.\""]
    findings = _run(ActionStyle(context=CheckContext("roleplay")), replies)
    assert [f.entry_index for f in findings] == [60]
    assert "plain prose" in findings[0].message
    # Outside roleplay, prose is not an action style; the entry is still the one with stray markup.
    findings = _run(ActionStyle(context=CheckContext("assistant")), replies)
    assert [f.entry_index for f in findings] == [60]
    assert "uses action markup" in findings[0].message


def test_narration_person_runs_in_roleplay_datasets() -> None:
    replies = ["*She leans on the railing.* \"Aye.\""] * 60 + ["*I lean on the railing.* \"Aye.\""]
    assert [f.entry_index for f in _run(NarrationPerson(context=CheckContext("roleplay")), replies)] == [60]
    assert _run(NarrationPerson(context=CheckContext("instruction")), replies) == []


def test_quote_style_and_prefix_names_the_norm() -> None:
    replies = ['"Come in," she says.'] * 97 + ["“Come in,” she says."] * 3
    findings = _run(QuoteStyle(), replies)
    assert len(findings) == 3
    assert "97% of entries that quote quote with straight double quotes" in findings[0].message
    prefixed = _run(NamePrefix(), ["Hello there."] * 99 + ["Mira: Hello there."])
    assert [f.message_index for f in prefixed] == [1]
    assert "'Mira:'" in prefixed[0].message and "99% of entries have no name prefix" in prefixed[0].message


def test_norm_survives_a_late_majority_within_the_warmup() -> None:
    norms = Norms((Dimension(lambda mask: mask, ("one", "two"), "entries"),), (0.15,))
    refs = [EntryRef(None, i, None, None) for i in range(3000)]
    for ref in refs[:100]:
        norms.observe(2, ref, None)  # the minority comes first
    for ref in refs[100:]:
        norms.observe(1, ref, None)
    assert norms.dominant(0, 30, 0.9) == (1, pytest.approx(2900 / 3000))
    assert sum(1 for _, mask, _ in norms.kept if mask == 2) == 100
    assert all(mask == 2 for _, mask, _ in norms.kept)  # the majority's entries are not kept


def test_norms_keep_the_late_deviants_only() -> None:
    norms = Norms((Dimension(lambda mask: mask, ("one", "two"), "entries"),), (0.15,))
    for i in range(10000):
        norms.observe(2 if i % 100 == 7 else 1, EntryRef(None, i, None, None), None)
    assert norms.dominant(0, 30, 0.9) == (1, pytest.approx(0.99))
    assert [ref.entry_index for ref, _, _ in norms.kept] == [i for i in range(10000) if i % 100 == 7]


# Hot-path patterns must not start with a lookbehind, \b or ^: Python's regex engine then tries
# every position of the text instead of jumping to a literal first character.
@pytest.mark.parametrize("pattern", [
    cv._ASTERISK_SPAN, cv._PAREN_SPAN, cv._BRACKET_SPAN, cv._LIST_ITEM, cv._HTML, cv._SINGLE_DIALOGUE,
    actions._STRAIGHT_QUOTED, actions._CURLY_QUOTED, *actions._FIRST_PERSON, actions._MAYBE_I, actions._MAYBE_ME,
    actions._THIRD_START, cv._LINE_MARK,
    cv._INNER_STRAIGHT, cv._INNER_CURLY, cv._POSSESSIVE_STRAIGHT, cv._POSSESSIVE_CURLY,
    *(p for _, p, _ in cv._OTHER_SPANS), *(p for _, _, p, _ in cv._MARKDOWN_PARTS),
], ids=lambda p: p.pattern[:20])
def test_hot_patterns_start_with_a_literal(pattern: re.Pattern[str]) -> None:
    assert not pattern.pattern.startswith(("(?<", "\\b", "^", "(?m)", "(?:^"))


def test_article_subjects_are_not_prose_narration() -> None:
    # "The wind howls." is narration but no character's action: prose needs a pronoun or name.
    assert not _mask('The wind howls. "Come in."', roleplay=True) & cv.ACT_PROSE
    assert _mask('She waves. "Come in."', roleplay=True) & cv.ACT_PROSE


def test_masks_read_per_turn_where_a_joined_reading_would_differ() -> None:
    two = Conversation("c", (Message("user", "a"), Message("assistant", 'He said "hi.'),
                             Message("user", "b"), Message("assistant", 'She said "bye.')))
    assert not cv.conventions(two) & cv.Q_STRAIGHT_DOUBLE  # one quote mark in each turn
    lists = Conversation("l", (Message("user", "a"), Message("assistant", "Pack:\n- a coat"),
                               Message("user", "b"), Message("assistant", "Also:\n- boots")))
    assert not cv.conventions(lists) & cv.LIST  # one item in each turn is no list


@pytest.mark.parametrize("seed", range(3))
def test_unbalanced_markup_fast_path_agrees_with_the_full_reading(seed: int) -> None:
    rng = random.Random(seed)
    marks = ["*", "**", '"', "“", "”", "`", " ", "a", "\n", "'"]
    check = UnbalancedMarkup()
    for i in range(400):
        text = "".join(rng.choice(marks) for _ in range(rng.randint(1, 12)))
        conversation = Conversation(f"c{i}", (Message("user", "Go on."), Message("assistant", text)))
        assert bool(check.check(conversation)) == bool(text.strip() and unbalanced(text)), text
