"""The audit JSON contract (docs/audit-json.md) and the dirty fixture from another tool."""

import json

import pytest

from tests.conftest import chat
from threadsmith import audit
from threadsmith.cli import cli
from threadsmith.model import Family

FINDING_KEYS = {"code", "name", "family", "severity", "message", "entry_index", "entry_id", "message_index",
                "line", "column", "path", "fix"}
SUMMARY_KEYS = {"files", "records", "conversations", "unreadable_records", "findings", "by_severity", "by_family",
                "by_code", "fixable", "unsafe_fixable", "fixes_applied", "dropped", "output", "written", "fail_on",
                "failed", "seconds", "checks", "kind"}


def _json_audit(runner, *args):
    result = runner.invoke(cli, ["audit", *map(str, args), "--format", "json"])
    return result, json.loads(result.stdout)


def test_json_shape_is_pinned(cli_runner, dirty_fixture) -> None:
    result, doc = _json_audit(cli_runner, dirty_fixture)
    assert result.exit_code == 1
    assert set(doc) == {"findings", "summary"}
    assert set(doc["summary"]) == SUMMARY_KEYS
    assert doc["findings"]
    families = {f.value for f in Family}
    for finding in doc["findings"]:
        assert set(finding) == FINDING_KEYS
        assert finding["family"] in families
        assert finding["severity"] in {"error", "warning", "info"}
        assert finding["path"] == str(dirty_fixture)
        assert isinstance(finding["message"], str) and finding["message"]
        assert finding["fix"] is None or finding["fix"].endswith(("(safe fix)", "(unsafe fix)"))


def test_dirty_fixture_loads_completely_and_reports_duplicates(dirty_fixture) -> None:
    report = audit([dirty_fixture])
    assert report.summary.records == 6
    assert report.summary.conversations == 6
    assert report.summary.unreadable == 0
    duplicates = [f for f in report.findings if f.code == "RP001"]
    assert sorted(f.entry_index for f in duplicates) == [0, 1, 2, 3, 4]
    assert all(f.family is Family.REPETITION for f in duplicates)
    assert all(f.line == f.entry_index + 1 for f in duplicates)
    broken = [f for f in report.findings if f.entry_index == 5]
    assert broken and all(f.family is Family.STRUCTURE for f in broken)
    assert {f.message_index for f in broken if f.code == "ST007"} == {0, 1, 2}  # GPT, USER, Bot


def test_dirty_fixture_fix_dedups_with_unsafe_fixes(dirty_fixture, tmp_path) -> None:
    out = tmp_path / "fixed.jsonl"
    safe = audit([dirty_fixture], fix=True, output=out)
    assert safe.summary.written == 6 and safe.summary.unsafe_fixable == 4
    assert safe.summary.fixes_applied == 15  # 8 role spellings + 3 whitespace + 4 blank tags
    assert {f.code for f in safe.findings} == {"RP001"}
    full = audit([dirty_fixture], unsafe_fixes=True, output=out)
    assert full.summary.written == 2 and full.summary.dropped == 4 and full.summary.findings == 0
    lines = out.read_text().splitlines()
    assert [m["role"] for m in json.loads(lines[1])["messages"]] == ["assistant", "user", "assistant"]


def test_entry_index_and_line_count_unreadable_records(write_jsonl) -> None:
    path = write_jsonl([chat(("user", "Hi"), ("assistant", "Hello")), "{broken", "", chat(("user", "Yo"))])
    report = audit([path])
    codes = {(f.code, f.entry_index, f.line) for f in report.findings}
    assert ("ST001", 1, 2) in codes
    assert ("ST013", 2, 4) in codes  # the blank line 3 is skipped but still counted as a line


def test_dataset_findings_sort_after_entry_findings(write_jsonl) -> None:
    path = write_jsonl([chat(("user", "Hi"), ("assistant", "Hello"))] * 2 + [chat(("user", " x "), ("assistant", "y"))])
    indexes = [f.entry_index for f in audit([path]).findings]
    assert indexes == sorted(indexes)


@pytest.mark.parametrize("fail_on, expected", [("error", 0), ("warning", 1), ("never", 0)])
def test_fail_on_levels(cli_runner, write_jsonl, fail_on, expected) -> None:
    path = write_jsonl([chat(("USER", "Hi"), ("assistant", "Hello"))])
    result = cli_runner.invoke(cli, ["audit", str(path), "--fail-on", fail_on])
    assert result.exit_code == expected


def test_clean_file_exits_zero(cli_runner, write_jsonl) -> None:
    path = write_jsonl([chat(("user", "Hi"), ("assistant", "Hello"))])
    result = cli_runner.invoke(cli, ["audit", str(path)])
    assert result.exit_code == 0
    assert "no findings" in result.stdout
