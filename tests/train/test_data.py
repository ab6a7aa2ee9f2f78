"""Training data: files, export manifests (hash-checked), the seeded validation split, truncation."""

from __future__ import annotations

import json
import os

import pytest

from threadsmith.errors import UserError
from threadsmith.model import Conversation, Message
from threadsmith.train.data import Examples, from_file, split


def _line(i: int) -> str:
    return json.dumps({"id": f"c{i}", "messages": [{"role": "user", "content": f"Question {i}?"},
                                                   {"role": "assistant", "content": f"Answer {i}."}]}) + "\n"


def _conversations(n: int) -> list[Conversation]:
    return [Conversation(f"c{i}", (Message("user", "q"), Message("assistant", "a"))) for i in range(n)]


def test_split_is_seeded_stable_and_sized():
    items = _conversations(40)
    train, held = split(items, 0.1, seed=7)
    assert len(held) == 4 and len(train) == 36
    assert split(items, 0.1, seed=7) == (train, held)
    assert split(items, 0.1, seed=8)[1] != held
    assert len(split(items, 3, seed=7)[1]) == 3
    assert split(items[:3], 0.5, seed=7) == (items[:3], [])
    assert split(items, 0, seed=7) == (items, [])


def test_truncation_keeps_the_start_and_drops_rows_without_trained_tokens():
    examples = Examples(((1, 2, 3, 4), (5, 6, 7, 8)), ((0, 1, 1, 1), (0, 0, 0, 1)), skipped=1)
    cut = examples.truncated(2)
    assert cut.input_ids == ((1, 2),) and cut.masks == ((0, 1),) and cut.skipped == 2


def test_jsonl_file_source_has_its_sha256(tmp_path):
    path = tmp_path / "chats.jsonl"
    path.write_text("".join(_line(i) for i in range(3)), encoding="utf-8")
    conversations, held, source = from_file(str(path))
    assert len(conversations) == 3 and held is None
    assert source.kind == "file" and len(source.sha256) == 64 and source.describe() == "chats.jsonl"


def _manifest(tmp_path):
    manifest_mod = pytest.importorskip("threadsmith.export.manifest")
    from threadsmith.export.sinks import sha256_file

    files = []
    for split_name, count in (("train", 5), ("validation", 2)):
        path = tmp_path / f"{split_name}.jsonl"
        path.write_text("".join(_line(i) for i in range(count)), encoding="utf-8")
        files.append({"path": path.name, "split": split_name, "records": count, "bytes": os.path.getsize(path),
                      "sha256": sha256_file(str(path))})
    target = tmp_path / "manifest.json"
    manifest_mod.write_manifest(str(target), {"source": {"kind": "workspace", "dataset": "chats", "version": 3},
                                              "files": files})
    return target


def test_export_manifest_gives_train_and_validation_files(tmp_path):
    target = _manifest(tmp_path)
    train, held, source = from_file(str(target))
    assert len(train) == 5 and len(held) == 2
    assert source.kind == "manifest" and source.version == 3 and len(source.manifest_sha256) == 64
    assert "chats@3" in source.describe()


def test_changed_export_is_refused(tmp_path):
    target = _manifest(tmp_path)
    (tmp_path / "train.jsonl").write_text(_line(9), encoding="utf-8")
    with pytest.raises(UserError, match="changed since"):
        from_file(str(target))
