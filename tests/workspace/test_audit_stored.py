"""Re-auditing an audited version answers from what its audit stored: the same report, no dataset checks run."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from threadsmith.checks import Runner
from threadsmith.config import Config
from threadsmith.workspace import Workspace
from threadsmith.workspace import operations as ops


def _comparable(report) -> dict:
    data = report.to_dict()
    data["summary"].pop("seconds")
    return data


@pytest.fixture
def echoes(ws: Workspace, tmp_path: Path) -> Workspace:
    rows = [{"id": f"r{i}", "messages": [{"role": "user", "content": f"Tell me about the harbour, part {i % 4}."},
                                         {"role": "assistant", "content": "The harbour is quiet at dawn, and the "
                                          "boats come in one by one." if i % 3 else f"  Certainly! Answer {i}."}]}
            for i in range(40)]
    path = tmp_path / "echoes.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    ws.import_files([path], "echoes")
    return ws


@pytest.fixture
def observed(monkeypatch) -> list[int]:
    """How many entries the dataset checks were fed."""
    calls: list[int] = []
    real = Runner.observe_many
    monkeypatch.setattr(Runner, "observe_many", lambda self, rows, refs: calls.append(len(rows)) or real(self, rows, refs))
    return calls


def test_a_repeat_audit_is_the_same_report_without_running_the_dataset_checks(echoes: Workspace,
                                                                               observed: list[int]) -> None:
    first = echoes.audit("echoes")
    run = echoes.store.audit.run(echoes.dataset("echoes").id, 1)
    assert run is not None and run.dataset_findings  # the fixture has dataset-level findings
    assert any(f.fix is not None for f in first.findings) and sum(observed) == 40
    observed.clear()
    again = echoes.audit("echoes")
    assert _comparable(again) == _comparable(first) and again.findings == first.findings
    assert observed == []
    echoes.dismiss("echoes", first.findings[0].entry_id, first.findings[0].code, "fine as it is")
    assert echoes.audit("echoes").findings == first.findings and observed == []  # dismissals are the pages' concern
    assert _comparable(echoes.audit("echoes", refresh=True)) == _comparable(first) and sum(observed) == 40


def test_an_edit_makes_a_version_that_is_audited_in_full(echoes: Workspace, observed: list[int]) -> None:
    echoes.audit("echoes")
    echoes.apply("echoes", [ops.SetText("r1", 1, "  Certainly! A new answer.")])
    observed.clear()
    edited = echoes.audit("echoes")
    assert sum(observed) == 40 and edited.summary.files == ("workspace:echoes@2",)
    observed.clear()
    assert _comparable(echoes.audit("echoes")) == _comparable(edited) and observed == []
    assert _comparable(echoes.audit("echoes", version=1)) == _comparable(echoes.audit("echoes", version=1,
                                                                                      refresh=True))


def test_the_stored_report_follows_settings_outside_the_fingerprint(echoes: Workspace) -> None:
    first = echoes.audit("echoes")
    lenient = echoes.audit("echoes", config=Config(fail_on="never"))
    assert first.summary.failed and not lenient.summary.failed and lenient.findings == first.findings


@pytest.mark.parametrize("damage", [
    "DELETE FROM run_entry_codes; DELETE FROM audit_runs",
    "UPDATE audit_runs SET dataset_findings = x'7b6e6f74'",
    "UPDATE audit_runs SET dataset_findings = '[{\"code\": \"XX001\"}]'",
    "UPDATE audit_runs SET summary = '{\"records\": 40, \"by_code\": {}}'",
    "DELETE FROM audit_results WHERE rowid = (SELECT min(rowid) FROM audit_results)",
])
def test_a_missing_or_damaged_stored_audit_falls_back_to_a_full_audit(echoes: Workspace, observed: list[int],
                                                                       damage: str) -> None:
    first = echoes.audit("echoes")
    with echoes.store.write() as conn:
        for statement in damage.split("; "):
            conn.execute(statement)
    observed.clear()
    again = echoes.audit("echoes")
    assert sum(observed) == 40 and _comparable(again) == _comparable(first)
    observed.clear()
    assert _comparable(echoes.audit("echoes")) == _comparable(first) and observed == []  # stored again


def test_insights_are_stored_per_version_and_read_back_equal(echoes: Workspace, monkeypatch) -> None:
    from threadsmith.stats import StatsCollector

    first = echoes.insights("echoes")
    assert first.sampled == 40 and first.stats.conversations == 40
    monkeypatch.setattr(StatsCollector, "add", lambda self, c: pytest.fail("statistics computed again"))
    again = echoes.insights("echoes")
    assert again == first  # statistics read back, score from the stored audit
    with echoes.store.write() as conn:  # a damaged stored value is computed again
        conn.execute("UPDATE meta SET value = '{\"sampled\": 1}' WHERE key LIKE 'insights:%'")
    monkeypatch.undo()
    assert echoes.insights("echoes") == first
    assert echoes.insights("echoes", sample=10).sampled == 10  # another sample, another value
