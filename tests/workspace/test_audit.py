"""Incremental audit of workspace versions, fixes as versions, and findings in diffs."""

from __future__ import annotations

import pickle
from collections import Counter
from pathlib import Path

from tests.conftest import DIRTY_FIXTURE
from threadsmith.audit import audit
from threadsmith.config import Config
from threadsmith.store.audit_cache import dump_summaries, load_summaries
from threadsmith.workspace import Workspace
from threadsmith.workspace import operations as ops
from threadsmith.workspace.fixing import DROP_REASON


def _dirty(ws: Workspace, tmp_path: Path) -> Path:
    path = tmp_path / "dirty.jsonl"
    path.write_text(DIRTY_FIXTURE, encoding="utf-8")
    ws.import_files([path], "dirty")
    return path


def test_audit_of_a_version_matches_the_audit_of_its_file(ws: Workspace, tmp_path: Path) -> None:
    path = _dirty(ws, tmp_path)
    report = ws.audit("dirty")
    expected = audit([path])
    assert Counter(f.code for f in report.findings) == Counter(f.code for f in expected.findings)
    assert report.summary.files == ("workspace:dirty@1",) and report.summary.conversations == 6
    first = next(f for f in report.findings if f.entry_index is not None)
    assert first.path == str(path) and first.line is not None and first.entry_id == "dirty:0"


def test_re_audit_checks_only_new_contents(ws: Workspace, tmp_path: Path, monkeypatch) -> None:
    _dirty(ws, tmp_path)
    calls: list[int] = []
    from threadsmith.workspace import auditing

    real = auditing.check_contents
    monkeypatch.setattr(auditing, "check_contents", lambda runner, items: calls.append(len(items)) or real(runner, items))
    ws.audit("dirty")
    assert sum(calls) == 6
    calls.clear()
    ws.audit("dirty")
    assert sum(calls) == 0
    ws.apply("dirty", [ops.SetText("dirty:5", 0, "A new system prompt")])
    again = ws.audit("dirty")
    assert sum(calls) == 1 and again.summary.conversations == 6
    ws.audit("dirty", config=Config(select=("ST",)))  # another configuration, another cache
    assert sum(calls) == 1 + 6


def test_excluded_entries_are_not_audited(ws: Workspace, tmp_path: Path) -> None:
    _dirty(ws, tmp_path)
    ws.apply("dirty", [ops.Exclude(f"dirty:{i}", reason="x") for i in range(1, 6)])
    assert ws.audit("dirty").summary.conversations == 1
    assert ws.audit("dirty", version=1).summary.conversations == 6


def test_cached_summaries_never_load_classes() -> None:
    assert load_summaries(dump_summaries([(1, b"x", "y"), None, {"a": frozenset({2})}])) == (
        (1, b"x", "y"), None, {"a": frozenset({2})})
    assert load_summaries(pickle.dumps((Path("/etc"),))) is None


def test_fix_is_one_version_and_shows_in_the_diff(ws: Workspace, tmp_path: Path) -> None:
    _dirty(ws, tmp_path)
    before = ws.audit("dirty")
    result = ws.fix("dirty")
    assert result.version.kind == "fix" and result.version.number == 2 and result.changed >= 3
    assert ws.entry("dirty", "dirty:3").conversation.messages[1].text == "Hi"  # padding stripped
    after = ws.audit("dirty")
    assert after.summary.findings < before.summary.findings
    diff = ws.diff("dirty", 1, 2, findings=True)
    assert diff.findings_scope == "complete"
    structure = next(d for d in diff.findings if d.family == "structure")
    assert structure.change < 0
    assert ws.fix("dirty").version is None  # fixing again finds nothing to fix


def test_fix_drops_become_exclusions(ws: Workspace, tmp_path: Path) -> None:
    _dirty(ws, tmp_path)
    result = ws.fix("dirty", codes=("RP001",), unsafe=True)  # exact duplicates
    excluded = [e for e in ws.page("dirty").entries if e.excluded == DROP_REASON]
    assert result.details["excluded"] == len(excluded) >= 1


def test_diff_findings_without_audits_cover_changed_entries(ws: Workspace, tmp_path: Path) -> None:
    _dirty(ws, tmp_path)
    ws.apply("dirty", [ops.SetText("dirty:3", 1, "Hi")])
    diff = ws.diff("dirty", 1, 2, findings=True)
    assert diff.findings_scope.startswith("changed entries")
    assert next(d for d in diff.findings if d.family == "structure").change == -1
