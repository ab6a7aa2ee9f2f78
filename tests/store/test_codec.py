"""The codec is lossless: every field of a conversation's content survives encode -> decode."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from threadsmith.model import ContentPart, Conversation, Message, Source, ToolCall
from threadsmith.store.codec import (
    Entity,
    content_hash,
    decode,
    encode,
    encode_with_stats,
    facets,
    stats,
    text_columns,
)

_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False) | st.text()
json_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                           max_leaves=8)
json_objects = st.dictionaries(st.text(), json_values, max_size=3)
parts = st.builds(ContentPart, st.text(min_size=1), st.none() | st.text(), json_objects)
calls = st.builds(ToolCall, st.none() | st.text(), st.text(), st.text(), json_objects)
messages = st.builds(
    Message,
    role=st.sampled_from(["system", "user", "assistant", "tool", "Kai", "ロール"]),
    content=st.text() | st.lists(parts, max_size=3).map(tuple),
    name=st.none() | st.text(),
    tool_calls=st.lists(calls, max_size=2).map(tuple),
    tool_call_id=st.none() | st.text(),
    weight=st.none() | st.integers(0, 1) | st.floats(0, 1),
    raw_role=st.none() | st.text(),
    extra=json_objects,
)
conversations = st.builds(
    Conversation,
    id=st.text(min_size=1),
    messages=st.lists(messages, max_size=4).map(tuple),
    tags=st.lists(st.text(), max_size=3).map(tuple),
    metadata=json_objects,
    source=st.builds(Source, st.none() | st.text(), st.none() | st.integers(0, 10**6), st.none() | st.integers(1, 10**6),
                     st.none() | st.sampled_from(["openai", "sharegpt", "alpaca"]), json_objects),
    id_assigned=st.booleans(),
)


def _entity(c: Conversation) -> Entity:
    return Entity(None if c.id_assigned else c.id, c.id, Source(c.source.path, c.source.index, c.source.line))


@settings(max_examples=120, deadline=None)
@given(conversations)
def test_round_trip_is_lossless(conversation: Conversation) -> None:
    assert decode(encode(conversation), _entity(conversation)) == conversation


@settings(max_examples=40, deadline=None)
@given(conversations)
def test_encoding_is_canonical(conversation: Conversation) -> None:
    again = decode(encode(conversation), _entity(conversation))
    assert encode(again) == encode(conversation)
    assert content_hash(encode(again)) == content_hash(encode(conversation))


@settings(max_examples=60, deadline=None)
@given(conversations)
def test_one_pass_encoding_matches_encode_stats_and_facets(conversation: Conversation) -> None:
    assert encode_with_stats(conversation) == (encode(conversation), stats(conversation), facets(conversation))


def test_id_and_provenance_are_not_content() -> None:
    a = Conversation("a", (Message("user", "hi"),), source=Source("x.jsonl", 0, 1, "openai"))
    b = Conversation("b", (Message("user", "hi"),), source=Source("y.jsonl", 5, 9, "openai"))
    assert encode(a) == encode(b)


def test_whitespace_unicode_and_key_order_are_kept() -> None:
    text = "  Ça va?\u00a0\t\n\n  ロールプレイ  \r\n"
    c = Conversation("a", (Message("user", text, extra={"z": 1, "a": 2}),), tags=("café", "ロールプレイ"),
                     metadata={"zeta": [1, 2.5], "alpha": {"b": None, "a": True}})
    back = decode(encode(c), Entity("a", "a", Source()))
    assert back.messages[0].text == text
    assert list(back.messages[0].extra) == ["z", "a"]
    assert list(back.metadata) == ["zeta", "alpha"]
    assert back.tags == ("café", "ロールプレイ")


def test_integers_beyond_64_bits_fall_back_to_the_json_module() -> None:
    c = Conversation("a", (Message("user", "hi"),), metadata={"big": 2**80})
    body = encode(c)
    assert decode(body, Entity("a", "a", Source())).metadata == {"big": 2**80}
    assert orjson.loads(encode(Conversation("a", (Message("user", "hi"),))))["m"][0]["c"] == "hi"


def test_stats_text_columns_and_facets() -> None:
    c = Conversation("a", (Message("system", "S"), Message("user", "U", name="Ann"), Message("assistant", "A1"),
                           Message("tool", "T"), Message("assistant", "A2", name="Kai")), tags=("x",))
    assert stats(c).turns == 5 and stats(c).chars == 7 and stats(c).roles == 1 | 2 | 4 | 8
    assert text_columns(c) == ("S", "U", "A1\nA2", "T")
    assert facets(c) == [("n", "Ann"), ("n", "Kai"), ("t", "x")]
