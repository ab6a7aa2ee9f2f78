"""The render view (issue 5): an entry as a workspace tokenizer's chat template renders it, trained
text highlighted; the JSON endpoint, the tokenizer rule (only tokenizers/), inert untrusted text,
the tokenizer cache, the editor's link, and a browser screenshot."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tests.web.conftest import IMG, SCREENSHOTS, SCRIPT, serving
from threadsmith.web.render_view import TokenizerCache

pytest.importorskip("tokenizers", reason="the export extra is not installed (pip install 'threadsmith[export]')")

from threadsmith.rendering import NAMED, byte_tokenizer, load_tokenizer  # noqa: E402
from threadsmith.workspace import Workspace  # noqa: E402

QWEN = SHARED_DATA / "tokenizers" / "qwen2.json.gz"
TRAINED_PIECE = re.compile(r'<span class="piece trained[^"]*"[^>]*>(.*?)</span>', re.S)


def add_tokenizer(workspace_path: Path, name: str = "bytes.json") -> Path:
    """A tiny byte-level tokenizer.json (every named template's special strings) in the workspace's tokenizers/."""
    folder = workspace_path.parent / "tokenizers"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(byte_tokenizer("chatml").tokenizer.to_str(), "utf-8")
    return path


def highlighted(page: str) -> str:
    """The text of the trained pieces inside the page's rendering (<pre class="rendered">)."""
    found = re.search(r'<pre class="rendered"[^>]*>(.*?)</pre>', page, re.S)
    return "".join(html.unescape(t) for t in TRAINED_PIECE.findall(found.group(1))) if found else ""


def trained_chars(pieces: list[dict]) -> set[int]:
    out, at = set(), 0
    for piece in pieces:
        if piece["trained"]:
            out.update(range(at, at + len(piece["text"])))
        at += len(piece["text"])
    return out


def library_render(workspace_path: Path, path: Path, dataset: str, key: str, template: str = "chatml",
                   train_on: str = "all"):
    with Workspace.open(str(workspace_path)) as ws:
        conversation = ws.entry(dataset, key).conversation
    return load_tokenizer(str(path), template=template).render(conversation, train_on=train_on)


@pytest.mark.parametrize("train_on", ["all", "last"])
def test_api_pieces_match_the_library_rendering(client, workspace_path: Path, train_on: str) -> None:
    path = add_tokenizer(workspace_path)
    body = client.get("/api/datasets/chat/entries/c-1/render",
                      params={"tokenizer": "bytes.json", "template": "chatml", "train_on": train_on}).json()
    rendered = library_render(workspace_path, path, "chat", "c-1", train_on=train_on)
    assert "".join(p["text"] for p in body["pieces"]) == rendered.text
    assert trained_chars(body["pieces"]) == {i for s, e in rendered.trained_spans for i in range(s, e)}
    assert body["trained_spans"] == [list(s) for s in rendered.trained_spans] and rendered.trained_spans
    assert body["tokens"] == len(rendered.input_ids) and body["trained_tokens"] == rendered.trained_tokens > 0
    assert [m["tokens"] for m in body["messages"]] == [s.tokens for s in rendered.spans]
    assert sum(m["tokens"] for m in body["messages"]) == body["tokens"]
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant"]
    assert body["messages"][2]["trained"] == body["trained_tokens"] and body["template"] == "chatml"
    assert "It is. *checks the glass* Falling fast." in "".join(p["text"] for p in body["pieces"] if p["trained"])
    assert not any(p["trained"] for p in body["pieces"] if p["message"] in (0, 1))


def test_train_on_last_trains_only_the_last_reply(client, workspace_path: Path) -> None:
    add_tokenizer(workspace_path)
    two = {"tokenizer": "bytes.json", "template": "chatml"}
    with Workspace.open(str(workspace_path)) as ws:
        ws.import_files([_write(workspace_path.parent / "two.jsonl")], "two")
    everything = client.get("/api/datasets/two/entries/t-1/render", params=two).json()
    last = client.get("/api/datasets/two/entries/t-1/render", params={**two, "train_on": "last"}).json()
    assert [m["trained"] > 0 for m in everything["messages"]] == [False, True, False, True]
    assert [m["trained"] > 0 for m in last["messages"]] == [False, False, False, True]
    assert 0 < last["trained_tokens"] < everything["trained_tokens"]


def _write(path: Path) -> Path:
    import orjson

    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there."},
                {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Farewell."}]
    path.write_bytes(orjson.dumps({"id": "t-1", "messages": messages}) + b"\n")
    return path


def test_page_highlights_the_trained_spans(client, workspace_path: Path) -> None:
    path = add_tokenizer(workspace_path)
    page = client.get("/datasets/chat/entries/c-1/render?tokenizer=bytes.json&template=chatml",
                      headers={"accept": "text/html"})
    assert page.status_code == 200, page.text[:500]
    rendered = library_render(workspace_path, path, "chat", "c-1")
    assert highlighted(page.text) == "".join(rendered.text[s:e] for s, e in rendered.trained_spans)
    assert 'class="legend"' in page.text and "Tokens per message" in page.text
    assert f"<b>{len(rendered.input_ids)}</b> tokens" in page.text
    assert f"<b>{rendered.trained_tokens}</b> trained" in page.text


def test_page_defaults_to_the_first_tokenizer_and_explains_an_empty_folder(client, workspace_path: Path) -> None:
    empty = client.get("/datasets/chat/entries/c-1/render", headers={"accept": "text/html"})
    assert empty.status_code == 200 and "No tokenizer yet" in empty.text and "tokenizers" in empty.text
    add_tokenizer(workspace_path)
    page = client.get("/datasets/chat/entries/c-1/render", headers={"accept": "text/html"})
    assert page.status_code == 200 and highlighted(page.text)
    assert "<option selected>bytes.json</option>" in page.text


@pytest.mark.parametrize("name", ["../ws/threadsmith.db", "/etc/passwd", "..", "tokenizers/bytes.json", "missing.json"])
def test_tokenizer_outside_the_folder_is_refused(client, workspace_path: Path, name: str) -> None:
    add_tokenizer(workspace_path)
    response = client.get("/api/datasets/chat/entries/c-1/render", params={"tokenizer": name})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_request" and "No tokenizer" in error["message"] and error["hint"]
    page = client.get("/datasets/chat/entries/c-1/render", params={"tokenizer": name}, headers={"accept": "text/html"})
    assert page.status_code == 400 and "No tokenizer" in page.text and not highlighted(page.text)


def test_bad_choices_get_the_one_error_shape(client, workspace_path: Path) -> None:
    add_tokenizer(workspace_path)
    bad_template = client.get("/api/datasets/chat/entries/c-1/render", params={"tokenizer": "bytes.json",
                                                                             "template": "/etc/passwd"})
    assert bad_template.status_code == 422 and set(bad_template.json()["error"]) >= {"code", "message", "hint"}
    own = client.get("/api/datasets/chat/entries/c-1/render", params={"tokenizer": "bytes.json", "template": "tokenizer"})
    assert own.status_code == 400 and "no chat template of its own" in own.json()["error"]["message"]
    missing = client.get("/api/datasets/chat/entries/nope/render", params={"tokenizer": "bytes.json"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    page = client.get("/datasets/chat/entries/c-1/render", params={"tokenizer": "bytes.json", "template": "nonsense"},
                      headers={"accept": "text/html"})
    assert page.status_code == 400 and "No chat template" in page.text
    assert "/api/datasets/{dataset}/entries/{key}/render" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("key", ["x-1", f"x-2{IMG}"])
def test_untrusted_text_renders_inert(client, workspace_path: Path, key: str) -> None:
    add_tokenizer(workspace_path)
    page = client.get(f"/datasets/xss/entries/{key}/render", params={"template": "chatml"},
                      headers={"accept": "text/html"})
    assert page.status_code == 200, page.text[:500]
    assert SCRIPT not in page.text and IMG not in page.text and "onerror=alert(1)>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert SCRIPT in highlighted(page.text)  # the reply's text, trained, shown as text


def test_tokenizers_are_cached_until_the_file_changes(client, workspace_path: Path) -> None:
    path = add_tokenizer(workspace_path)
    for _ in range(3):
        assert client.get("/api/datasets/chat/entries/c-1/render", params={"tokenizer": "bytes.json"}).status_code == 200
    cache: TokenizerCache = client.app.state.tokenizers
    assert len(cache) == 1
    first = cache.get(str(path), None)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert cache.get(str(path), None) is not first and cache.get(str(path), None) is cache.get(str(path), None)
    for template in NAMED:
        cache.get(str(path), template)
    assert len(cache) == cache.size < len(NAMED) + 1


def test_editor_links_to_the_render_view(client) -> None:
    page = client.get("/datasets/chat/entries/c-1", headers={"accept": "text/html"}).text
    assert 'href="/datasets/chat/entries/c-1/render"' in page
    old = client.get("/datasets/chat/entries/c-1?version=1", headers={"accept": "text/html"}).text
    assert 'href="/datasets/chat/entries/c-1/render?version=1"' in old


@pytest.mark.slow
def test_render_view_from_the_editor_in_a_browser(browser_context, tmp_path_factory: pytest.TempPathFactory) -> None:
    from threadsmith.workspace.examples import seed_examples

    folder = tmp_path_factory.mktemp("render") / "ws"
    with Workspace.open(folder) as ws:
        assert seed_examples(ws)
        db = Path(ws.path)
    if QWEN.is_file():  # a real tokenizer for the picture, when the shared one is here
        (db.parent / "tokenizers").mkdir()
        os.symlink(QWEN, db.parent / "tokenizers" / QWEN.name)
    else:
        add_tokenizer(db)
    with serving(db) as base:
        page = browser_context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(base + "/datasets/roleplay-lighthouse/entries/lh-002")
            page.click("#render-link")
            page.wait_for_url("**/render")
            page.select_option("select[name=template]", "chatml")
            page.click(".render-form button[type=submit]")
            page.wait_for_url("**template=chatml**")
            assert page.locator("pre.rendered .piece.trained").count() >= 1
            assert page.locator("table.render-messages tbody tr").count() >= 2
            page.screenshot(path=str(tmp_path_factory.mktemp("shots") / "web-render.png"), full_page=True)
            if os.environ.get("THREADSMITH_SCREENSHOTS"):
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / "web-render.png"))
            assert not errors, errors
        finally:
            page.close()
