"""Tiny literal datasets for the export tests."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

#: Three conversations: a system prompt, a named roleplay speaker, a weighted multi-turn chat.
RECORDS = [
    {"id": "geo-1", "messages": [
        {"role": "system", "content": "You are a terse geography tutor."},
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "Paris."}], "tags": ["geo"]},
    {"id": "rp-1", "conversations": [
        {"from": "human", "value": "*waves* Hello there, keeper!"},
        {"from": "gpt", "value": "*lifts the lantern* Welcome to the lighthouse, traveller.", "name": "Mara"}],
     "tags": ["rp"]},
    {"id": "math-1", "messages": [
        {"role": "user", "content": "What is 2 + 2?"},
        {"role": "assistant", "content": "5", "weight": 0},
        {"role": "user", "content": "Are you sure?"},
        {"role": "assistant", "content": "Sorry: 2 + 2 = 4.", "weight": 1}], "tags": ["math"]},
]
#: Single-turn entries only (Alpaca holds nothing else).
SINGLE_TURN = RECORDS[:2]
GOLDEN = Path(__file__).parent / "golden"


def write_records(path: Path, records: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_records(tmp_path / "chats.jsonl", RECORDS)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def synthetic(n: int, *, seed: int = 0) -> list[dict]:
    """``n`` distinct two-turn conversations (distinct words, so no near-duplicates), tagged a/b."""
    out = []
    for i in range(n):
        words = " ".join(f"w{i}x{j}" for j in range(12))
        out.append({"id": f"c{i}", "messages": [
            {"role": "user", "content": f"Question {i}: tell me about {words}?"},
            {"role": "assistant", "content": f"Answer {i}: here is everything about {words} and more {i}."}],
            "tags": ["a" if i % 3 else "b"]})
    return out
