"""The Alpaca ``instruction``/``input``/``output`` reader."""

from __future__ import annotations

import pytest

from threadsmith.model import Conversation, Message, ProblemKind, RecordProblem


def test_instruction_and_output_are_detected(read_one) -> None:
    conv = read_one({"instruction": "Add 2 and 2.", "output": "4"})
    assert isinstance(conv, Conversation) and conv.source.format == "alpaca"
    assert conv.messages == (Message("user", "Add 2 and 2."), Message("assistant", "4"))


def test_input_follows_the_instruction_after_a_blank_line(read_one) -> None:
    conv = read_one({"instruction": "Translate.", "input": "Hallo", "output": "Hello"})
    assert conv.messages[0] == Message("user", "Translate.\n\nHallo")
    assert conv.source.hints["instruction"] == "Translate." and conv.source.hints["input"] == "Hallo"


def test_empty_input_adds_nothing(read_one) -> None:
    assert read_one({"instruction": "Say hi.", "input": "", "output": "hi"}).messages[0].content == "Say hi."


def test_system_and_history(read_one) -> None:
    conv = read_one({"system": "Be terse.", "history": [["q1", "a1"], ["q2", "a2"]], "instruction": "q3", "output": "a3"})
    assert conv.messages == (
        Message("system", "Be terse."), Message("user", "q1"), Message("assistant", "a1"),
        Message("user", "q2"), Message("assistant", "a2"), Message("user", "q3"), Message("assistant", "a3"),
    )


def test_empty_system_is_no_message(read_one) -> None:
    conv = read_one({"system": "", "instruction": "q", "output": "a"})
    assert conv.roles() == ("user", "assistant") and conv.source.hints["system_key"] is True


def test_null_fields_read_as_empty(read_one) -> None:
    assert read_one({"instruction": "q", "input": None, "output": None}).messages[1].content == ""


def test_ids_tags_metadata_and_no_raw_roles(read_records) -> None:
    items = read_records([{"instruction": "q", "output": "a"},
                          {"id": 7, "instruction": "q", "output": "a", "tags": ["math"], "category": "arith"}], "al.json")
    assert (items[0].id, items[0].id_assigned) == ("al:0", True)
    assert (items[1].id, items[1].tags, items[1].metadata) == ("7", ("math",), {"category": "arith"})
    assert (items[1].source.index, items[1].source.line) == (1, 2)
    assert all(m.raw_role is None for c in items for m in c.messages)


@pytest.mark.parametrize(("record", "kind"), [
    ({"instruction": ["q"], "output": "a"}, ProblemKind.INVALID_CONTENT),
    ({"instruction": "q", "input": 3, "output": "a"}, ProblemKind.INVALID_CONTENT),
    ({"instruction": "q", "output": {"text": "a"}}, ProblemKind.INVALID_CONTENT),
    ({"instruction": "q", "output": "a", "system": 1}, ProblemKind.INVALID_CONTENT),
    ({"instruction": "q", "output": "a", "history": "q0"}, ProblemKind.MESSAGES_NOT_A_LIST),
    ({"instruction": "q", "output": "a", "history": [["q0"]]}, ProblemKind.INVALID_MESSAGE),
    ({"instruction": "q", "output": "a", "history": [["q0", 1]]}, ProblemKind.INVALID_MESSAGE),
])
def test_invalid_shapes(read_one, record, kind) -> None:
    problem = read_one({"id": "a1", **record})
    assert isinstance(problem, RecordProblem)
    assert (problem.kind, problem.record_id) == (kind, "a1")
    assert problem.detail.startswith("alpaca record: ")


def test_instruction_without_output_is_not_alpaca(read_one) -> None:
    problem = read_one({"instruction": "q", "answer": "a"})  # (Dolly's "response" is read: test_aliases.py)
    assert problem.kind is ProblemKind.UNRECOGNIZED and "answer, instruction" in problem.detail
