"""Helpers for the format tests: write tiny files into tmp_path and read them back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from threadsmith.formats import read_file
from threadsmith.model import Conversation, RecordProblem

Item = Conversation | RecordProblem


def as_bytes(records: list[Any]) -> bytes:
    """JSONL bytes: dicts are dumped, str/bytes lines are written as they are."""
    out = []
    for record in records:
        if isinstance(record, bytes):
            out.append(record)
        elif isinstance(record, str):
            out.append(record.encode())
        else:
            out.append(orjson.dumps(record))
    return b"".join(line + b"\n" for line in out)


@pytest.fixture
def read_records(tmp_path: Path) -> Callable[..., list[Item]]:
    """Write records as JSONL (or raw ``data`` bytes) to ``name`` and read every item back."""

    def read(records: list[Any] | None = None, name: str = "data.jsonl", *, data: bytes | None = None,
             role_map: dict[str, str] | None = None) -> list[Item]:
        path = tmp_path / name
        path.write_bytes(as_bytes(records or []) if data is None else data)
        return list(read_file(path, role_map=role_map))

    return read


@pytest.fixture
def read_one(read_records: Callable[..., list[Item]]) -> Callable[..., Item]:
    """Read a file holding one record and return the one item it gives."""

    def read(record: Any, name: str = "data.jsonl", **kwargs: Any) -> Item:
        items = read_records([record], name, **kwargs)
        assert len(items) == 1, items
        return items[0]

    return read
