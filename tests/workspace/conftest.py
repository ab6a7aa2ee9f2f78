"""Workspace fixtures: a fresh workspace in tmp_path and tiny datasets."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from threadsmith.workspace import Workspace

RECORDS = [
    {"id": "a", "messages": [{"role": "system", "content": "You are Maren."}, {"role": "user", "content": "Hi there"},
                             {"role": "assistant", "content": "Storm's coming."}], "tags": ["roleplay"]},
    {"id": "b", "messages": [{"role": "user", "content": "How many tablespoons in a cup?"},
                             {"role": "assistant", "content": "Sixteen."}]},
    {"id": "c", "messages": [{"role": "system", "content": "You are Maren."}, {"role": "user", "content": "Light the lamp"},
                             {"role": "assistant", "content": "*strikes a match* Done."},
                             {"role": "user", "content": "Thanks"}, {"role": "assistant", "content": "Any time."}],
     "tags": ["roleplay", "café"]},
]


def write_records(path: Path, records: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


@pytest.fixture
def ws(tmp_path: Path):
    with Workspace.open(tmp_path / "ws") as workspace:
        yield workspace


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_records(tmp_path / "data.jsonl", RECORDS)


@pytest.fixture
def loaded(ws: Workspace, data: Path) -> Workspace:
    ws.import_files([data], "chats")
    return ws
