"""Round trips: for every lossless pair, reading what was written gives the same conversation.

Lossless pairs: openai->openai, sharegpt->sharegpt, alpaca->alpaca (single turn), trl->trl
(both shapes), openai->sharegpt->openai (plain text system/user/assistant turns) and
alpaca->openai->alpaca (content). What each format loses by design is listed in its module
docstring (e.g. Alpaca has no message names; an empty Alpaca system prompt is no message).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threadsmith.formats import read_file, to_record, write_jsonl
from threadsmith.model import ContentPart, Conversation, Message

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

SPECIAL = ["🙂👍🏽", "שלום עולם", "مرحبا بالعالم", "\u200fRTL mark", "a\nb", " padded ", "", "\t", "Human: not a turn"]
texts = st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=24), st.sampled_from(SPECIAL))
keys = st.text("abcdefghij_", min_size=1, max_size=6)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53),
                    st.floats(allow_nan=False, allow_infinity=False), texts)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
                           max_leaves=6)
extras = st.dictionaries(keys.map("x_".__add__), json_values, max_size=2)
metadata = st.dictionaries(keys.map("m_".__add__), json_values, max_size=3)
tags = st.lists(texts, max_size=3).map(tuple)
ids = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
names = st.none() | texts
weights = st.sampled_from([None, 0, 1, 0.5])


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch) -> None:
    """Hundreds of tiny writes: skip the disk flush (atomic writing is tested in test_writer)."""
    monkeypatch.setattr("threadsmith.formats.writer.os.fsync", lambda fd: None)


def message(roles: list[str], parts: bool = False) -> st.SearchStrategy[Message]:
    content = texts
    if parts:
        part = st.one_of(texts.map(lambda t: ContentPart("text", t)),
                         texts.map(lambda u: ContentPart("image_url", None, {"image_url": {"url": u}})))
        content = texts | st.lists(part, min_size=1, max_size=3).map(tuple)
    return st.builds(Message, role=st.sampled_from(roles), content=content, name=names, weight=weights, extra=extras)


def conversations(messages: st.SearchStrategy[list[Message]]) -> st.SearchStrategy[Conversation]:
    return st.builds(Conversation, id=ids, messages=messages.map(tuple), tags=tags, metadata=metadata)


def essence(conv: Conversation) -> tuple:
    """The parts of a conversation that a lossless round trip keeps."""
    turns = tuple((m.role, m.content, m.name, m.weight, dict(m.extra), m.raw_role) for m in conv.messages)
    return own_id(conv), conv.tags, dict(conv.metadata), turns


def texts_of(conv: Conversation) -> tuple:
    return own_id(conv), conv.tags, dict(conv.metadata), tuple((m.role, m.content) for m in conv.messages)


def own_id(conv: Conversation) -> str | None:
    """The id found in the data (assigned ids name the file, which differs between the steps)."""
    return None if conv.id_assigned else conv.id


def through(path: Path, convs: list[Conversation], fmt: str | None) -> list[Conversation]:
    write_jsonl(convs, path, fmt)
    items = list(read_file(path))
    assert all(isinstance(c, Conversation) for c in items), items
    return items


def read_records(path: Path, records: list[dict[str, Any]]) -> list[Conversation]:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    items = list(read_file(path))
    assert all(isinstance(c, Conversation) for c in items), items
    return items


@SETTINGS
@given(st.lists(conversations(st.lists(message(["system", "user", "assistant", "tool"], parts=True), max_size=5)),
                max_size=3))
def test_openai(tmp_path, convs) -> None:
    back = through(tmp_path / "o.jsonl", convs, "openai")
    assert [essence(c) for c in back] == [essence(c) for c in convs]
    assert [to_record(c) for c in back] == [to_record(c, "openai") for c in convs]


@SETTINGS
@given(st.lists(conversations(st.lists(message(["system", "user", "assistant", "tool"]), max_size=5)), max_size=3))
def test_sharegpt(tmp_path, convs) -> None:
    back = through(tmp_path / "s.jsonl", convs, "sharegpt")
    assert [essence(c) for c in back] == [essence(c) for c in convs]
    again = through(tmp_path / "s2.jsonl", back, None)
    assert [essence(c) for c in again] == [essence(c) for c in convs]


def single_turn() -> st.SearchStrategy[list[Message]]:
    plain = st.builds(Message, role=st.just("user"), content=texts)
    system = st.builds(Message, role=st.just("system"), content=texts.filter(bool))
    answer = st.builds(Message, role=st.just("assistant"), content=texts)
    return st.tuples(st.lists(system, max_size=1), plain, answer).map(lambda t: [*t[0], t[1], t[2]])


@SETTINGS
@given(st.lists(conversations(single_turn()), max_size=3))
def test_alpaca(tmp_path, convs) -> None:
    back = through(tmp_path / "a.jsonl", convs, "alpaca")
    assert [texts_of(c) for c in back] == [texts_of(c) for c in convs]
    again = through(tmp_path / "a2.jsonl", back, None)
    assert [to_record(c) for c in again] == [to_record(c) for c in back]


alpaca_records = st.fixed_dictionaries(
    {"instruction": texts, "output": texts},
    optional={"input": texts, "system": texts, "id": ids, "tags": st.lists(texts, max_size=2), "m_note": json_values},
)


@SETTINGS
@given(st.lists(alpaca_records, max_size=3))
def test_alpaca_records(tmp_path, records) -> None:
    convs = read_records(tmp_path / "a.jsonl", records)
    assert [to_record(c) for c in convs] == records
    back = through(tmp_path / "a2.jsonl", convs, None)
    assert [texts_of(c) for c in back] == [texts_of(c) for c in convs]


@SETTINGS
@given(st.lists(alpaca_records, max_size=3))
def test_alpaca_through_openai(tmp_path, records) -> None:
    convs = read_records(tmp_path / "a.jsonl", records)
    via_openai = through(tmp_path / "o.jsonl", convs, "openai")
    back = through(tmp_path / "a2.jsonl", via_openai, "alpaca")
    assert [texts_of(c) for c in back] == [texts_of(c) for c in convs]


def ending_with_assistant() -> st.SearchStrategy[list[Message]]:
    turns = st.lists(message(["system", "user", "assistant", "tool"]), max_size=4)
    return st.tuples(turns, message(["assistant"])).map(lambda t: [*t[0], t[1]])


@SETTINGS
@given(st.lists(conversations(ending_with_assistant()), max_size=3))
def test_trl_conversational(tmp_path, convs) -> None:
    back = through(tmp_path / "t.jsonl", convs, "trl")
    assert [essence(c) for c in back] == [essence(c) for c in convs]
    assert all(c.source.hints["style"] == "conversational" for c in back)
    again = through(tmp_path / "t2.jsonl", back, None)
    assert [to_record(c) for c in again] == [to_record(c) for c in back]


trl_standard = st.fixed_dictionaries(
    {"prompt": texts, "completion": texts},
    optional={"id": ids, "tags": st.lists(texts, max_size=2), "m_score": json_values},
)


@SETTINGS
@given(st.lists(trl_standard, max_size=3))
def test_trl_standard(tmp_path, records) -> None:
    convs = read_records(tmp_path / "t.jsonl", records)
    back = through(tmp_path / "t2.jsonl", convs, "trl")
    assert [to_record(c) for c in back] == records
    assert [texts_of(c) for c in back] == [texts_of(c) for c in convs]


@SETTINGS
@given(st.lists(conversations(st.lists(message(["system", "user", "assistant"]), max_size=5)), max_size=3))
def test_openai_through_sharegpt(tmp_path, convs) -> None:
    openai = through(tmp_path / "o.jsonl", convs, "openai")
    sharegpt = through(tmp_path / "s.jsonl", openai, "sharegpt")
    back = through(tmp_path / "o2.jsonl", sharegpt, "openai")
    assert [essence(c) for c in back] == [essence(c) for c in convs]


openai_labels = st.sampled_from(["user", "USER", "Human", "assistant", "GPT", "bot", "system", "SYSTEM", " user ", "tool"])
openai_messages = st.fixed_dictionaries({"role": openai_labels, "content": texts}, optional={"name": texts, "x_k": json_values})
sharegpt_labels = st.sampled_from(["human", "gpt", "system", "observation", "user", "assistant", "Human", "GPT", "Kai"])
sharegpt_turns = st.fixed_dictionaries({"from": sharegpt_labels, "value": texts}, optional={"weight": st.sampled_from([0, 1])})


@SETTINGS
@given(st.lists(st.fixed_dictionaries({"messages": st.lists(openai_messages, max_size=4)},
                                      optional={"id": ids | st.integers(0, 10**6), "tags": st.lists(texts, max_size=2)}),
                max_size=3))
def test_openai_records_are_rewritten_unchanged(tmp_path, records) -> None:
    convs = read_records(tmp_path / "o.jsonl", records)
    assert [to_record(c) for c in through(tmp_path / "o2.jsonl", convs, None)] == records


@SETTINGS
@given(st.lists(st.fixed_dictionaries({"conversations": st.lists(sharegpt_turns, max_size=4)},
                                      optional={"system": texts, "id": ids}), max_size=3))
def test_sharegpt_records_are_rewritten_unchanged(tmp_path, records) -> None:
    convs = read_records(tmp_path / "s.jsonl", records)
    assert [to_record(c) for c in through(tmp_path / "s2.jsonl", convs, None)] == records
