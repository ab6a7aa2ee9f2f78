"""Incremental audit of workspace versions, fixes as versions, and findings in diffs."""

from __future__ import annotations

import marshal
import pickle
from collections import Counter
from pathlib import Path

import orjson

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
    values = ((1, b"x", "y"), None, {"a": frozenset({2})}, 2.5, True, ("shared",) * 3)
    blob = dump_summaries(list(values))
    assert blob[0] != pickle.PROTO[0] and marshal.loads(blob) == values and load_summaries(blob) == values
    assert load_summaries(pickle.dumps(values, protocol=5)) == values  # a cache written before marshal
    assert load_summaries(pickle.dumps((Path("/etc"),))) is None
    assert load_summaries(dump_summaries([Path("/etc")])) is None  # marshal cannot write it: a pickle, refused
    assert load_summaries(marshal.dumps([1, 2])) is None  # not a tuple of summaries
    assert load_summaries(blob[:-3]) is None and load_summaries(b"") is None  # damaged


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


def test_fix_feeds_only_the_dataset_checks_whose_fix_is_on(ws: Workspace, tmp_path: Path, monkeypatch) -> None:
    """A fix run makes no report: only a dataset check that can drop entries (RP001 with --unsafe)
    is fed the entries' summaries (feeding all of them was most of a fix run's time)."""
    from threadsmith.checks.base import DatasetCheck
    from threadsmith.checks.registry import all_checks

    def refuse(self, summary, ref):
        raise AssertionError(f"{self.code} was observed")

    for cls in all_checks():
        if issubclass(cls, DatasetCheck) and cls.code != "RP001":
            monkeypatch.setattr(cls, "observe", refuse)
    _dirty(ws, tmp_path)
    result = ws.fix("dirty", unsafe=True)
    excluded = [e for e in ws.page("dirty").entries if e.excluded == DROP_REASON]
    assert result.details["excluded"] == len(excluded) >= 1


def test_diff_findings_without_audits_cover_changed_entries(ws: Workspace, tmp_path: Path) -> None:
    _dirty(ws, tmp_path)
    ws.apply("dirty", [ops.SetText("dirty:3", 1, "Hi")])
    diff = ws.diff("dirty", 1, 2, findings=True)
    assert diff.findings_scope.startswith("changed entries")
    assert next(d for d in diff.findings if d.family == "structure").change == -1


def test_re_audit_decodes_no_unchanged_entry_and_matches_a_cold_audit(ws: Workspace, tmp_path: Path,
                                                                       monkeypatch) -> None:
    from threadsmith.workspace import auditing

    _dirty(ws, tmp_path)
    first = ws.audit("dirty")
    decoded: list[int] = []
    real = auditing.decode
    monkeypatch.setattr(auditing, "decode", lambda body, entity: decoded.append(1) or real(body, entity))
    assert ws.audit("dirty").findings == first.findings and decoded == []  # kind remembered, results cached
    ws.apply("dirty", [ops.SetText("dirty:5", 0, "A new system prompt")])
    again = ws.audit("dirty")
    assert len(decoded) <= 1 + 6  # the changed entry, and the kind sample (which the edit changed)
    with Workspace.open(tmp_path / "cold") as cold:
        cold.import_files([ws.export("dirty", tmp_path / "v2.jsonl").output], "dirty")
        fresh = cold.audit("dirty")

    def key(report):
        return sorted((f.code, f.entry_index, f.message_index, f.message) for f in report.findings)

    assert key(again) == key(fresh)


def test_a_cached_result_that_will_not_load_is_checked_again(ws: Workspace, tmp_path: Path) -> None:
    _dirty(ws, tmp_path)
    first = ws.audit("dirty")
    with ws.store.write() as conn:  # a crafted file: the summaries of one content would load a class
        conn.execute("UPDATE audit_results SET summaries = ? WHERE rowid = (SELECT min(rowid) FROM audit_results)",
                     (pickle.dumps((Path("/etc"),)),))
    assert ws.audit("dirty").findings == first.findings  # answered from the stored audit: summaries unread
    again = ws.audit("dirty", refresh=True)  # the dataset checks read them: checked again
    assert again.findings == first.findings
    assert ws.store.db.conn.execute("SELECT count(*) FROM audit_results WHERE summaries = ?",
                                    (pickle.dumps((Path("/etc"),)),)).fetchone()[0] == 0


def test_dataset_checks_see_the_same_entries_as_in_a_file_audit(ws: Workspace, tmp_path: Path) -> None:
    rows = [{"id": f"r{i}", "messages": [{"role": "user", "content": f"Tell me about the harbour, part {i % 7}."},
                                         {"role": "assistant", "content": "The harbour is quiet at dawn, and the "
                                          "boats come in one by one." if i % 3 else f"Certainly! Answer {i}."}]}
            for i in range(2500)]  # more than one batch of entries fed to the dataset checks
    path = tmp_path / "many.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    ws.import_files([path], "many")

    def key(findings):
        return sorted(repr((f.code, f.entry_index, f.entry_id, f.message_index, f.message)) for f in findings)

    expected = key(audit([path]).findings)
    assert expected and key(ws.audit("many").findings) == expected


def test_re_audit_across_chunks_rechecks_only_what_will_not_load(ws: Workspace, tmp_path: Path) -> None:
    _many(ws, tmp_path)  # 2,300 entries: fed to the dataset checks in two chunks
    first = ws.audit("many")
    assert any(f.entry_index == 2299 for f in first.findings)
    with ws.store.write() as conn:  # damage a few results on both sides of the chunk boundary
        ids = [cid for (cid,) in conn.execute("SELECT content_id FROM audit_results ORDER BY content_id")]
        for cid in (ids[0], ids[1999], ids[2000], ids[-1]):
            conn.execute("UPDATE audit_results SET summaries = ? WHERE content_id = ?", (b"\x00broken", cid))
        conn.execute("DELETE FROM audit_results WHERE content_id = ?", (ids[1000],))
    again = ws.audit("many")
    assert again.findings == first.findings and again.summary.by_code == first.summary.by_code
    loaded = [load_summaries(b) for (b,) in ws.store.db.conn.execute("SELECT summaries FROM audit_results")]
    assert len(loaded) == 2300 and None not in loaded  # checked again and cached again


def _many(ws: Workspace, tmp_path: Path, size: int = 2300) -> None:
    rows = [{"id": f"r{i}", "messages": [{"role": "user", "content": f"Tell me about the harbour, part {i}."},
                                         {"role": "assistant", "content": "The harbour is quiet at dawn, and the "
                                          "boats come in one by one." if i % 3 else f"  Certainly! Answer {i}."}]}
            for i in range(size)]
    path = tmp_path / "many.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    ws.import_files([path], "many")

