"""Pruning audit results cached under check settings nobody uses any more (workspace/maintenance.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DIRTY_FIXTURE
from threadsmith.cli import cli
from threadsmith.config import Config
from threadsmith.errors import UserError
from threadsmith.workspace import Workspace
from threadsmith.workspace.insights import INSIGHTS_PREFIX


def _audited(ws: Workspace, tmp_path: Path) -> int:
    """A dataset audited under two settings: only structure checks long ago, then every check (the
    workspace's own settings) now; the id of the old settings."""
    path = tmp_path / "dirty.jsonl"
    path.write_text(DIRTY_FIXTURE, encoding="utf-8")
    ws.import_files([path], "dirty")
    ws.audit("dirty", config=Config(select=("ST",)))
    (old,) = ws.store.db.conn.execute("SELECT DISTINCT config_id FROM audit_runs").fetchone()
    with ws.store.write() as conn:
        conn.execute("UPDATE audit_runs SET created_at = '2020-01-01T00:00:00Z' WHERE config_id = ?", (old,))
    ws.audit("dirty")
    return int(old)


def _results(ws: Workspace, config_id: int) -> int:
    return ws.store.db.conn.execute("SELECT count(*) FROM audit_results WHERE config_id = ?", (config_id,)).fetchone()[0]


def test_prune_removes_only_results_no_audit_uses_now(ws: Workspace, tmp_path: Path) -> None:
    old = _audited(ws, tmp_path)
    current = [c for (c,) in ws.store.db.conn.execute("SELECT id FROM check_configs WHERE id != ?", (old,))]
    assert _results(ws, old) == 6
    report = ws.prune()
    assert [c.config_id for c in report.removed] == [old] and [c.config_id for c in report.kept] == current
    assert report.results_removed == 6 and report.bytes_removed > 0 and report.vacuumed
    assert _results(ws, old) == 0 and _results(ws, current[0]) == 6
    assert ws.store.db.conn.execute("SELECT count(*) FROM finding_codes WHERE config_id = ?", (old,)).fetchone()[0] == 0
    assert ws.store.audit.run(ws.dataset("dirty").id, 1, old) is not None  # the audit history stays
    again = ws.audit("dirty", config=Config(select=("ST",)))  # recomputed when needed
    assert again.summary.conversations == 6 and _results(ws, old) == 6
    assert ws.store.integrity() == "ok"


def test_recently_used_settings_are_kept_and_a_dry_run_changes_nothing(ws: Workspace, tmp_path: Path) -> None:
    old = _audited(ws, tmp_path)
    assert ws.prune(keep_days=365 * 20, dry_run=True).removed == ()  # used in 2020: kept for 20 years
    dry = ws.prune(dry_run=True)
    assert [c.config_id for c in dry.removed] == [old] and not dry.vacuumed and _results(ws, old) == 6
    with pytest.raises(UserError, match="keep_days"):
        ws.prune(keep_days=-1)


def test_prune_forgets_insights_of_older_statistics_code(ws: Workspace, tmp_path: Path) -> None:
    _audited(ws, tmp_path)
    ws.insights("dirty")
    stale = f"{INSIGHTS_PREFIX}1:1:50000:1:0000000000000000"
    with ws.store.write():
        ws.store.audit.remember(stale, "{}")
    current = [k for k in ws.store.pruning.meta_keys(INSIGHTS_PREFIX) if k != stale]
    assert ws.prune(vacuum=False).stale_insights == 1
    assert ws.store.pruning.meta_keys(INSIGHTS_PREFIX) == current and current


def test_prune_command(cli_runner, ws: Workspace, tmp_path: Path, monkeypatch) -> None:
    _audited(ws, tmp_path)
    monkeypatch.setenv("THREADSMITH_WORKSPACE", ws.path)
    dry = cli_runner.invoke(cli, ["prune", "--dry-run"])
    assert dry.exit_code == 0 and "would remove 6 cached results" in dry.stderr and "remove" in dry.stderr
    done = cli_runner.invoke(cli, ["prune"])
    assert done.exit_code == 0 and "removed 6 cached results" in done.stderr and "compacted" in done.stderr
    bad = cli_runner.invoke(cli, ["prune", "--keep-days", "-1"])
    assert bad.exit_code == 2 and "Traceback" not in bad.stderr


def test_compacting_a_workspace_in_use_says_what_to_do(ws: Workspace, tmp_path: Path, monkeypatch) -> None:
    from threadsmith.errors import StoreBusy

    old = _audited(ws, tmp_path)

    def busy() -> None:  # a writer took the lock between the removal and the compaction
        raise StoreBusy("busy")

    monkeypatch.setattr(ws.store, "vacuum", busy)
    with pytest.raises(StoreBusy, match="not compacted") as caught:
        ws.prune()
    assert "prune again" in (caught.value.hint or "") and _results(ws, old) == 0  # the removal stands
    monkeypatch.undo()
    from threadsmith.workspace import maintenance

    with ws.store.write() as conn:  # free pages, as deleting large cached results leaves them
        conn.execute("CREATE TABLE scratch (x BLOB)")
        conn.executemany("INSERT INTO scratch VALUES (?)", [(b"x" * 4000,) for _ in range(100)])
        conn.execute("DROP TABLE scratch")
    assert ws.store.pruning.free_bytes() > 0
    monkeypatch.setattr(maintenance, "_worth_compacting", lambda free, path: free > 0)  # a tiny workspace
    again = ws.prune()  # nothing left to remove, but the free pages are compacted now
    assert again.removed == () and again.vacuumed and ws.store.pruning.free_bytes() == 0
    assert not ws.prune().vacuumed  # and then nothing is left to compact


def test_free_pages_are_worth_compacting_from_64_mb_or_a_tenth_of_the_file(tmp_path: Path) -> None:
    from threadsmith.workspace.maintenance import _worth_compacting

    path = tmp_path / "w.sqlite"
    path.write_bytes(b"x" * 1000)
    assert _worth_compacting(100, str(path)) and not _worth_compacting(99, str(path))
    assert _worth_compacting(64 * 2**20, str(tmp_path / "absent.sqlite")) and not _worth_compacting(0, str(path))
