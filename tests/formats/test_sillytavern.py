"""The SillyTavern chat reader: a header line, then one message per line."""

from __future__ import annotations

import gzip
import random

import orjson

from threadsmith.formats import read_file
from threadsmith.model import Conversation, Message, ProblemKind, RecordProblem

HEADER = {"user_name": "You", "character_name": "Kai", "create_date": "2024-5-1", "chat_metadata": {"note": "x"}}


def lines(*messages: dict) -> list:
    return [HEADER, *messages]


def test_chat_file_is_one_conversation(read_records, tmp_path) -> None:
    items = read_records(lines(
        {"name": "You", "is_user": True, "is_system": False, "mes": "Hi", "send_date": "d1"},
        {"name": "Kai", "is_user": False, "is_system": False, "mes": "*waves*", "swipes": ["*waves*", "Yo"]},
        {"name": "Narrator", "is_user": False, "is_system": True, "mes": "Night falls."},
    ), "Kai - 2024.jsonl")
    assert len(items) == 1
    conv = items[0]
    assert isinstance(conv, Conversation) and conv.source.format == "sillytavern"
    assert conv.messages == (
        Message("user", "Hi", name="You", extra={"send_date": "d1"}),
        Message("assistant", "*waves*", name="Kai", extra={"swipes": ["*waves*", "Yo"]}),
        Message("system", "Night falls.", name="Narrator"),
    )
    assert conv.metadata == HEADER
    assert (conv.id, conv.id_assigned) == ("Kai - 2024:0", True)
    assert (conv.source.path, conv.source.index, conv.source.line) == (str(tmp_path / "Kai - 2024.jsonl"), 0, 1)


def test_chat_id_hash_is_the_id(read_records) -> None:
    header = {**HEADER, "chat_metadata": {"chat_id_hash": 123}}
    conv = read_records([header, {"name": "You", "is_user": True, "mes": "Hi"}])[0]
    assert conv.id == "123"


def test_header_only_is_an_empty_chat(read_records) -> None:
    conv = read_records([HEADER])[0]
    assert isinstance(conv, Conversation) and conv.messages == ()


def test_bad_message_lines_are_problems_and_the_chat_keeps_the_rest(read_records) -> None:
    items = read_records(lines(
        {"name": "You", "is_user": True, "mes": "Hi"},
        {"name": "Kai", "is_user": False, "mes": 3},
        "",
        "{not json",
        {"name": "Kai", "is_user": False, "mes": "Yo"},
    ))
    problems, conv = items[:-1], items[-1]
    assert [(p.kind, p.line) for p in problems] == [(ProblemKind.INVALID_MESSAGE, 3), (ProblemKind.UNPARSEABLE, 5)]
    assert all(isinstance(p, RecordProblem) and p.index == 0 for p in problems)
    assert problems[1].column == 2
    assert [m.content for m in conv.messages] == ["Hi", "Yo"]


def test_missing_or_odd_name_is_kept(read_records) -> None:
    conv = read_records(lines({"is_user": True, "mes": "Hi"}, {"name": None, "mes": "Yo"}))[0]
    assert conv.messages[0].name is None and conv.messages[1].extra == {"name": None}


def test_header_after_the_first_record_is_just_unrecognized(read_records) -> None:
    items = read_records([{"messages": []}, HEADER])
    assert items[1].kind is ProblemKind.UNRECOGNIZED


def test_truncated_gzip_chat_keeps_the_lines_before(tmp_path) -> None:
    rng = random.Random(2)
    body = [{"name": "Kai", "is_user": False, "mes": rng.randbytes(30).hex()} for _ in range(2000)]
    packed = gzip.compress(b"".join(orjson.dumps(line) + b"\n" for line in [HEADER, *body]))
    path = tmp_path / "chat.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    problem, conv = list(read_file(path))
    assert problem.kind is ProblemKind.UNPARSEABLE and "damaged" in problem.detail
    assert problem.line == len(conv.messages) + 2 and len(conv.messages) > 100
