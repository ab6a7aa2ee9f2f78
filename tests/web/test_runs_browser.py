"""The run pages in Chromium: pick two runs on the list, compare them, open one; nothing injected runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import make_workspace, serving
from tests.web.test_runs import record_runs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs_server(tmp_path_factory: pytest.TempPathFactory):
    path = make_workspace(tmp_path_factory.mktemp("runs") / "ws")
    record_runs(path)
    with serving(path) as url:
        yield url


def test_pick_two_runs_compare_and_open_one(browser_context, runs_server, tmp_path: Path) -> None:
    page = browser_context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(runs_server + "/runs")
    assert page.locator("tr[data-run]").count() == 3
    page.check('tr[data-run="run-1"] input[name="runs"]')
    page.check('tr[data-run="run-2"] input[name="runs"]')
    page.click("#compare-button")
    page.wait_for_url("**/runs/compare?**")
    assert page.locator("#curve-loss svg polyline").count() == 4
    assert "learning_rate" in page.locator("#settings-diff").text_content()
    page.screenshot(path=str(tmp_path / "web-runs-compare.png"), full_page=True)
    page.click('main a[href="/runs/run-2"]')
    page.wait_for_url("**/runs/run-2")
    box = page.locator("#curve-loss svg").bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 80  # drawn, with a real size
    assert "<script>alert(1)</script>" in page.locator("#settings").text_content()  # shown as text
    assert page.locator("img[src=x]").count() == 0 and dialogs == [] and errors == []
    page.screenshot(path=str(tmp_path / "web-run.png"), full_page=True)
    page.close()
