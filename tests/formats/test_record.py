"""What every format shares: record context, role resolution, the envelope (id, tags, metadata)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from threadsmith.formats import RecordContext, decode_record
from threadsmith.formats.record import describe, head, resolve_role, tail
from threadsmith.model import Conversation, Message, Source


@pytest.mark.parametrize(("path", "expected"), [
    (None, "record:3"), ("data.jsonl", "data:3"), ("/a/b/my.train.jsonl", "my.train:3"), ("d.jsonl.gz", "d:3"),
    ("C:\\x\\win.json", "win:3"), ("noext", "noext:3"), (".hidden.jsonl", ".hidden:3"), (".jsonl", ".jsonl:3"),
])
def test_assigned_id_is_stem_and_index(path, expected) -> None:
    assert RecordContext(path, 3).assigned_id() == expected


@pytest.mark.parametrize(("label", "role_map", "expected"), [
    ("user", {}, ("user", None, None)),
    ("Human", {}, ("user", "Human", None)),
    ("Kai", {}, ("Kai", None, None)),
    ("Kai", {"Kai": "assistant"}, ("assistant", "Kai", "Kai")),
    (" KAI ", {"kai": "assistant"}, ("assistant", " KAI ", " KAI ")),
    ("user", {"user": "assistant"}, ("user", None, None)),  # the table wins over configuration
])
def test_resolve_role(label, role_map, expected) -> None:
    assert resolve_role(label, RecordContext(role_map=role_map)) == expected


def test_integer_ids_are_written_back_as_integers() -> None:
    conv = decode_record({"id": 12, "messages": []}, RecordContext())
    assert conv.id == "12" and head(conv) == {"id": 12}
    assert head(replace(conv, id="renamed")) == {"id": "renamed"}
    assert head(decode_record({"id": "12", "messages": []}, RecordContext())) == {"id": "12"}


def test_tail_writes_tags_read_from_the_record_and_metadata() -> None:
    assert tail(decode_record({"messages": [], "tags": [], "k": 1}, RecordContext())) == {"tags": [], "k": 1}
    assert tail(decode_record({"messages": []}, RecordContext())) == {}
    assert tail(Conversation("x", (), tags=("a",))) == {"tags": ["a"]}


def test_describe_names_id_path_and_line() -> None:
    conv = Conversation("c-1", (Message("user", "a"),), source=Source("d.jsonl", 4, 5))
    assert describe(conv) == "'c-1' (d.jsonl line 5)"
    assert describe(Conversation("c-1", ())) == "'c-1'"
