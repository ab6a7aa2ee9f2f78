"""The dataset kind of a workspace version: detected from a sample, remembered, and redone cheaply."""

from __future__ import annotations

from pathlib import Path

import orjson

from threadsmith.checks.profile import detect_kind
from threadsmith.config import Config
from threadsmith.workspace import Workspace
from threadsmith.workspace import auditing
from threadsmith.workspace import operations as ops


def test_a_sample_changed_in_one_entry_decodes_only_that_entry(ws: Workspace, tmp_path: Path, monkeypatch) -> None:
    rows = [{"id": f"r{i}", "messages": [
        {"role": "system", "content": "You are Maren, a lighthouse keeper." if i % 2 else "Be brief."},
        {"role": "user", "content": f"Question {i}?"}, {"role": "assistant", "content": f"*nods* Answer {i}."}]}
        for i in range(60)]
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    ws.import_files([path], "d")
    decoded: list[int] = []
    real = auditing.decode
    monkeypatch.setattr(auditing, "decode", lambda body, entity: decoded.append(1) or real(body, entity))
    row = ws.dataset("d")
    first = auditing.detect_version_kind(ws.store, row, 1, Config())
    assert len(decoded) == 60 and first == "roleplay"
    decoded.clear()
    assert auditing.detect_version_kind(ws.store, row, 1, Config()) == first and decoded == []  # remembered
    ws.apply("d", [ops.SetText("r3", 0, "Be brief.")])
    again = auditing.detect_version_kind(ws.store, row, 2, Config())
    assert len(decoded) == 1  # only the changed entry
    assert again == detect_kind(ws.conversations("d", version=2))
