"""Security rules: untrusted text inert in every page, token for non-local binds, CSRF, host check, headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import IMG, SCRIPT, csrf_headers
from threadsmith.web import create_app
from threadsmith.web.settings import ServerSettings

ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_IMG = "&lt;img src=x onerror=alert(1)&gt;"
PAGES = ["/", "/datasets/xss", "/datasets/xss/entries/x-1", "/datasets/xss/findings", "/datasets/xss/insights",
         "/datasets/xss/history", "/datasets/xss/diff", "/library", "/datasets/xss?q=render",
         "/datasets/xss/entries/x-2%3Cimg%20src=x%20onerror=alert(1)%3E", "/datasets/xss/export",
         "/datasets/xss?sort=-chars", "/datasets/xss?sort=findings"]


def edit_xss(client: TestClient) -> None:
    """Put the strings into a diff, a fix preview's source, a tag, a version message and a dismissal."""
    headers = csrf_headers(client)
    client.post("/api/datasets/xss/entries/x-1/edits", headers=headers, json={
        "base_version": 1, "message": f"msg {SCRIPT}",
        "operations": [{"op": "set-text", "index": 1, "text": f"New {IMG} {SCRIPT}"}]})
    client.post("/api/datasets/xss/entries/x-1/dismissals", headers=headers, json={"code": "ST004", "reason": IMG})


@pytest.mark.parametrize("path", PAGES)
def test_untrusted_text_renders_inert(client, path: str) -> None:
    edit_xss(client)
    response = client.get(path, headers={"accept": "text/html"})
    assert response.status_code == 200, response.text[:500]
    html = response.text
    assert SCRIPT not in html and IMG not in html
    assert "onerror=alert(1)>" not in html
    if path in ("/datasets/xss/entries/x-1", "/datasets/xss/diff"):
        assert ESCAPED_SCRIPT in html and ESCAPED_IMG in html


def test_error_page_escapes_the_path(client) -> None:
    response = client.get(f"/datasets/{IMG}", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert IMG not in response.text and ESCAPED_IMG in response.text


def test_security_headers(client) -> None:
    response = client.get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_csrf_protection(client) -> None:
    body = {"version": 1, "name": "t1"}
    assert client.post("/api/datasets/chat/tags", json=body).json()["error"]["code"] == "csrf"
    wrong = client.post("/api/datasets/chat/tags", json=body, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    headers = csrf_headers(client)
    cross = client.post("/api/datasets/chat/tags", json=body, headers={**headers, "Origin": "http://evil.example"})
    assert cross.status_code == 403 and cross.json()["error"]["code"] == "csrf"
    fetch_site = client.post("/api/datasets/chat/tags", json=body, headers={**headers, "Sec-Fetch-Site": "cross-site"})
    assert fetch_site.status_code == 403
    same = client.post("/api/datasets/chat/tags", json=body,
                       headers={**headers, "Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200


def test_loopback_server_refuses_other_host_names(client) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends Host: evil.example."""
    response = client.get("/api/datasets", headers={"host": "evil.example:8000"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden_host"
    page = client.get("/", headers={"host": "evil.example:8000", "accept": "text/html"})
    secret = client.get("/api/session").json()["csrf_token"]
    assert page.status_code == 403 and secret not in page.text
    assert client.get("/api/datasets", headers={"host": "localhost:8000"}).status_code == 200


def test_non_local_bind_requires_a_token(workspace_path: Path) -> None:
    settings = ServerSettings.make(str(workspace_path), host="0.0.0.0")
    assert settings.token and len(settings.token) >= 16 and settings.url.endswith(f"?token={settings.token}")
    with TestClient(create_app(settings=settings), base_url="http://192.168.1.20:8000") as c:
        refused = c.get("/api/datasets")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
        assert c.get("/", headers={"accept": "text/html"}).status_code == 401
        assert c.get("/api/datasets", headers={"authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/datasets", headers={"authorization": f"Bearer {settings.token}"}).status_code == 200
        opened = c.get(f"/datasets/chat?tag=roleplay&token={settings.token}", follow_redirects=False)
        assert opened.status_code == 303 and opened.headers["location"] == "/datasets/chat?tag=roleplay"
        assert "httponly" in opened.headers["set-cookie"].lower() and "samesite=strict" in opened.headers["set-cookie"].lower()
        assert c.get("/datasets/chat").status_code == 200  # the cookie carries it now
        headers = {"X-CSRF-Token": c.get("/api/session").json()["csrf_token"]}
        assert c.post("/api/datasets/chat/tags", json={"version": 1, "name": "ok"}, headers=headers).status_code == 200


def test_given_token_on_loopback_is_enforced(workspace_path: Path) -> None:
    settings = ServerSettings.make(str(workspace_path), token="a-long-enough-token-value")
    with TestClient(create_app(settings=settings), base_url="http://127.0.0.1:8000") as c:
        assert c.get("/api/datasets").status_code == 401
        assert c.get("/api/datasets", headers={"authorization": "Bearer a-long-enough-token-value"}).status_code == 200
