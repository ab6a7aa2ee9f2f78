"""The scan the role-confusion and filler checks share: it may skip a message only when no check would flag it."""

from __future__ import annotations

from pathlib import Path

import pytest

from threadsmith.checks import (
    build_checks,
    filler,
    filler_openers,
    filler_paragraphs,
    generations,
    role_confusion,
    role_swap,
    role_tokens,
    role_voice,
    turn_scan,
)
from threadsmith.checks.profile import CheckContext
from threadsmith.formats import read_file
from threadsmith.model import Conversation, Message
from threadsmith.testing import case_findings, load_cases

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "src" / "threadsmith" / "examples"
CODES = ("RC001", "RC002", "RC003", "RC004", "RC005", "FL001", "FL002", "FL003", "SN003")
MODULES = (role_confusion, role_tokens, role_voice, role_swap, filler, filler_openers, filler_paragraphs, generations)
CASES = [case for case in load_cases(ROOT / "tests" / "checks" / "cases") if case.check in CODES]


def _everything(conversation: Conversation) -> turn_scan.Scan:
    """A scan that lists every message for every check: what the checks would read without the scan."""
    roles = [m.role for m in conversation.messages]
    sides = tuple(i for i, role in enumerate(roles) if role in ("user", "assistant"))
    replies = tuple(i for i, role in enumerate(roles) if role == "assistant")
    first_user = next((i for i, role in enumerate(roles) if role == "user"), len(roles))
    marked = [i for i in sides if "*" in conversation.messages[i].text or '"' in conversation.messages[i].text]
    return turn_scan.Scan(sides, sides, tuple(range(len(roles))), tuple(i for i in replies if i > first_user), sides,
                          bool(marked), tuple(i for i in marked if roles[i] == "user"), replies, replies, replies,
                          replies)


def _found(conversations: list[Conversation], kind: str) -> dict[str, list[list[str]]]:
    found = {}
    for code in CODES:
        (check,) = build_checks(select=[code], context=CheckContext(kind=kind)).conversation
        found[code] = [[hit.message for hit in check.check(c)] for c in conversations]
    return found


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case_findings_do_not_depend_on_the_scan(case, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    scanned = [(f.code, f.message_index, f.message) for f in case_findings(case)]
    for module in MODULES:
        monkeypatch.setattr(module, "scan", _everything)
    assert [(f.code, f.message_index, f.message) for f in case_findings(case)] == scanned


@pytest.mark.parametrize("name", ["assistant-chat.jsonl", "roleplay-lighthouse.jsonl", "dirty.jsonl"])
@pytest.mark.parametrize("kind", ["assistant", "roleplay"])
def test_example_findings_do_not_depend_on_the_scan(name: str, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"{name} is not there")
    conversations = [c for c in read_file(path) if isinstance(c, Conversation)]
    scanned = _found(conversations, kind)
    for module in MODULES:
        monkeypatch.setattr(module, "scan", _everything)
    assert _found(conversations, kind) == scanned


def test_the_scan_is_cached_for_the_conversation_being_checked() -> None:
    conversation = Conversation("c", (Message("user", "Hi: there"), Message("assistant", "Certainly! Here's a map.")))
    first = turn_scan.scan(conversation)
    assert turn_scan.scan(conversation) is first
    assert first.labels == (0,) and first.openers == (1,)


@pytest.mark.parametrize(("words", "expected"), [
    (("let", "me", "know", "if", "you", "have", "questions"), True),
    (("have", "a", "great", "day"), True),
    (("the", "tide", "turns", "at", "six"), False),
    (("it", "was", "a", "long", "day"), False),
])
def test_sign_off_pretest(words: tuple[str, ...], expected: bool) -> None:
    assert turn_scan.may_sign_off(words) is expected


def test_the_reply_ends_are_those_of_the_truncation_check() -> None:
    assert set(turn_scan.REPLY_ENDS) == set(generations._ENDED)
