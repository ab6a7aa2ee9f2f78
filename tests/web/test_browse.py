"""The browser's sort and tag list (API and page), and a role respelling in the diff page."""

from __future__ import annotations

import pytest

from tests.web.conftest import SCRIPT, csrf_headers


def _all(client, dataset: str, **params: object) -> list[str]:
    keys, cursor = [], None
    while True:
        body = client.get(f"/api/datasets/{dataset}/entries", params={**params, "limit": 1,
                                                                     **({"cursor": cursor} if cursor else {})}).json()
        keys += [e["key"] for e in body["entries"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return keys


@pytest.mark.parametrize(("sort", "keys"), [
    ("position", ["c-1", "c-2", "c-3"]),
    ("-turns", ["c-1", "c-3", "c-2"]),     # 3 turns, then two of 2 turns (ties: the later content first)
    ("turns", ["c-2", "c-3", "c-1"]),
    ("-chars", ["c-1", "c-2", "c-3"]),
    ("chars", ["c-3", "c-2", "c-1"]),
    ("findings", ["c-3", "c-1", "c-2"]),   # c-3 has findings; then the rest in dataset order
])
def test_sorted_pages_one_entry_at_a_time(client, sort: str, keys: list[str]) -> None:
    assert _all(client, "chat", sort=sort) == keys
    first = client.get("/api/datasets/chat/entries", params={"sort": sort, "count": "true"}).json()
    assert first["sort"] == sort and first["total"] == 3


def test_last_changed_first_after_an_edit(client) -> None:
    entry = client.get("/api/datasets/chat/entries/c-2").json()
    saved = client.post("/api/datasets/chat/entries/c-2/edits", headers=csrf_headers(client),
                        json={"base_version": entry["since"], "operations": [{"op": "set-text", "index": 1,
                                                                              "text": "Sixteen, exactly."}]})
    assert saved.status_code == 200
    assert _all(client, "chat", sort="changed")[0] == "c-2"


def test_sort_errors_keep_the_error_shape(client) -> None:
    bad = client.get("/api/datasets/chat/entries", params={"sort": "size"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    text = client.get("/api/datasets/chat/entries", params={"sort": "chars", "q": "storm"})
    assert text.status_code == 400 and "cannot be sorted" in text.json()["error"]["message"]
    page = client.get("/api/datasets/chat/entries", params={"sort": "chars", "limit": 1}).json()
    wrong = client.get("/api/datasets/chat/entries", params={"sort": "turns", "cursor": page["next_cursor"]})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "bad_request"


def test_browser_page_offers_sorts_and_keeps_them_in_links(client) -> None:
    page = client.get("/datasets/chat", params={"sort": "-chars"}).text
    assert '<option value="-chars" selected>' in page and "most findings first" in page
    ordered = [k for k in ("c-1", "c-2", "c-3") if f">{k}</a>" in page]
    assert page.index(">c-1</a>") < page.index(">c-2</a>") < page.index(">c-3</a>") and len(ordered) == 3
    search = client.get("/datasets/chat", params={"sort": "-chars", "q": "storm"})
    assert search.status_code == 200 and "index order" in search.text


def test_tags_api_and_the_browser_tag_list(client) -> None:
    assert client.get("/api/datasets/chat/tags").json() == {"tags": [{"tag": "roleplay", "count": 1, "category": None}]}
    xss = client.get("/api/datasets/xss/tags").json()["tags"]
    assert {t["tag"] for t in xss} == {SCRIPT, "safe"}
    assert client.get("/api/datasets/xss/tags", params={"limit": 1}).json()["tags"][0]["count"] == 1
    page = client.get("/datasets/chat").text
    assert 'list="tag-list"' in page and 'data-tags="/api/datasets/chat/tags"' in page
    assert '<script src="/static/browser.js" defer></script>' in page
    assert client.get("/static/browser.js").status_code == 200


def test_role_respelling_shows_in_the_diff_page(client) -> None:
    """c-3 spells its roles USER / ASSISTANT; setting the role to user changes the data, and the diff says so."""
    entry = client.get("/api/datasets/chat/entries/c-3").json()
    saved = client.post("/api/datasets/chat/entries/c-3/edits", headers=csrf_headers(client),
                        json={"base_version": entry["since"], "operations": [{"op": "set-role", "index": 0,
                                                                              "role": "user"}]}).json()
    after = saved["version"]["number"]
    diff = client.get("/api/datasets/chat/diff", params={"after": after}).json()
    [change] = diff["changes"]
    [turn] = change["turns"]
    assert (turn["before_role"], turn["after_role"]) == ("USER", "user")
    page = client.get("/datasets/chat/diff", params={"after": after}).text
    assert "USER → user" in page and "Role only" in page


@pytest.mark.slow
def test_sort_and_tag_list_in_chromium(browser_context, tmp_path) -> None:
    """Pick an order, filter, page on: the order and filter stay; the tag box suggests the dataset's tags."""
    from tests.web.conftest import make_workspace, serving

    with serving(make_workspace(tmp_path / "ws")) as base:
        page = browser_context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/datasets/chat")
        page.select_option("select[name=sort]", "turns")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**sort=turns**")
        assert page.locator("ol.entries a.key").all_inner_texts() == ["c-2", "c-3", "c-1"]
        page.focus("input[name=tag]")
        page.wait_for_selector("input[name=tag][data-loaded='1']")
        assert page.eval_on_selector("#tag-list", "l => [...l.options].map(o => o.value)") == ["roleplay"]
        page.fill("input[name=tag]", "roleplay")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**tag=roleplay**")
        assert "sort=turns" in page.url
        assert page.locator("ol.entries a.key").all_inner_texts() == ["c-1"]
        assert page.eval_on_selector("select[name=sort]", "s => s.value") == "turns"
        page.screenshot(path=str(tmp_path / "web-browser-sorted.png"), full_page=True)
        assert not errors, errors
        page.close()



def _editor_page(tmp_path, record: dict, dataset: str) -> str:
    """The editor page of the one entry of a workspace holding ``record``."""
    from fastapi.testclient import TestClient

    from tests.web.conftest import write
    from threadsmith.web import create_app
    from threadsmith.workspace import Workspace

    with Workspace.open(tmp_path / "ws") as ws:
        ws.import_files([write(tmp_path / f"{dataset}.jsonl", [record])], dataset)
        path = ws.path
    with TestClient(create_app(str(path)), base_url="http://127.0.0.1:8000") as client:
        return client.get(f"/datasets/{dataset}/entries/{dataset}:0").text


def test_the_editor_spells_out_tool_calls(tmp_path) -> None:
    from tests.formats.test_tool_calls import OPENAI

    page = _editor_page(tmp_path, OPENAI, "tools")
    assert "→ get_weather({&#34;city&#34;: &#34;Paris&#34;})" in page and "result of c1" in page


def test_the_editor_marks_a_sharegpt_function_call_turn(tmp_path) -> None:
    from tests.formats.test_tool_calls import LLAMAFACTORY

    assert _editor_page(tmp_path, LLAMAFACTORY, "lf").count(">function call</span>") == 1
