"""The workbench in Chromium, used as a person would: Playwright drives /usr/bin/chromium headless."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import IMG, SCRIPT

pytestmark = pytest.mark.slow


@pytest.fixture
def page(browser_context, live_server):
    page = browser_context.new_page()
    dialogs: list[str] = []
    answers: list[str] = []

    def on_dialog(dialog) -> None:
        if dialog.type == "alert":
            dialogs.append(dialog.message)
        dialog.accept(answers.pop(0) if answers else (dialog.default_value or ""))

    page.on("dialog", on_dialog)
    page.dialogs = dialogs  # type: ignore[attr-defined]
    page.answers = answers  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.base = live_server  # type: ignore[attr-defined]
    yield page
    assert not errors, f"script errors on the page: {errors}"
    page.close()


def shot(page, name: str, tmp_path: Path) -> None:
    """A screenshot of the page as the test sees it (tmp only; test_screenshots makes the docs' ones)."""
    page.screenshot(path=str(tmp_path / f"web-{name}.png"), full_page=True)


def test_datasets_filter_open_edit_history_diff(page, tmp_path: Path) -> None:
    page.goto(page.base + "/")
    assert page.locator("table.datasets").is_visible()
    assert page.locator('tr[data-dataset="chat"] .score').is_visible()
    shot(page, "datasets", tmp_path)
    page.locator('tr[data-dataset="chat"] a.chip.family', has_text="structure").click()
    page.wait_for_url("**/datasets/chat?code=structure")
    keys = page.locator("ol.entries a.key").all_inner_texts()
    assert keys == ["c-3"]  # only c-3 has structure findings (noncanonical roles)
    page.goto(page.base + "/datasets/chat")
    assert page.locator("ol.entries li.entry").count() == 3
    page.fill('form.filters input[name="q"]', "tablespoons")
    page.click('form.filters button[type="submit"]')
    page.wait_for_url("**q=tablespoons**")
    assert page.locator("ol.entries a.key").all_inner_texts() == ["c-2"]
    shot(page, "browser", tmp_path)
    page.locator("ol.entries a.key", has_text="c-2").click()
    page.wait_for_url("**/datasets/chat/entries/c-2")
    turn = page.locator('li.turn[data-index="1"]')
    turn.locator('button[data-turn-op="edit"]').click()
    turn.locator("textarea").fill("Sixteen tablespoons make one US cup.")
    shot(page, "editor", tmp_path)
    turn.locator("button.save").click()
    page.wait_for_selector("#notice:not([hidden])")
    assert "Saved as version" in page.locator("#notice-text").inner_text()
    assert page.locator('li.turn[data-index="1"] .text').inner_text() == "Sixteen tablespoons make one US cup."
    page.goto(page.base + "/datasets/chat/history")
    top = page.locator("table.versions tbody tr").first
    assert "set-text c-2" in top.inner_text()
    shot(page, "history", tmp_path)
    top.locator("a", has_text="Diff").click()
    page.wait_for_url("**/diff**")
    lines = page.locator("pre.lines").inner_text()
    assert "+Sixteen tablespoons make one US cup." in lines and "-Sixteen tablespoons." in lines
    shot(page, "diff", tmp_path)


def test_apply_a_fix_from_the_findings_page(page, tmp_path: Path) -> None:
    page.goto(page.base + "/datasets/chat/findings")
    code = page.locator('.code[data-code="ST007"]')
    assert code.is_visible()
    shot(page, "findings", tmp_path)
    code.locator('button[data-findings-op="preview"]').first.click()
    preview = code.locator(".preview").first
    preview.wait_for(state="visible")
    assert "role USER → user" in preview.inner_text()
    preview.locator("button.apply").click()
    page.wait_for_selector("#notice:not([hidden])")
    assert "Saved as version" in page.locator("#notice-text").inner_text()
    assert page.locator('.code[data-code="ST007"]').count() == 0


def test_dismiss_with_a_reason_persists(page) -> None:
    page.goto(page.base + "/datasets/chat/findings")
    first = page.locator('button[data-findings-op="dismiss"]').first
    code = first.get_attribute("data-code")
    page.answers.append("intended: the persona talks like this")
    first.click()
    page.wait_for_selector("#notice:not([hidden])")
    page.reload()
    dismissed = page.locator("details.family.dismissed")
    assert code in dismissed.text_content()
    assert "intended: the persona talks like this" in dismissed.text_content()


def test_xss_strings_are_inert_text_everywhere(page, tmp_path: Path) -> None:
    for path in ("/", "/datasets/xss", "/datasets/xss/entries/x-1", "/datasets/xss/findings",
                 "/datasets/xss/insights", "/datasets/xss/history"):
        page.goto(page.base + path)
        assert page.dialogs == [], f"a script ran on {path}"
        assert page.locator("img[src=x]").count() == 0, f"an injected image element exists on {path}"
    page.goto(page.base + "/datasets/xss/entries/x-1")
    assert SCRIPT in page.locator('li.turn[data-index="0"] .text').inner_text()
    assert IMG in page.locator('li.turn[data-index="2"] .speaker').inner_text()
    # edit so the diff shows the strings, then view the diff
    turn = page.locator('li.turn[data-index="1"]')
    turn.locator('button[data-turn-op="edit"]').click()
    turn.locator("textarea").fill(f"Changed {IMG} {SCRIPT}")
    turn.locator("button.save").click()
    page.wait_for_selector("#notice:not([hidden])")
    page.goto(page.base + "/datasets/xss/diff")
    assert IMG in page.locator("pre.lines").inner_text()
    assert page.dialogs == [] and page.locator("img[src=x]").count() == 0
    shot(page, "xss-diff", tmp_path)


def test_two_tabs_second_stale_save_is_refused(page, browser_context) -> None:
    other = browser_context.new_page()
    try:
        url = page.base + "/datasets/chat/entries/c-1"
        page.goto(url)
        other.goto(url)
        first = page.locator('li.turn[data-index="2"]')
        first.locator('button[data-turn-op="edit"]').click()
        first.locator("textarea").fill("Tab one wins.")
        first.locator("button.save").click()
        page.wait_for_selector("#notice:not([hidden])")
        second = other.locator('li.turn[data-index="2"]')
        second.locator('button[data-turn-op="edit"]').click()
        second.locator("textarea").fill("Tab two was stale.")
        second.locator("button.save").click()
        other.wait_for_selector("#notice.error:not([hidden])")
        assert "Not saved" in other.locator("#notice-text").inner_text()
        assert other.locator("#notice-reload").is_visible()
        assert other.locator('li.turn[data-index="2"] textarea').input_value() == "Tab two was stale."
        other.locator("#notice-reload").click()
        other.wait_for_load_state()
        assert other.locator('li.turn[data-index="2"] .text').inner_text() == "Tab one wins."
    finally:
        other.close()


def test_insights_and_library_render(page, tmp_path: Path) -> None:
    page.goto(page.base + "/datasets/chat/insights")
    assert page.locator(".score-card .score").is_visible()
    assert page.locator(".report-charts svg").count() > 0
    shot(page, "insights", tmp_path)
    page.goto(page.base + "/library")
    assert page.locator("#card-form").is_visible()
    shot(page, "library", tmp_path)


def test_keyboard_edit_then_undo(page) -> None:
    page.goto(page.base + "/datasets/chat/entries/c-3")
    before = page.locator('li.turn[data-index="1"] .text').inner_text()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("e")
    area = page.locator('li.turn[data-index="1"] textarea')
    area.fill("I can help with that.")
    area.press("Control+Enter")
    page.wait_for_selector("#notice:not([hidden])")
    assert page.locator('li.turn[data-index="1"] .text').inner_text() == "I can help with that."
    page.keyboard.press("u")
    page.locator("#notice-text", has_text="undo").wait_for()  # (no wait_for_function: the CSP forbids eval)
    assert page.locator('li.turn[data-index="1"] .text').inner_text() == before
