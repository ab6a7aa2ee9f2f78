"""Probe runs stored in the workspace: record, list, read back, compare cycle 2 against cycle 1."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from threadsmith.cli import cli
from threadsmith.errors import NotFound, UserError
from threadsmith.probe import load_suite
from threadsmith.probe.facade import compare_files
from threadsmith.probe.records import record_run, stored_result, stored_results, suite_hash
from threadsmith.probe.runner import run_suite
from threadsmith.workspace import Workspace
from tests.probe.test_runs import EXAMPLE, TINY, FakeBackend, fake_server  # noqa: F401 (a fixture)


def _cycles(folder: Path) -> Path:
    """A workspace with a dataset (two versions), two finished training runs, and a base run, cycle 1
    (regressed: breaks character, narrates the user) and cycle 2 (good) recorded."""
    suite = load_suite(TINY)
    with Workspace.open(folder) as ws:
        ws.import_files([EXAMPLE], dataset="lighthouse")
        ws.import_files([EXAMPLE], dataset="lighthouse", message="again")  # version 2 (unchanged entries)
        for version in (1, 2):
            run = ws.start_run(dataset="lighthouse", version=version, data={}, config={"model": "smol"},
                               environment={})
            ws.finish_run(run.id, status="finished", output=str(folder / f"out{version}"), summary={})
        base = run_suite(suite, FakeBackend("smol"), variant="base")
        record_run(ws, base, suite, dataset="lighthouse", version=1)
        record_run(ws, run_suite(suite, FakeBackend("smol+lora1", tuned=True), variant="tuned"), suite,
                   adapter="out1/adapter", training_run="run-1")
        record_run(ws, run_suite(suite, FakeBackend("smol+lora2"), variant="tuned"), suite,
                   adapter="out2/adapter", training_run="run-2")
        return Path(ws.path)


def test_record_links_runs_and_reads_back(tmp_path: Path) -> None:
    path = _cycles(tmp_path / "ws")
    suite = load_suite(TINY)
    with Workspace.open(path) as ws:
        runs = ws.probe_runs()
        assert [r.name for r in runs] == ["probe-3", "probe-2", "probe-1"]
        base, cycle1, cycle2 = ws.probe_run("probe-1"), ws.probe_run("run-1"), ws.probe_run("run-2")
        assert base.training_run is None and (base.dataset, base.version) == ("lighthouse", 1)
        assert (cycle1.training_run, cycle1.dataset, cycle1.version, cycle1.adapter) == ("run-1", "lighthouse", 1,
                                                                                          "out1/adapter")
        assert (cycle2.name, cycle2.version) == ("probe-3", 2)
        assert cycle1.suite == "tiny" and cycle1.suite_hash == suite_hash(suite) and len(cycle1.suite_hash) == 16
        assert cycle1.scores["role"] == 0.5 and cycle2.scores["role"] == 1.0
        assert [r.name for r in ws.probe_runs("lighthouse", training_run="run-2")] == ["probe-3"]
        assert [o.probe_id for o in ws.probe_results("probe-2")] == [p.id for p in suite.probes]
        again = stored_result(ws, "probe-1")
        original = run_suite(suite, FakeBackend("smol"), variant="base")
        assert again.results == original.results and again.behavior_scores() == original.behavior_scores()
        assert again.metadata["probe_run"] == "probe-1" and again.metadata["dataset"] == "lighthouse"
        with pytest.raises(NotFound, match="probe-9"):
            ws.probe_run("probe-9")
        ws.delete_probe_run("probe-1")
        assert [r.name for r in ws.probe_runs()] == ["probe-3", "probe-2"]
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM probe_results WHERE probe_run_id = 1").fetchone()[0] == 0
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_cycle_two_against_cycle_one_with_intervals_and_links(tmp_path: Path) -> None:
    path = _cycles(tmp_path / "ws")
    with Workspace.open(path) as ws:
        labelled = stored_results(ws, ["run-1", "run-2"])
    assert [r.variant for r in labelled] == ["tuned@run-1", "tuned@run-2"]  # same label, told apart
    comparison, links, text = compare_files(["run-1", "run-2"], workspace=str(path))
    role = next(d for d in comparison.deltas if d.behavior == "role" and d.variant == "tuned@run-2")
    assert role.base == 0.5 and role.score == 1.0 and role.delta == 0.5 and role.low is not None
    agency = next(d for d in comparison.deltas if d.behavior == "agency" and d.variant == "tuned@run-2")
    assert agency.delta == 1.0
    assert "training run run-2, lighthouse version 2" in text and "95% CI" in text
    three, links, text = compare_files(["probe-1", "run-1", "run-2"], workspace=str(path))
    assert three.variants == ("base", "tuned@run-1", "tuned@run-2") and "role" in three.to_fix
    role_link = next(link for link in links if link.behavior == "role")
    assert role_link.command.startswith("threadsmith audit --dataset lighthouse --version 2 --select SN001")


def test_mixed_file_and_stored_and_errors(tmp_path: Path) -> None:
    from threadsmith.probe.results import save_run

    path = _cycles(tmp_path / "ws")
    save_run(run_suite(load_suite(TINY), FakeBackend("smol"), variant="base"), tmp_path / "base.json")
    comparison, _, _ = compare_files([str(tmp_path / "base.json"), "probe-2"], workspace=str(path))
    assert comparison.variants == ("base", "tuned")
    with pytest.raises(UserError, match="no such probe results file"):
        compare_files(["probe-1", "probe-2"])
    with pytest.raises(NotFound, match="probe-7"):
        compare_files(["probe-1", "probe-7"], workspace=str(path))
    with Workspace.open(path) as ws:
        with pytest.raises(NotFound, match="no stored probe runs"):
            ws.start_run(dataset=None, version=None, data={}, config={}, environment={})
            ws.probe_run("run-3")


def test_cli_run_record_list_and_compare(tmp_path: Path, fake_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ws = tmp_path / "ws"
    with Workspace.open(ws) as w:
        w.import_files([EXAMPLE], dataset="lighthouse")
    runner = CliRunner()
    first = runner.invoke(cli, ["probe", "run", str(TINY), "--model", fake_server, "--record", "--workspace", str(ws),
                                "--dataset", "lighthouse"])
    assert first.exit_code == 0, first.output
    assert "recorded probe-1" in first.output
    second = runner.invoke(cli, ["probe", "run", str(TINY), "--model", fake_server, "--record", "--workspace",
                                 str(ws), "--system-prompt-baseline"])
    assert second.exit_code == 0, second.output
    listed = runner.invoke(cli, ["probe", "runs", "--workspace", str(ws)])
    assert listed.exit_code == 0 and "probe-2" in listed.output and "lighthouse v1" in listed.output
    only = runner.invoke(cli, ["probe", "runs", "--workspace", str(ws), "--dataset", "lighthouse"])
    assert "probe-1" in only.output and "probe-2" not in only.output
    compared = runner.invoke(cli, ["compare", "probe-1", "probe-2", "--workspace", str(ws)])
    assert compared.exit_code == 0, compared.output
    assert "prompted" in compared.output and "95% CI" in compared.output
    bad = runner.invoke(cli, ["probe", "run", str(TINY), "--model", fake_server, "--record", "--workspace", str(ws),
                              "--dataset", "nope"])
    assert bad.exit_code == 2 and "nope" in bad.output and "Traceback" not in bad.output
    missing = runner.invoke(cli, ["compare", "probe-1", "probe-9", "--workspace", str(ws)])
    assert missing.exit_code == 2 and "probe-9" in missing.output
