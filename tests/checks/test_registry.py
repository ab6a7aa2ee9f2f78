"""The check registry: codes, declarations, selectors, and the runner's crash containment."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from threadsmith.checks import (
    CheckSet,
    ConversationCheck,
    DatasetCheck,
    EntryRef,
    Hit,
    Runner,
    all_checks,
    get_check,
    resolve,
)
from threadsmith.checks.registry import PREFIXES, SECTIONS, declaration_problems
from threadsmith.checks.turns import EmptyContent, SurroundingWhitespace
from threadsmith.errors import UnknownCheck
from threadsmith.model import Conversation, Family, FixSafety, Message, Severity, Source

CHECKS = all_checks()
ALL_CODES = {cls.code for cls in CHECKS}


def test_codes_are_unique_well_formed_and_sorted() -> None:
    codes = [cls.code for cls in CHECKS]
    assert len(codes) == len(set(codes))
    assert codes == sorted(codes)
    assert all(re.fullmatch(r"[A-Z]{2}\d{3}", code) for code in codes)


def test_names_are_unique_kebab_case() -> None:
    names = [cls.name for cls in CHECKS]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) for name in names)


def test_every_family_has_its_own_prefix() -> None:
    assert set(PREFIXES) == set(Family)
    assert len(set(PREFIXES.values())) == len(PREFIXES)


@pytest.mark.parametrize("cls", CHECKS, ids=lambda cls: cls.code)
def test_declaration(cls: type) -> None:
    assert declaration_problems(cls) == []
    assert cls.code[:2] == PREFIXES[cls.family]
    assert isinstance(cls.severity, Severity)


@pytest.mark.parametrize("cls", CHECKS, ids=lambda cls: cls.code)
def test_docstring_has_the_four_sections_in_order(cls: type) -> None:
    doc = cls.doc()
    positions = [doc.find(section) for section in SECTIONS]
    assert -1 not in positions, f"{cls.code} lacks {[s for s, p in zip(SECTIONS, positions) if p < 0]}"
    assert positions == sorted(positions), f"{cls.code}: sections out of order"
    bodies = [doc[start + len(s):end] for s, start, end in zip(SECTIONS, positions, [*positions[1:], len(doc)])]
    assert all(body.strip() for body in bodies), f"{cls.code}: a section is empty"
    assert cls.summary() and not cls.summary().startswith(SECTIONS), f"{cls.code}: no summary line"


@pytest.mark.parametrize("cls", CHECKS, ids=lambda cls: cls.code)
def test_fix_section_states_the_fix_safety(cls: type) -> None:
    fix_text = cls.doc().split("Fix:", 1)[1].strip()
    expected = {None: "None", FixSafety.SAFE: "Safe", FixSafety.UNSAFE: "Unsafe"}[cls.fix_safety]
    assert re.match(rf"{expected}\b", fix_text), f"{cls.code}: 'Fix:' starts {fix_text[:20]!r}, expected {expected!r}"


@pytest.mark.parametrize("cls", CHECKS, ids=lambda cls: cls.code)
def test_get_check_by_code_and_name(cls: type) -> None:
    assert get_check(cls.code) is cls
    assert get_check(cls.code.lower()) is cls
    assert get_check(f" {cls.name} ") is cls


def test_get_check_unknown() -> None:
    with pytest.raises(UnknownCheck):
        get_check("XX999")


@pytest.mark.parametrize("cls", CHECKS, ids=lambda cls: cls.code)
def test_resolve_code_and_name(cls: type) -> None:
    assert resolve([cls.code]) == {cls.code}
    assert resolve([cls.code.lower()]) == {cls.code}
    assert resolve([cls.name]) == {cls.code}


def test_resolve_prefixes() -> None:
    structure = {c for c in ALL_CODES if c.startswith("ST")}
    assert resolve(["ST"]) == structure
    assert resolve(["st"]) == structure
    assert resolve(["ST00"]) == {c for c in structure if c < "ST010"}
    assert resolve(["ST01", "RP"]) == {c for c in ALL_CODES if c.startswith(("ST01", "RP"))}


@pytest.mark.parametrize("family", list(Family), ids=lambda f: f.value)
def test_resolve_family_names(family: Family) -> None:
    members = {cls.code for cls in CHECKS if cls.family is family}
    assert resolve([family.value]) == members
    assert resolve([family.value.upper()]) == members


def test_resolve_all_and_blanks() -> None:
    assert resolve(["ALL"]) == ALL_CODES
    assert resolve(["all"]) == ALL_CODES
    assert resolve(["", "  "]) == set()
    assert resolve([]) == set()
    assert resolve([" ST004 ", "ST004"]) == {"ST004"}


@pytest.mark.parametrize("selector", ["XX999", "ST9", "ST0000", "not-a-check", "structures", "S T"])
def test_resolve_unknown_selector_raises(selector: str) -> None:
    with pytest.raises(UnknownCheck):
        resolve([selector])


# --- a check's bug becomes a finding, and the run goes on -------------------------------------

class _Crashing(ConversationCheck):
    """Crashes on every conversation (local to this test: never registered).

    What it does:
        Raises.
    Why it matters:
        It tests the runner.
    Example:
        Any conversation.
    Fix:
        Unsafe: raises too.
    """

    code = "ST999"
    name = "crashing"
    family = Family.STRUCTURE
    severity = Severity.INFO
    fix_safety = FixSafety.UNSAFE
    fix_description = "crash"

    def check(self, conversation: Conversation) -> Iterator[Hit]:
        yield Hit(0, "about to crash")
        raise RuntimeError("boom")

    def fix(self, conversation: Conversation) -> Conversation:
        raise ValueError("fix boom")


class _CrashingDataset(DatasetCheck):
    """Crashes when summarizing (local to this test: never registered).

    What it does:
        Raises.
    Why it matters:
        It tests the runner.
    Example:
        Any conversation.
    Fix:
        None.
    """

    code = "RP999"
    name = "crashing-dataset"
    family = Family.REPETITION
    severity = Severity.INFO

    def summarize(self, conversation: Conversation) -> None:
        raise KeyError("summary boom")

    def observe(self, summary: object, ref: EntryRef) -> None:
        raise AssertionError("never observed: its summary is None")

    def finish(self) -> Iterator:
        raise RuntimeError("finish boom")


class _CrashingFix(_Crashing):
    """Reports every conversation but crashes when fixing it (local to this test: never registered).

    What it does:
        Reports message 0.
    Why it matters:
        It tests the runner.
    Example:
        Any conversation.
    Fix:
        Unsafe: raises.
    """

    def check(self, conversation: Conversation) -> Iterator[Hit]:
        yield Hit(0, "fixable")


def _padded() -> Conversation:
    messages = (Message("user", " Hi "), Message("assistant", "   "))
    return Conversation("c1", messages, source=Source("data.jsonl", 3, 4, "openai"))


def test_crashing_check_becomes_a_finding_and_the_run_goes_on() -> None:
    runner = Runner(CheckSet([_Crashing(), EmptyContent(), SurroundingWhitespace()], [], {}))
    findings = runner.findings(_padded())
    crash = [f for f in findings if f.code == "ST999"]
    assert len(crash) == 1
    assert crash[0].severity is Severity.ERROR
    assert "internal error" in crash[0].message and "RuntimeError: boom" in crash[0].message
    assert (crash[0].path, crash[0].entry_index, crash[0].entry_id, crash[0].line) == ("data.jsonl", 3, "c1", 4)
    assert crash[0].fix is None
    assert {(f.code, f.message_index) for f in findings if f.code != "ST999"} == {("ST004", 1), ("ST008", 0)}
    assert "ST999" not in ALL_CODES  # the throwaway check stayed out of the registry


def test_crashing_fix_becomes_a_finding_and_other_fixes_still_apply() -> None:
    runner = Runner(CheckSet([_CrashingFix(), SurroundingWhitespace()], [], {}), fix=True, unsafe_fixes=True)
    result = runner.process(_padded())
    assert result.conversation is not None
    assert result.conversation.messages[0].content == "Hi"
    crashes = [f for f in result.findings if f.message.startswith("internal error")]
    assert len(crashes) == 1 and crashes[0].code == "ST999"
    assert "the fix of ST999 crashed" in crashes[0].message and "ValueError: fix boom" in crashes[0].message


def test_crashing_check_in_fix_mode_is_reported() -> None:
    runner = Runner(CheckSet([_Crashing(), SurroundingWhitespace()], [], {}), fix=True, unsafe_fixes=True)
    result = runner.process(_padded())
    assert result.conversation is not None and result.conversation.messages[0].content == "Hi"
    assert any("RuntimeError: boom" in f.message for f in result.findings if f.code == "ST999")


def test_crashing_dataset_check_becomes_findings() -> None:
    runner = Runner(CheckSet([], [_CrashingDataset()], {}))
    result = runner.process(_padded())
    assert result.summaries == [None]
    assert [f.code for f in result.findings] == ["RP999"]
    runner.observe(result.summaries, EntryRef("data.jsonl", 3, "c1", 4))
    finished = runner.finish()
    assert [f.code for f in finished] == ["RP999"]
    assert "RuntimeError: finish boom" in finished[0].message and finished[0].entry_index is None


class _Returns(ConversationCheck):
    """Returns its hits as the iterable it was given (local to this test: never registered).

    What it does:
        Reports what it was built with.
    Why it matters:
        It tests the runner's loop over the checks.
    Example:
        Any conversation.
    Fix:
        None.
    """

    code = "ST998"
    name = "returns"
    family = Family.STRUCTURE
    severity = Severity.INFO

    def __init__(self, make: object) -> None:
        super().__init__()
        self._make = make

    def check(self, conversation: Conversation) -> object:
        return self._make()  # type: ignore[operator]


def test_runner_takes_hits_from_any_iterable_and_skips_what_it_is_told() -> None:
    makers = [tuple, list, lambda: (Hit(0, "tuple"),), lambda: [Hit(1, "list")], lambda: iter([Hit(0, "iterator")]),
              lambda: (h for h in [Hit(1, "generator")]), lambda: {Hit(0, "set")}]
    runner = Runner(CheckSet([_Returns(make) for make in makers], [], {}))
    findings = runner.findings(_padded())
    assert [(f.message_index, f.message) for f in findings] == [
        (0, "tuple"), (1, "list"), (0, "iterator"), (1, "generator"), (0, "set")]
    assert runner.findings(_padded(), skip={"ST998"}) == []
