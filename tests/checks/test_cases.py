"""Every check against its data cases (tests/checks/cases/<CODE>.yaml), through threadsmith.testing."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from threadsmith.checks import all_checks
from threadsmith.testing import Case, assert_case, load_cases

CASES_DIR = Path(__file__).parent / "cases"
CASES = load_cases(CASES_DIR)
BY_CHECK: dict[str, list[Case]] = defaultdict(list)
for _case in CASES:
    BY_CHECK[_case.check].append(_case)


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(case: Case) -> None:
    assert_case(case)


@pytest.mark.parametrize("cls", all_checks(), ids=lambda cls: cls.code)
def test_every_check_has_passing_and_failing_cases(cls: type) -> None:
    cases = [c for c in BY_CHECK.get(cls.code, []) if not c.xfail]
    assert cases, f"{cls.code} has no case file {CASES_DIR / (cls.code + '.yaml')}"
    assert any(not c.expects_findings for c in cases), f"{cls.code} has no passing case"
    assert any(c.expects_findings for c in cases), f"{cls.code} has no failing case"
    if cls.fix_safety is not None:
        assert any(c.has_fix and c.expects_findings for c in cases), f"{cls.code} has no case showing its fix"


def test_case_files_are_named_after_registered_checks() -> None:
    codes = {cls.code for cls in all_checks()}
    for case in CASES:
        assert Path(case.path).stem == case.check, f"{case.path} holds cases for {case.check}"
        assert case.check in codes, f"{case.path} is about {case.check}, which is not a registered check"
