"""The run pages and the runs API over a workspace with recorded runs (written through the recorder's
workspace calls; no training needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import CHAT, IMG, SCRIPT, make_workspace, write
from threadsmith.web import create_app
from threadsmith.web.curves import Series, line_chart, nice_ticks, points, tick_text
from threadsmith.workspace import Workspace
from threadsmith.workspace.runs import RunMetric

MANIFEST = "ab" * 32


def record_runs(path: Path) -> None:
    """run-1 (chat v1, finished, from an export manifest), run-2 (xss, hostile config), run-3 (failed)."""
    with Workspace.open(path, create=False) as ws:
        for lr, loss, dataset, extra in ((1e-4, 1.5, "chat", {}), (2e-4, 1.25, "xss", {"note": SCRIPT})):
            run = ws.start_run(dataset=dataset, version=1,
                               data={"kind": "workspace", "describe": f"{dataset}@1 {IMG}",
                                     "manifest_sha256": MANIFEST if dataset == "chat" else None},
                               config={"model": f"tiny {SCRIPT}", "method": "lora", "learning_rate": lr,
                                       "lora": {"r": 16, "target_modules": ["q_proj", IMG]}, **extra},
                               environment={"device": "cpu (2 cores)", "python": "3.11.9",
                                            "libraries": {"trl": "1.16.0", "peft": None}})
            ws.log_run_metrics(run.id, "train", [
                (step, {"loss": 2.0 - step * (2.0 - loss) / 20, "lr": lr, "tokens_per_s": 900.0 + step})
                for step in range(1, 21)])
            ws.log_run_metrics(run.id, "eval", [(10, {"eval_loss": 1.9}), (20, {"eval_loss": loss + 0.1})])
            ws.finish_run(run.id, status="finished", output=f"/tmp/out/{run.name}",
                          summary={"steps": 20, "final_loss": loss, "eval_loss": loss + 0.1, "tokens_per_s": 910.5})
        failed = ws.start_run(dataset=None, version=None, data={"kind": "file", "describe": "x.jsonl"},
                              config={"method": "full"}, environment={})
        ws.finish_run(failed.id, status="failed", error=f"OutOfMemoryError: {SCRIPT}")


@pytest.fixture
def runs_client(tmp_path: Path):
    path = make_workspace(tmp_path / "ws")
    record_runs(path)
    with TestClient(create_app(str(path)), base_url="http://127.0.0.1:8000") as client:
        yield client


def html(client: TestClient, path: str, status: int = 200) -> str:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == status, response.text[:500]
    return response.text


def test_runs_list_overall_and_per_dataset(runs_client):
    page = html(runs_client, "/runs")
    assert re.findall(r'data-run="(run-\d)"', page) == ["run-3", "run-2", "run-1"]
    assert 'href="/datasets/chat/history"' in page and 'href="/runs/run-1"' in page
    assert 'action="/runs/compare"' in page and 'name="runs" value="run-2"' in page
    chat = html(runs_client, "/datasets/chat/runs")
    assert re.findall(r'data-run="(run-\d)"', chat) == ["run-1"]
    assert 'href="/datasets/chat/runs" aria-current="page"' in chat
    assert re.findall(r'data-run="(run-\d)"', html(runs_client, "/datasets/xss/runs")) == ["run-2"]
    with Workspace.open(str(Path(runs_client.app.state.pool.path)), create=False) as ws:
        ws.import_files([write(Path(ws.path).parent.parent / "other.jsonl", CHAT[:1])], "other")
    assert "No training runs on this dataset yet" in html(runs_client, "/datasets/other/runs")


def test_run_page_shows_data_link_hash_versions_device_outputs_and_curves(runs_client):
    page = html(runs_client, "/runs/run-1")
    assert 'id="version-link">version 1</a>' in page and 'href="/datasets/chat/history"' in page
    assert f'<code id="manifest-hash">{MANIFEST}</code>' in page
    assert "cpu (2 cores)" in page and "1.16.0" in page and "not installed" in page
    assert "/tmp/out/run-1/adapter" in page and "finished" in page
    for key in ("loss", "lr", "tokens", "memory"):
        assert f'id="curve-{key}"' in page
    loss = page.split('id="curve-loss"')[1].split("</figure>")[0]
    assert loss.count("<polyline") == 2 and "validation" in loss and 'stroke-dasharray="5 3"' in loss
    memory = page.split('id="curve-memory"')[1].split("</figure>")[0]
    assert "not recorded" in memory and "<svg" not in memory
    assert "learning_rate" in page and "lora.r" in page  # settings, flattened


def test_failed_run_page_shows_its_error(runs_client):
    page = html(runs_client, "/runs/run-3")
    assert 'id="run-error"' in page and "OutOfMemoryError" in page and "none (trained from file)" in page
    assert html(runs_client, "/runs/run-9", status=404).count("No training run") >= 1


def test_compare_overlays_the_curves_and_lists_what_differs(runs_client):
    page = html(runs_client, "/runs/compare?runs=run-1&runs=run-2")
    loss = page.split('id="curve-loss"')[1].split("</figure>")[0]
    assert loss.count("<polyline") == 4 and "#3b5b92" in loss and "#c2571a" in loss
    assert "run-1 training" in loss and "run-2 validation" in loss
    diff = page.split('id="settings-diff"')[1].split("</table>")[0]
    assert "learning_rate" in diff and "0.0001" in diff and "0.0002" in diff
    figures = page.split('id="figures"')[1].split("</table>")[0]
    assert "final_loss" in figures and "1.25" in figures
    assert "2 to 6" in html(runs_client, "/runs/compare?runs=run-1", status=400)


def test_runs_api(runs_client):
    listed = runs_client.get("/api/runs").json()["runs"]
    assert [r["name"] for r in listed] == ["run-3", "run-2", "run-1"]
    assert [r["name"] for r in runs_client.get("/api/runs", params={"dataset": "chat"}).json()["runs"]] == ["run-1"]
    shown = runs_client.get("/api/runs/run-1").json()
    assert shown["run"]["data"]["manifest_sha256"] == MANIFEST and len(shown["metrics"]) == 22
    evals = runs_client.get("/api/runs/run-1", params={"kind": "eval"}).json()["metrics"]
    assert [(m["step"], m["values"]["eval_loss"]) for m in evals] == [(10, 1.9), (20, 1.6)]
    compared = runs_client.get("/api/runs/compare", params={"runs": ["run-1", "run-2"]}).json()
    assert compared["settings"]["learning_rate"] == [1e-4, 2e-4]
    bad = runs_client.get("/api/runs/compare", params={"runs": ["run-1"]})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"
    assert runs_client.get("/api/runs/nope").json()["error"]["code"] == "not_found"


def test_untrusted_run_values_render_inert(runs_client):
    for path in ("/runs", "/runs/run-2", "/runs/run-3", "/runs/compare?runs=run-1&runs=run-2",
                 "/datasets/xss/runs"):
        page = html(runs_client, path)
        assert "<script>alert" not in page and "<img src=x" not in page, path
    page = html(runs_client, "/runs/run-2")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_line_chart_helpers():
    assert nice_ticks(0.0, 1.0) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert nice_ticks(1.23, 2.01)[0] <= 1.23 and nice_ticks(1.23, 2.01)[-1] >= 2.01
    assert nice_ticks(5.0, 5.0)[0] < 5.0 < nice_ticks(5.0, 5.0)[-1]  # a flat curve still gets an axis
    assert [tick_text(v) for v in (0, 0.0002, 0.5, 250.0, 12_500.0)] == ["0", "2.0e-4", "0.5", "250", "12.5k"]
    metrics = [RunMetric("train", 2, {"loss": 1.0}), RunMetric("train", 1, {"loss": float("nan")}),
               RunMetric("eval", 2, {"eval_loss": 1.2}), RunMetric("train", 3, {"loss": True})]
    assert points(metrics, "train", "loss") == ((2.0, 1.0),)
    many = Series("a", tuple((float(i), float(i % 7)) for i in range(5000)))
    svg = line_chart([many], title="t", y_label="y")
    assert svg.count("<polyline") == 1 and len(svg.split('points="')[1].split('"')[0].split()) <= 601
    assert "<circle" not in svg and "4999" not in svg.split("<polyline")[0]
    one = line_chart([Series(SCRIPT, ((1.0, 2.0),))], title=IMG, y_label="y")
    assert "<circle" in one and "<script>" not in one and "<img" not in one
