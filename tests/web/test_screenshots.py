"""Screenshots of every page over the bundled example datasets, for people to look at.

Saved to tmp; with THREADSMITH_SCREENSHOTS=1 also to docs/img/web-*.png (the README's).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.web.conftest import SCREENSHOTS, serving
from threadsmith.workspace import Workspace
from threadsmith.workspace.examples import seed_examples

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def examples_server(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("examples") / "ws"
    with Workspace.open(folder) as ws:
        assert seed_examples(ws)
        path = ws.path
    with serving(Path(path)) as url:
        yield url


def save(page, name: str, tmp_path: Path, *, full: bool = False) -> None:
    page.screenshot(path=str(tmp_path / f"web-{name}.png"), full_page=True)
    if os.environ.get("THREADSMITH_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"web-{name}.png"), full_page=full)


def test_screenshots_of_every_page(browser_context, examples_server, tmp_path: Path) -> None:
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    base = examples_server
    try:
        page.goto(base + "/")
        save(page, "datasets", tmp_path)
        page.goto(base + "/datasets/roleplay-lighthouse")
        save(page, "browser", tmp_path)
        page.goto(base + "/datasets/roleplay-lighthouse/entries/lh-002")
        page.locator("li.turn").nth(1).click()
        save(page, "editor", tmp_path)
        page.goto(base + "/datasets/dirty/findings")
        page.locator('button[data-findings-op="preview"]').first.click()
        page.locator(".preview:not([hidden])").first.wait_for()
        save(page, "findings", tmp_path)
        page.locator(".preview button.apply").first.click()
        page.wait_for_selector("#notice:not([hidden])")
        page.goto(base + "/datasets/roleplay-lighthouse/entries/lh-002")
        turn = page.locator('li.turn[data-index="2"]')
        text = turn.locator(".text").inner_text()
        turn.locator('button[data-turn-op="edit"]').click()
        turn.locator("textarea").fill(text.replace('"Clockwork\'s jammed."', '"The clockwork\'s jammed again."', 1)
                                      .replace("Her breath comes short and her words come shorter.", "She is out of breath."))
        turn.locator("button.save").click()
        page.wait_for_selector("#notice:not([hidden])")
        page.goto(base + "/datasets/roleplay-lighthouse/history")
        save(page, "history", tmp_path)
        page.goto(base + "/datasets/roleplay-lighthouse/diff")
        save(page, "diff", tmp_path)
        page.goto(base + "/datasets/roleplay-lighthouse/insights")
        save(page, "insights", tmp_path)
        page.goto(base + "/datasets/roleplay-lighthouse/export")
        page.select_option("select[name=target]", "axolotl")
        page.fill("input[name=split]", "0.8,0.2")
        save(page, "export", tmp_path)
        page.click("#export-run")
        page.wait_for_url("**/exports/**")
        save(page, "export-manifest", tmp_path)
        page.goto(base + "/library")
        save(page, "library", tmp_path)
        assert not errors, errors
    finally:
        page.close()
