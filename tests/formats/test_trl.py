"""The TRL ``prompt``/``completion`` reader (standard and conversational shapes)."""

from __future__ import annotations

import pytest

from threadsmith.model import Conversation, Message, ProblemKind, RecordProblem


def test_standard_shape(read_one) -> None:
    conv = read_one({"prompt": "The sky is", "completion": " blue."})
    assert isinstance(conv, Conversation) and conv.source.format == "trl"
    assert conv.messages == (Message("user", "The sky is"), Message("assistant", " blue."))
    assert conv.source.hints["style"] == "standard"


def test_conversational_shape(read_one) -> None:
    conv = read_one({
        "prompt": [{"role": "system", "content": "S"}, {"role": "USER", "content": "Hi", "name": "ann"}],
        "completion": [{"role": "assistant", "content": "Hello", "weight": 1, "note": "x"}],
    })
    assert conv.roles() == ("system", "user", "assistant")
    assert conv.messages[1] == Message("user", "Hi", name="ann", raw_role="USER")
    assert conv.messages[2].extra == {"note": "x"} and conv.messages[2].weight == 1
    assert conv.source.hints["style"] == "conversational" and conv.source.hints["prompt_length"] == 2


def test_role_map_applies_to_messages(read_one) -> None:
    conv = read_one({"prompt": [{"role": "Mara", "content": "Hi"}], "completion": [{"role": "Kai", "content": "Yo"}]},
                    role_map={"Mara": "user", "Kai": "assistant"})
    assert conv.roles() == ("user", "assistant") and conv.messages[1].name == "Kai"


def test_ids_tags_metadata_and_source(read_records, tmp_path) -> None:
    items = read_records([{"prompt": "a", "completion": "b"},
                          {"id": "t1", "prompt": "a", "completion": "b", "tags": ["x"], "label": True}], "trl.jsonl")
    assert (items[0].id, items[0].id_assigned) == ("trl:0", True)
    assert (items[1].id, items[1].tags, items[1].metadata) == ("t1", ("x",), {"label": True})
    assert (items[1].source.path, items[1].source.index, items[1].source.line) == (str(tmp_path / "trl.jsonl"), 1, 2)


def test_preference_records_keep_extra_keys(read_one) -> None:
    conv = read_one({"prompt": "q", "completion": "a", "rejected": "b"})
    assert conv.metadata == {"rejected": "b"}


@pytest.mark.parametrize(("record", "kind", "message_index"), [
    ({"prompt": "q", "completion": [{"role": "assistant", "content": "a"}]}, ProblemKind.MESSAGES_NOT_A_LIST, None),
    ({"prompt": 1, "completion": "a"}, ProblemKind.MESSAGES_NOT_A_LIST, None),
    ({"prompt": [{"role": "user", "content": "q"}], "completion": ["a"]}, ProblemKind.INVALID_MESSAGE, 1),
    ({"prompt": [{"role": "user", "content": 2}], "completion": []}, ProblemKind.INVALID_CONTENT, 0),
])
def test_invalid_shapes(read_one, record, kind, message_index) -> None:
    problem = read_one(record)
    assert isinstance(problem, RecordProblem)
    assert (problem.kind, problem.message_index) == (kind, message_index)
    assert problem.detail.startswith("trl record: ")


def test_prompt_without_completion_is_not_trl(read_one) -> None:
    assert read_one({"prompt": "q", "response": "a"}).kind is ProblemKind.UNRECOGNIZED
