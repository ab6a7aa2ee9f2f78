"""The case-file harness itself: it must fail when a check does not do what a case says."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from threadsmith.checks import ConversationCheck, Hit
from threadsmith.errors import MissingDependency, UserError
from threadsmith.model import Conversation, Family, Severity
from threadsmith.testing import Case, assert_case, case_findings, load_case_file, load_cases

PADDED = 'conversation: [{role: user, content: " Hi "}, {role: assistant, content: Hello}]'


def _cases(tmp_path: Path, body: str, code: str = "ST008") -> list[Case]:
    path = tmp_path / f"{code}.yaml"
    path.write_text(f"check: {code}\ncases:\n{body}", encoding="utf-8")
    return load_case_file(path)


def test_matching_case_passes(tmp_path: Path) -> None:
    (case,) = _cases(tmp_path, f"  ok:\n    {PADDED}\n    findings: [{{message_index: 0}}]\n"
                               "    fixed: [{role: user, content: Hi}, {role: assistant, content: Hello}]\n")
    assert case.id == "ST008::ok" and str(case) == "ST008::ok"
    assert case.expects_findings and case.has_fix and case.xfail is None
    assert_case(case)


@pytest.mark.parametrize("expectation", [
    "",  # no findings expected, one found
    "    findings: [{message_index: 1}]\n",  # wrong message
    "    findings: [{message_index: 0}, {message_index: 0}]\n",  # one too many
    "    findings: [{message_index: 0, message_contains: nowhere}]\n",
    "    findings: [{message_index: 0, severity: error}]\n",
    "    findings: [{message_index: 0, fixable: false}]\n",
    "    findings: [{code: ST004, message_index: 0}]\n",
    "    findings: [{message_index: 0}]\n    fixed: [{role: user, content: ' Hi '}, {role: assistant, content: Hello}]\n",
    "    findings: [{message_index: 0}]\n    fixed: null\n",
])
def test_wrong_expectations_fail(tmp_path: Path, expectation: str) -> None:
    (case,) = _cases(tmp_path, f"  wrong:\n    {PADDED}\n{expectation}")
    with pytest.raises(AssertionError):
        assert_case(case)


def test_fixed_tags_are_compared(tmp_path: Path) -> None:
    (case,) = _cases(tmp_path, "  tags:\n    conversation: [{role: user, content: Hi}, {role: assistant, content: Hello}]\n"
                               "    tags: ['', a]\n    findings: [{}]\n"
                               "    fixed: [{role: user, content: Hi}, {role: assistant, content: Hello}]\n"
                               "    fixed_tags: ['', a]\n", code="ST016")
    with pytest.raises(AssertionError, match="fixed tags"):
        assert_case(case)


def test_unreadable_input_of_a_conversation_check_is_an_error(tmp_path: Path) -> None:
    (case,) = _cases(tmp_path, "  broken:\n    line: '{\"messages\": '\n")
    with pytest.raises(UserError, match="not a conversation"):
        assert_case(case)


def test_raw_bytes_two_ways(tmp_path: Path) -> None:
    cases = _cases(tmp_path, '  escaped:\n    line_bytes: "\\xff"\n    findings: [{message_contains: "0xff"}]\n'
                             "  binary:\n    line: !!binary /w==\n    findings: [{message_contains: \"0xff\"}]\n", code="ST001")
    for case in cases:
        assert_case(case)


@pytest.mark.parametrize("body, message", [
    (f"  twice:\n    {PADDED}\n  twice:\n    {PADDED}\n", "appears twice"),
    (f"  typo:\n    {PADDED}\n    finding: []\n", "unknown keys"),
    (f"  two_inputs:\n    {PADDED}\n    line: '{{}}'\n", "exactly one input key"),
    ("  no_input:\n    findings: []\n", "exactly one input key"),
    (f"  bad_finding:\n    {PADDED}\n    findings: [{{message: 0}}]\n", "has a finding"),
    ("  [unclosed\n", "not valid YAML"),
])
def test_malformed_case_files_are_refused(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        _cases(tmp_path, body)


def test_fixed_on_a_check_without_fix_is_an_error(tmp_path: Path) -> None:
    (case,) = _cases(tmp_path, "  nofix:\n    conversation: [{role: user, content: Hi}]\n    findings: [{}]\n"
                               "    fixed: [{role: user, content: Hi}]\n", code="ST013")
    with pytest.raises(UserError, match="has no fix"):
        assert_case(case)


class _Shouting(ConversationCheck):
    """A third-party check, never registered.

    What it does:
        Reports upper-case messages.
    Why it matters:
        Nobody likes shouting.
    Example:
        ``HI``
    Fix:
        None.
    """

    code = "FM900"
    name = "shouting"
    family = Family.FORMATTING
    severity = Severity.INFO

    def check(self, conversation: Conversation) -> Iterator[Hit]:
        for i, message in enumerate(conversation.messages):
            if message.text.isupper():
                yield Hit(i, f"message {i} shouts", False)


def test_an_unregistered_check_can_be_tested(tmp_path: Path) -> None:
    cases = _cases(tmp_path, "  quiet:\n    conversation: [{role: user, content: hi}]\n"
                             "  loud:\n    conversation: [{role: user, content: HI}]\n"
                             "    findings: [{message_index: 0, message_contains: shouts}]\n", code="FM900")
    for case in cases:
        assert_case(case, _Shouting)
    assert [f.code for f in case_findings(cases[1], _Shouting)] == ["FM900"]


def test_load_cases_reads_a_folder_in_name_order(tmp_path: Path) -> None:
    _cases(tmp_path, f"  b:\n    {PADDED}\n", code="ST008")
    _cases(tmp_path, "  a:\n    conversation: []\n", code="ST004")
    (tmp_path / "notes.txt").write_text("ignored")
    assert [c.id for c in load_cases(tmp_path)] == ["ST004::a", "ST008::b"]


def test_yaml_is_needed_only_to_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ST008.yaml"
    path.write_text(f"check: ST008\ncases:\n  ok:\n    {PADDED}\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(MissingDependency, match="pyyaml"):
        load_case_file(path)
