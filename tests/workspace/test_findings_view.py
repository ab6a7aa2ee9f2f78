"""Findings read from the stored audit match the findings of the report, grouped and paged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import DIRTY_FIXTURE
from threadsmith.errors import UserError
from threadsmith.model import Finding
from threadsmith.workspace import Workspace
from threadsmith.workspace.review import Dismissal


def group(findings: Iterable[Finding], dismissals: Iterable[Dismissal], per_code: int = 100) -> list[dict[str, Any]]:
    """The reference: the full report's findings grouped the way the findings page showed them before
    the stored view (families most findings first, codes, up to ``per_code`` findings per code)."""
    dismissed = {(d.entry_key, d.code): d.reason for d in dismissals}
    codes: dict[str, dict[str, Any]] = {}
    for f in findings:
        reason = dismissed.get((f.entry_id or "", f.code))
        code = codes.setdefault(f.code, {"code": f.code, "name": f.name, "family": f.family.value,
                                         "severity": f.severity.value, "fix": str(f.fix) if f.fix else None,
                                         "fix_safety": f.fix.safety.value if f.fix else None, "count": 0,
                                         "dismissed": 0, "entries": []})
        if reason is not None:
            code["dismissed"] += 1
            continue
        code["count"] += 1
        if len(code["entries"]) < per_code:
            code["entries"].append({"key": f.entry_id, "message_index": f.message_index, "message": f.message,
                                    "dataset_level": f.entry_index is None})
    families: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for code in sorted(codes.values(), key=lambda c: (-c["count"], c["code"])):
        families[code["family"]].append(code)
    out = [{"family": name, "count": sum(c["count"] for c in items), "codes": items}
           for name, items in families.items()]
    return sorted(out, key=lambda f: (-f["count"], f["family"]))


@pytest.fixture
def mixed(ws: Workspace, tmp_path: Path) -> Workspace:
    rows = [orjson.loads(line) for line in DIRTY_FIXTURE.splitlines() if line.strip().startswith("{")]
    rows += [{"id": f"r{i}", "messages": [
        {"role": "user", "content": f"Tell me about the harbour, part {i % 4}."},
        {"role": "assistant", "content": "The harbour is quiet at dawn, and the boats come in one by one."
         if i % 3 else f"  Certainly! Answer {i}."}]} for i in range(60)]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    ws.import_files([path], "mixed")
    return ws


def _without_cursors(families: list[dict]) -> list[dict]:
    return [{**f, "codes": [{k: v for k, v in c.items() if k != "next_cursor"} for c in f["codes"]]} for f in families]


@pytest.mark.parametrize("per_code", [1, 3, 100])
def test_the_stored_findings_match_the_grouped_report(mixed: Workspace, per_code: int) -> None:
    report = mixed.audit("mixed")
    assert len({f.code for f in report.findings}) > 3 and any(f.entry_index is None or f.fix for f in report.findings)
    expected = group(report.findings, mixed.dismissals("mixed"), per_code)
    found = mixed.findings("mixed", per_code=per_code)
    assert _without_cursors(found.families_dict()) == expected
    assert found.summary == report.summary.to_dict() | {"seconds": found.summary["seconds"]}


def test_dismissed_findings_are_counted_apart(mixed: Workspace) -> None:
    report = mixed.audit("mixed")
    for f in report.findings[:6:2]:
        mixed.dismiss("mixed", f.entry_id or "", f.code, "intended")
    expected = group(report.findings, mixed.dismissals("mixed"), 2)
    assert sum(c["dismissed"] for fam in expected for c in fam["codes"]) >= 3
    assert _without_cursors(mixed.findings("mixed", per_code=2).families_dict()) == expected


def test_a_code_pages_through_every_open_finding_in_report_order(mixed: Workspace) -> None:
    report = mixed.audit("mixed")
    code = max({f.code for f in report.findings}, key=lambda c: sum(f.code == c for f in report.findings))
    mixed.dismiss("mixed", next(f.entry_id for f in report.findings if f.code == code), code, "fine")
    dismissed = {(d.entry_key, d.code) for d in mixed.dismissals("mixed")}
    expected = [(f.entry_id, f.message_index, f.message) for f in report.findings
                if f.code == code and ((f.entry_id or ""), code) not in dismissed]
    seen, cursor, pages = [], None, 0
    while True:
        page = mixed.code_findings("mixed", code, cursor=cursor, limit=2)
        seen += [(h.key, h.message_index, h.message) for h in page.entries]
        pages += 1
        assert page.count == len(expected)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected and pages > 1


def test_a_bad_cursor_is_a_clear_error(mixed: Workspace) -> None:
    mixed.audit("mixed")
    code = mixed.audit("mixed").findings[0].code
    with pytest.raises(UserError, match="cursor"):
        mixed.code_findings("mixed", code, cursor="nonsense")


def test_findings_of_a_version_never_audited_audit_it_first(mixed: Workspace) -> None:
    assert mixed.audit_summary("mixed") is None
    assert mixed.findings("mixed").families and mixed.audit_summary("mixed") is not None


@pytest.mark.parametrize("limit", [1, 2, 200])
def test_both_query_plans_page_a_code_the_same(mixed: Workspace, limit: int) -> None:
    """Sorting a code's entries (few) and walking the version in order (many) give the same pages."""
    report = mixed.audit("mixed")
    row = mixed.store.versions.dataset("mixed")
    version = mixed.store.versions.head(row.id)
    run = mixed.store.audit.run(row.id, version)
    assert run is not None
    for code in {f.code for f in report.findings}:
        pages: dict[bool, list] = {}
        for dense in (False, True):
            after, rows = None, []
            while True:
                page = mixed.store.audit.code_entries(run.config_id, run.id, row.id, version, code, after, limit,
                                                      dense=dense)
                rows += page
                if len(page) < limit:
                    break
                after = (page[-1][0], page[-1][1])
            pages[dense] = rows
        assert pages[False] == pages[True], code
