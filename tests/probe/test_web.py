"""The web probe pages and API over probe runs stored in a workspace (FastAPI TestClient)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed (pip install 'threadsmith[web]')")

from fastapi.testclient import TestClient  # noqa: E402

from tests.probe.test_records import _cycles  # noqa: E402
from tests.web.conftest import browser_context  # noqa: E402,F401 (a fixture)
from threadsmith.web import create_app  # noqa: E402

HTML = {"accept": "text/html"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(_cycles(tmp_path / "ws"))), base_url="http://127.0.0.1:8000") as test_client:
        yield test_client


def test_api_lists_runs_and_compares_cycles(client: TestClient) -> None:
    listed = client.get("/api/probes", params={"dataset": "lighthouse"}).json()["probe_runs"]
    assert [r["name"] for r in listed] == ["probe-3", "probe-2", "probe-1"]
    assert listed[0]["training_run"] == "run-2" and listed[0]["scores"]["role"] == 1.0
    one = client.get("/api/probes/probe-2").json()
    assert one["probe_run"]["adapter"] == "out1/adapter" and len(one["probes"]) == 4
    data = client.get("/api/probes/compare", params=[("runs", "probe-3"), ("runs", "probe-2"),
                                                       ("base", "probe-2")]).json()
    assert data["runs"] == ["probe-2", "probe-3"] and (data["dataset"], data["version"]) == ("lighthouse", 2)
    role = next(d for d in data["comparison"]["deltas"] if d["behavior"] == "role" and d["variant"] == "tuned@run-2")
    assert role["delta"] == 0.5 and role["low"] <= 0.5 <= role["high"]
    assert client.get("/api/probes/probe-9").status_code == 404
    refused = client.get("/api/probes/compare", params={"runs": "probe-1"})
    assert refused.status_code == 400 and "at least two" in refused.json()["error"]["message"]


def test_pages_list_runs_and_show_the_comparison_with_links(client: TestClient) -> None:
    page = client.get("/datasets/lighthouse/probes", headers=HTML)
    assert page.status_code == 200
    assert 'data-probe-run="probe-1"' in page.text and 'name="runs" value="probe-3"' in page.text
    assert 'href="/datasets/lighthouse/insights?version=2"' in page.text and ">Probes</a>" in page.text
    assert client.get("/probes", headers=HTML).status_code == 200
    compared = client.get("/probes/compare", params=[("runs", "probe-1"), ("runs", "probe-2")], headers=HTML)
    assert compared.status_code == 200, compared.text
    text = compared.text
    assert 'id="probe-deltas"' in text and "tuned" in text
    assert 'data-probe="agency.bait"' in text and "As an AI language model" in text  # worst example, side by side
    assert 'data-behavior="agency"' in text and 'href="/datasets/lighthouse/findings?family=role-confusion"' in text
    assert 'href="/datasets/lighthouse/insights?version=1"' in text
    empty = client.get("/probes/compare", params={"runs": "probe-1"}, headers=HTML)
    assert empty.status_code == 400 and "at least two" in empty.text


def test_empty_workspace_page(tmp_path: Path) -> None:
    with TestClient(create_app(str(tmp_path / "empty")), base_url="http://127.0.0.1:8000") as client:
        page = client.get("/probes", headers=HTML)
    assert page.status_code == 200 and "No probe runs are stored" in page.text


@pytest.mark.slow
def test_browser_picks_runs_and_compares(tmp_path: Path, browser_context) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from tests.web.conftest import serving

    with serving(_cycles(tmp_path / "ws")) as base:
        page = browser_context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/datasets/lighthouse")
        page.locator("header nav a", has_text="Probes").first.click()
        page.wait_for_url("**/datasets/lighthouse/probes")
        page.check('input[name="runs"][value="probe-2"]')
        page.check('input[name="runs"][value="probe-3"]')
        page.check('input[name="base"][value="probe-2"]')
        page.click('#probe-runs button[type="submit"]')
        page.wait_for_url("**/probes/compare?**")
        assert page.locator('#probe-deltas tr[data-behavior="agency"] .delta.up').is_visible()
        assert page.locator("#probe-deltas thead").inner_text().lower().split()[1:] == ["tuned@run-1", "tuned@run-2"]
        page.locator('#probe-fixes a', has_text="insights of version 2").first.click()
        page.wait_for_url("**/datasets/lighthouse/insights?version=2")
        page.close()
        assert not errors, errors
