"""Web fixtures: a workspace with tiny datasets (one full of XSS strings), an in-process client,
a live server in a thread, and a headless Chromium driven by Playwright (skipped when absent)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed (pip install 'threadsmith[web]')")

from fastapi.testclient import TestClient  # noqa: E402

from threadsmith.web import create_app  # noqa: E402
from threadsmith.web.settings import ServerSettings  # noqa: E402
from threadsmith.workspace import Workspace  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"

CHAT = [
    {"id": "c-1", "messages": [{"role": "system", "content": "You are Maren, a lighthouse keeper."},
                               {"role": "user", "content": "Is the storm coming?"},
                               {"role": "assistant", "content": "It is. *checks the glass* Falling fast."}],
     "tags": ["roleplay"]},
    {"id": "c-2", "messages": [{"role": "user", "content": "How many tablespoons are in a cup?"},
                               {"role": "assistant", "content": "Sixteen tablespoons."}]},
    {"id": "c-3", "messages": [{"role": "USER", "content": "hello"},
                               {"role": "ASSISTANT", "content": "As an AI language model, I cannot do that."}]},
]
XSS = [
    {"id": "x-1", "messages": [{"role": "system", "content": f"System {SCRIPT}"},
                               {"role": "user", "content": f"Please {IMG} render"},
                               {"role": "assistant", "content": f"Sure {SCRIPT} and {IMG}", "name": IMG}],
     "tags": [SCRIPT, "safe"]},
    {"id": f"x-2{IMG}", "messages": [{"role": "user", "content": IMG},
                                      {"role": "assistant", "content": SCRIPT}]},
]


def write(path: Path, records: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def make_workspace(folder: Path) -> Path:
    """A workspace with the datasets ``chat`` (audited) and ``xss``."""
    with Workspace.open(folder) as ws:
        ws.import_files([write(folder.parent / "chat.jsonl", CHAT)], "chat")
        ws.import_files([write(folder.parent / "xss.jsonl", XSS)], "xss")
        ws.audit("chat")
        return Path(ws.path)


@pytest.fixture
def workspace_path(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws")


@pytest.fixture
def client(workspace_path: Path) -> Iterator[TestClient]:
    app = create_app(str(workspace_path))
    with TestClient(app, base_url="http://127.0.0.1:8000") as test_client:
        yield test_client


def csrf_headers(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/session").json()["csrf_token"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(workspace: Path) -> Iterator[str]:
    """A real server for ``workspace`` on 127.0.0.1 in a thread; its base URL."""
    uvicorn = pytest.importorskip("uvicorn")
    settings = ServerSettings.make(str(workspace), port=free_port())
    server = uvicorn.Server(uvicorn.Config(create_app(settings=settings), host="127.0.0.1", port=settings.port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        pytest.fail("the test server did not start")
    try:
        yield f"http://127.0.0.1:{settings.port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live server over the ``chat`` and ``xss`` datasets."""
    with serving(make_workspace(tmp_path_factory.mktemp("live") / "ws")) as url:
        yield url


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A headless Debian Chromium with a fresh profile (skipped when Chromium or Playwright is absent)."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium; make test installs it when run as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 860})
        try:
            yield context
        finally:
            context.close()
