"""Exports from the web: the API (every target, filters, split, tokenizer), the folder rule, the pages, and
the export page in Chromium."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tests.web.conftest import SCRIPT, csrf_headers, make_workspace, serving
from threadsmith.export import TARGET_NAMES, verify_manifest

QWEN = SHARED_DATA / "tokenizers" / "qwen2.json.gz"


def export(client, folder: str, **body: object):
    return client.post("/api/datasets/chat/exports", headers=csrf_headers(client), json={"folder": folder, **body})


@pytest.mark.parametrize("target", TARGET_NAMES)
def test_every_target_exports_into_the_workspace_with_a_manifest(client, workspace_path: Path, target: str) -> None:
    response = export(client, f"chat-{target}", target=target)
    assert response.status_code == 200, response.text
    result = response.json()
    folder = workspace_path.parent / "exports" / f"chat-{target}"
    assert result["folder"] == f"chat-{target}" and Path(result["output"]) == folder
    assert result["counts"]["written"] == 3 and result["counts"]["read"] == 3
    assert verify_manifest(str(folder / "manifest.json")) == []
    manifest = client.get(f"/api/datasets/chat/exports/chat-{target}").json()
    assert manifest["target"] == target and manifest["source"]["dataset"] == "chat"
    assert {f["sha256"] for f in manifest["files"]} == {f["sha256"] for f in result["files"]}


def test_filters_and_split_reach_the_library(client) -> None:
    tagged = export(client, "only-roleplay", target="openai", tags=["roleplay"]).json()
    assert tagged["counts"]["written"] == 1 and tagged["counts"]["filtered"] == 2
    dropped = export(client, "no-structure", target="trl", drop_codes=["structure"]).json()
    assert dropped["counts"]["written"] == 2  # c-3 has a structure finding (its role spelling)
    split = export(client, "split", target="openai", split="2,1", seed=7).json()
    assert split["sizes"] == {"train": 2, "validation": 1}
    assert sum(split["leakage"].values()) == 0
    manifest = export(client, "split-again", target="openai", split="0.5,0.5").json()
    assert set(manifest["sizes"]) == {"train", "validation"}
    multi = export(client, "some-alpaca", target="alpaca", skip_unsupported=True).json()  # c-1 has a system prompt
    assert multi["counts"]["written"] + multi["counts"]["unsupported"] == 3


def test_export_folder_stays_inside_the_workspace(client, workspace_path: Path) -> None:
    for bad in ("../escape", "/tmp/escape", "a/b", ".hidden", "..", "x.jsonl"):
        response = export(client, bad, target="openai")
        assert response.status_code in (400, 422), bad
        assert set(response.json()["error"]) == {"status", "code", "message", "hint", "details"}
    assert not (workspace_path.parent.parent / "escape").exists()
    # a link planted inside exports/ cannot lead out either
    outside = workspace_path.parent.parent / "outside"
    outside.mkdir()
    (workspace_path.parent / "exports").mkdir(exist_ok=True)
    os.symlink(outside, workspace_path.parent / "exports" / "linked")
    assert export(client, "linked", target="openai").status_code == 400
    assert list(outside.iterdir()) == []
    assert client.get("/api/datasets/chat/exports/..%2F..%2Fetc").status_code in (400, 404)


def test_an_export_is_never_overwritten_and_a_failed_one_leaves_nothing(client, workspace_path: Path) -> None:
    assert export(client, "once", target="openai").status_code == 200
    again = export(client, "once", target="alpaca")
    assert again.status_code == 400 and "already exists" in again.json()["error"]["message"]
    assert client.get("/api/datasets/chat/exports/once").json()["target"] == "openai"
    bad = export(client, "bad-split", target="openai", split="0.5,0.7")
    assert bad.status_code == 400 and "split" in bad.json()["error"]["message"]
    missing = export(client, "bad-version", target="openai", version="99")
    assert missing.status_code == 404
    assert not (workspace_path.parent / "exports" / "bad-version").exists()
    assert export(client, "bad-version", target="openai").status_code == 200  # the name is still free


def test_tokenizer_is_offered_from_the_workspace_only(client, workspace_path: Path) -> None:
    assert client.get("/api/datasets/chat/exports/options").json()["tokenizers"] == []
    refused = export(client, "tok", target="openai", tokenizer="/etc/passwd")
    assert refused.status_code in (400, 422)
    if not QWEN.is_file():
        pytest.skip(f"{QWEN} is absent (the shared tokenizer)")
    pytest.importorskip("tokenizers")
    (workspace_path.parent / "tokenizers").mkdir()
    os.symlink(QWEN, workspace_path.parent / "tokenizers" / "qwen2.json.gz")
    options = client.get("/api/datasets/chat/exports/options").json()
    assert options["tokenizers"] == ["qwen2.json.gz"] and "chatml" in options["templates"]
    result = export(client, "tok", target="openai", tokenizer="qwen2.json.gz", template="chatml").json()
    assert "qwen2.json.gz" in result["tokens"]["method"]
    assert result["tokens"]["splits"]["train"]["tokens"] > 20


def test_export_pages_render_the_form_the_list_and_the_manifest(client) -> None:
    page = client.get("/datasets/chat/export")
    assert page.status_code == 200
    for target in TARGET_NAMES:
        assert f'<option value="{target}"' in page.text
    assert "No exports of this dataset yet" in page.text
    export(client, "chat-v1", target="openai", split="2,1")
    listing = client.get("/datasets/chat/export").text
    assert "/datasets/chat/exports/chat-v1" in listing
    manifest = client.get("/datasets/chat/exports/chat-v1")
    assert manifest.status_code == 200
    for text in ("train.jsonl", "validation.jsonl", "leakage 0", "written 3"):
        assert text in manifest.text
    sha = client.get("/api/datasets/chat/exports/chat-v1").json()["files"][0]["sha256"]
    assert sha in manifest.text
    assert client.get("/datasets/chat/exports/nope", headers={"accept": "text/html"}).status_code == 404


def test_export_of_untrusted_tags_stays_inert(tmp_path: Path) -> None:
    """A tag full of markup goes into the manifest and back out as text."""
    from fastapi.testclient import TestClient

    from threadsmith.web import create_app

    path = make_workspace(tmp_path / "ws")
    with TestClient(create_app(str(path)), base_url="http://127.0.0.1:8000") as client:
        response = client.post("/api/datasets/xss/exports", headers=csrf_headers(client),
                               json={"folder": "xss", "target": "jsonl", "tags": [SCRIPT]})
        assert response.status_code == 200 and response.json()["counts"]["written"] == 1
        page = client.get("/datasets/xss/exports/xss").text
        assert SCRIPT not in page and "&lt;script&gt;" in page
        assert json.loads(client.get("/api/datasets/xss/exports/xss").text)["filters"]["tags"] == [SCRIPT]


@pytest.mark.slow
def test_export_page_in_chromium(browser_context, tmp_path: Path) -> None:
    """Choose a target, a split and a filter, export, land on the manifest, find it in the list."""
    with serving(make_workspace(tmp_path / "ws")) as base:
        page = browser_context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/datasets/chat")
        page.click("header nav >> text=Export")
        page.fill("input[name=folder]", "chat-axolotl")
        page.select_option("select[name=target]", "axolotl")
        page.fill("input[name=split]", "2,1")
        page.click("#export-run")
        page.wait_for_url("**/datasets/chat/exports/chat-axolotl")
        text = page.inner_text("main")
        assert "axolotl.yaml" in text and "validation.jsonl" in text and "leakage 0" in text
        assert "Exported 3 of 3 entries" in page.inner_text("#notice")
        page.screenshot(path=str(tmp_path / "web-export-manifest.png"), full_page=True)
        page.goto(f"{base}/datasets/chat/export")
        page.fill("input[name=folder]", "chat-axolotl")
        page.click("#export-run")
        page.wait_for_selector("#notice:not([hidden])")
        assert "already exists" in page.inner_text("#notice")
        assert page.locator("table.exports >> text=chat-axolotl").count() == 1
        page.screenshot(path=str(tmp_path / "web-export.png"), full_page=True)
        assert not errors, errors
        page.close()
