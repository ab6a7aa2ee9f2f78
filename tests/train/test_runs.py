"""Runs in the workspace (no training needed): record, list, show, compare; the runs CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from threadsmith.cli import cli
from threadsmith.errors import NotFound
from threadsmith.workspace import Workspace

LINES = [
    {"id": "a", "messages": [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello!"}]},
    {"id": "b", "messages": [{"role": "user", "content": "Name a colour"}, {"role": "assistant", "content": "Teal."}]},
]


@pytest.fixture()
def workspace(tmp_path):
    data = tmp_path / "chats.jsonl"
    data.write_text("\n".join(json.dumps(line) for line in LINES) + "\n", encoding="utf-8")
    path = tmp_path / "ws"
    with Workspace.open(path) as ws:
        ws.import_files([data], dataset="chats")
        for lr, loss in ((1e-4, 1.5), (2e-4, 1.25)):
            run = ws.start_run(dataset="chats", version=1, data={"kind": "workspace", "describe": "chats@1"},
                               config={"method": "lora", "learning_rate": lr, "lora": {"r": 16}},
                               environment={"device": "cpu (2 cores)", "libraries": {"trl": "1.16.0"}})
            ws.log_run_metrics(run.id, "train", [(1, {"loss": 2.0, "lr": lr}), (2, {"loss": loss, "lr": lr})])
            ws.log_run_metrics(run.id, "eval", [(2, {"eval_loss": loss + 0.1})])
            ws.finish_run(run.id, status="finished", output=str(tmp_path / run.name),
                          summary={"final_loss": loss, "eval_loss": loss + 0.1})
    return path


def test_runs_are_recorded_listed_and_compared(workspace):
    with Workspace.open(workspace, create=False) as ws:
        runs = ws.runs()
        assert [r.name for r in runs] == ["run-2", "run-1"]
        first = ws.run("run-1")
        assert (first.dataset, first.version, first.status) == ("chats", 1, "finished")
        assert first.finished_at is not None and first.summary["final_loss"] == 1.5
        metrics = ws.run_metrics(1)
        assert [(m.kind, m.step) for m in metrics] == [("eval", 2), ("train", 1), ("train", 2)]
        comparison = ws.compare_runs(["run-1", "run-2"])
        assert comparison.settings == {"learning_rate": (1e-4, 2e-4)}
        assert comparison.figures["final_loss"] == (1.5, 1.25)
        with pytest.raises(NotFound):
            ws.run("run-9")
        with pytest.raises(NotFound):  # a digit that int() refuses is a name, not an id
            ws.run("\u00b9")


def test_failed_run_keeps_its_error(workspace):
    with Workspace.open(workspace, create=False) as ws:
        run = ws.start_run(dataset=None, version=None, data={"kind": "file", "describe": "x.jsonl"}, config={},
                           environment={})
        ended = ws.finish_run(run.id, status="failed", error="OutOfMemoryError: CUDA out of memory")
    assert ended.status == "failed" and "OutOfMemory" in ended.error and ended.dataset is None


def test_runs_cli(workspace):
    runner = CliRunner()
    listed = runner.invoke(cli, ["runs", "list", "--workspace", str(workspace), "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert [r["name"] for r in json.loads(listed.output)] == ["run-2", "run-1"]
    shown = runner.invoke(cli, ["runs", "show", "run-1", "--workspace", str(workspace)])
    assert shown.exit_code == 0 and "chats@1" in shown.output and "eval_loss" in shown.output
    compared = runner.invoke(cli, ["runs", "compare", "run-1", "run-2", "--workspace", str(workspace),
                                   "--format", "json"])
    assert json.loads(compared.output)["settings"] == {"learning_rate": [1e-4, 2e-4]}
    missing = runner.invoke(cli, ["runs", "show", "run-7", "--workspace", str(workspace)])
    assert missing.exit_code == 2 and "No training run" in missing.output


def test_accelerate_config_cli(tmp_path):
    pytest.importorskip("yaml")
    out = tmp_path / "fsdp.yaml"
    result = CliRunner().invoke(cli, ["accelerate-config", "fsdp", "--processes", "2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "distributed_type: FSDP" in out.read_text()


def test_train_without_data_is_a_clear_error(tmp_path):
    pytest.importorskip("trl")
    result = CliRunner().invoke(cli, ["train", "--model", "x", "--workspace", str(tmp_path / "none")])
    assert result.exit_code == 2 and "No training data" in result.output


def test_runs_compare_draws_loss_sparklines_on_one_scale(workspace):
    from threadsmith.cli.train_commands import sparklines

    assert sparklines([[2.0, 1.5], [2.0, 1.25]]) == ["█▃", "█▁"]
    assert sparklines([[1.0] * 3, [None, float("nan")]]) == ["▄▄▄", ""]
    assert len(sparklines([list(range(100))])[0]) == 24
    shown = CliRunner().invoke(cli, ["runs", "compare", "run-1", "run-2", "--workspace", str(workspace)],
                               terminal_width=200)
    assert shown.exit_code == 0, shown.output
    loss_row = next(line for line in shown.output.splitlines() if "1.25..2" in line)
    assert "█▃" in loss_row and "█▁" in loss_row
    assert "validation loss" in shown.output
