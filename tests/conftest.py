"""Shared fixtures: tiny dataset files written into tmp_path."""

from __future__ import annotations

from collections.abc import Callable
import os
from pathlib import Path

import orjson
import pytest

#: The dirty fixture from another tool's test suite (six ChatML lines).
DIRTY_FIXTURE = """\
{"messages":[{"role":"system","content":"System"},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}],"tags":[""]}
{"messages":[{"role":"SYSTEM","content":"System"},{"role":"USER","content":"Hi"},{"role":"ASSISTANT","content":"Hello"}],"tags":[""]}
{"messages":[{"role":"system","content":"System"},{"role":"human","content":"Hi"},{"role":"gpt","content":"Hello"}],"tags":[""]}
{"messages":[{"role":"system","content":" System "},{"role":"user","content":" Hi "},{"role":"assistant","content":" Hello "}],"tags":[""]}
{"messages":[{"role":"system","content":"System"},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}],"tags":[]}
{"messages":[{"role":"GPT","content":"System-ish"},{"role":"USER","content":"Hi"},{"role":"Bot","content":"Hello"}],"tags":[]}
"""

#: The shared real data (../shared/data beside the checkout; THREADSMITH_SHARED_DATA overrides it,
#: e.g. for a clone elsewhere). Tests that need it skip when it is absent.
SHARED_DATA = Path(os.environ.get("THREADSMITH_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    """Write records (dicts, or raw str/bytes lines) to a JSONL file and return its path."""

    def write(records: list, name: str = "data.jsonl") -> Path:
        path = tmp_path / name
        with path.open("wb") as out:
            for record in records:
                if isinstance(record, bytes):
                    out.write(record + b"\n")
                elif isinstance(record, str):
                    out.write(record.encode() + b"\n")
                else:
                    out.write(orjson.dumps(record) + b"\n")
        return path

    return write


@pytest.fixture
def dirty_fixture(tmp_path: Path) -> Path:
    """The six-line dirty ChatML fixture as a file."""
    path = tmp_path / "02_dirty_auto_fixable.jsonl"
    path.write_text(DIRTY_FIXTURE, encoding="utf-8")
    return path


def chat(*turns: tuple[str, str], **extra: object) -> dict:
    """An OpenAI-style record from (role, content) pairs."""
    return {"messages": [{"role": r, "content": c} for r, c in turns], **extra}


@pytest.fixture
def cli_runner():
    """A click runner that keeps stderr apart from stdout."""
    from click.testing import CliRunner

    return CliRunner()
