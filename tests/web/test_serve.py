"""`threadsmith serve`: seeds the examples into an empty workspace, prints the URL, token rules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from threadsmith.cli import cli
from threadsmith.workspace import Workspace


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Capture uvicorn.run instead of serving."""
    uvicorn = pytest.importorskip("uvicorn")
    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    return calls


def test_serve_seeds_examples_and_prints_url(tmp_path: Path, served: list[dict]) -> None:
    folder = tmp_path / "ws"
    result = CliRunner().invoke(cli, ["serve", "--workspace", str(folder), "--seed-examples", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/" in result.output and "token=" not in result.output
    assert served[0]["host"] == "127.0.0.1" and served[0]["port"] == 8123
    with Workspace.open(folder) as ws:
        names = {d.name for d in ws.datasets()}
        assert {"dirty", "assistant-chat", "roleplay-lighthouse"} <= names
        assert all(ws.audit_summary(name) is not None for name in names)
    again = CliRunner().invoke(cli, ["serve", "--workspace", str(folder), "--seed-examples"])
    assert "seeded" not in again.output  # never into a workspace that has datasets


def test_non_loopback_bind_prints_a_token(tmp_path: Path, served: list[dict]) -> None:
    result = CliRunner().invoke(cli, ["serve", "--workspace", str(tmp_path / "ws"), "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert "?token=" in result.output and "generated" in result.output


def test_short_token_is_refused(tmp_path: Path, served: list[dict]) -> None:
    result = CliRunner().invoke(cli, ["serve", "--workspace", str(tmp_path / "ws"), "--token", "abc"])
    assert result.exit_code == 2 and "too short" in result.output and not served


def test_import_threadsmith_stays_light() -> None:
    import subprocess

    code = ("import sys, threadsmith, threadsmith.cli; heavy = [m for m in ('fastapi', 'starlette', 'jinja2', 'uvicorn') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
