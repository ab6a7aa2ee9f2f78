"""The OpenAI / ChatML ``messages`` reader."""

from __future__ import annotations

import pytest

from tests.conftest import DIRTY_FIXTURE, chat
from threadsmith.formats import read_file
from threadsmith.model import ContentPart, Conversation, Message, ProblemKind, RecordProblem, Source, ToolCall


def test_messages_key_is_detected_and_mapped(read_one) -> None:
    conv = read_one(chat(("system", "Be brief."), ("user", "Hi"), ("assistant", "Hello")))
    assert isinstance(conv, Conversation)
    assert conv.source.format == "openai"
    assert conv.messages == (Message("system", "Be brief."), Message("user", "Hi"), Message("assistant", "Hello"))


def test_messages_wins_over_conversations(read_one) -> None:
    conv = read_one({"messages": [{"role": "user", "content": "a"}], "conversations": [{"from": "gpt", "value": "b"}]})
    assert conv.source.format == "openai"
    assert conv.metadata == {"conversations": [{"from": "gpt", "value": "b"}]}


def test_every_message_field(read_one) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\": 1}"}}
    conv = read_one({"messages": [
        {"role": "user", "content": "Look it up", "name": "ann", "weight": 0},
        {"role": "assistant", "content": None, "tool_calls": [call], "weight": 1.0},
        {"role": "tool", "content": "42", "tool_call_id": "call_1"},
    ]})
    user, assistant, tool = conv.messages
    assert (user.name, user.weight) == ("ann", 0)
    assert assistant.content == "" and assistant.weight == 1.0
    assert assistant.tool_calls == (ToolCall("call_1", "lookup", "{\"q\": 1}", call),)
    assert tool.tool_call_id == "call_1" and tool.role == "tool"


def test_content_parts(read_one) -> None:
    parts = [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": "x.png"}}]
    message = read_one({"messages": [{"role": "user", "content": parts}]}).messages[0]
    assert message.content == (ContentPart("text", "What is this?"), ContentPart("image_url", None, {"image_url": {"url": "x.png"}}))
    assert message.text == "What is this?"


def test_non_string_text_of_a_non_text_part_is_kept(read_one) -> None:
    part = read_one({"messages": [{"role": "user", "content": [{"type": "image", "text": 5}]}]}).messages[0].content[0]
    assert part == ContentPart("image", None, {"text": 5})


@pytest.mark.parametrize(("value", "expected"), [("conv-1", "conv-1"), (17, "17")])
def test_own_id_is_kept(read_one, value, expected) -> None:
    conv = read_one(chat(("user", "a"), id=value))
    assert (conv.id, conv.id_assigned) == (expected, False)
    assert "id" not in conv.metadata


@pytest.mark.parametrize("value", ["", None, True, 1.5, ["x"]])
def test_unusable_id_is_assigned_and_the_value_kept(read_records, value) -> None:
    items = read_records([chat(("user", "a")), chat(("user", "b"), id=value)], "my.train.jsonl")
    assert [c.id for c in items] == ["my.train:0", "my.train:1"]
    assert items[1].id_assigned and items[1].metadata == {"id": value}


def test_tags(read_records) -> None:
    items = read_records([chat(("user", "a"), tags=["x", ""]), chat(("user", "b"), tags=[]),
                          chat(("user", "c")), chat(("user", "d"), tags=[1, "y"]), chat(("user", "e"), tags="x")])
    assert [c.tags for c in items] == [("x", ""), (), (), (), ()]
    assert [c.source.hints["tags_key"] for c in items] == [True, True, False, False, False]
    assert items[3].metadata == {"tags": [1, "y"]} and items[4].metadata == {"tags": "x"}


def test_unknown_keys_are_kept(read_one) -> None:
    conv = read_one({"messages": [{"role": "user", "content": "a", "lang": "en"}, {"role": "assistant", "meta": 1}],
                     "source": "web", "score": 0.5})
    assert conv.metadata == {"source": "web", "score": 0.5}
    assert conv.messages[0].extra == {"lang": "en"}
    assert conv.messages[1].extra == {"meta": 1}  # a message with one unknown key keeps it too


@pytest.mark.parametrize(("label", "role", "raw"), [
    ("user", "user", None), ("USER", "user", "USER"), (" user ", "user", " user "), ("human", "user", "human"),
    ("gpt", "assistant", "gpt"), ("GPT", "assistant", "GPT"), ("Bot", "assistant", "Bot"), ("model", "assistant", "model"),
    ("developer", "system", "developer"), ("function", "tool", "function"), ("Narrator", "Narrator", None),
])
def test_role_spellings_go_through_the_table(read_one, label, role, raw) -> None:
    message = read_one({"messages": [{"role": label, "content": "x"}]}).messages[0]
    assert (message.role, message.raw_role) == (role, raw)


def test_role_map_maps_custom_speakers(read_one) -> None:
    record = {"messages": [{"role": "user", "content": "Hi"}, {"role": "Kai", "content": "Yo"}]}
    message = read_one(record, role_map={"kai": "assistant"}).messages[1]
    assert (message.role, message.raw_role, message.name) == ("assistant", "Kai", "Kai")
    assert read_one(record).messages[1].role == "Kai"


def test_source_provenance(read_records, tmp_path) -> None:
    items = read_records([chat(("user", "a")), "", chat(("user", "b"))], "d.jsonl")
    assert items[1].source == Source(str(tmp_path / "d.jsonl"), 1, 3, "openai", items[1].source.hints)


@pytest.mark.parametrize(("record", "kind", "message_index"), [
    ({"messages": "hi"}, ProblemKind.MESSAGES_NOT_A_LIST, None),
    ({"messages": {"role": "user"}}, ProblemKind.MESSAGES_NOT_A_LIST, None),
    ({"messages": [{"role": "user", "content": "a"}, "hi"]}, ProblemKind.INVALID_MESSAGE, 1),
    ({"messages": [{"content": "a"}]}, ProblemKind.INVALID_MESSAGE, 0),
    ({"messages": [{"role": 3, "content": "a"}]}, ProblemKind.INVALID_MESSAGE, 0),
    ({"messages": [{"role": "user", "content": "a", "weight": "1"}]}, ProblemKind.INVALID_MESSAGE, 0),
    ({"messages": [{"role": "user", "content": "a", "weight": True}]}, ProblemKind.INVALID_MESSAGE, 0),
    ({"messages": [{"role": "assistant", "tool_calls": {"name": "f"}}]}, ProblemKind.INVALID_MESSAGE, 0),
    ({"messages": [{"role": "assistant", "tool_calls": [{"function": {}}]}]}, ProblemKind.INVALID_MESSAGE, 0),
    ({"messages": [{"role": "assistant", "tool_calls": ["f"]}]}, ProblemKind.INVALID_MESSAGE, 0),
    ({"messages": [{"role": "user", "content": 5}]}, ProblemKind.INVALID_CONTENT, 0),
    ({"messages": [{"role": "user", "content": {"text": "a"}}]}, ProblemKind.INVALID_CONTENT, 0),
    ({"messages": [{"role": "user", "content": ["a"]}]}, ProblemKind.INVALID_CONTENT, 0),
    ({"messages": [{"role": "user", "content": [{"type": "text"}]}]}, ProblemKind.INVALID_CONTENT, 0),
])
def test_invalid_shapes(read_one, record, kind, message_index) -> None:
    problem = read_one({"id": "r9", **record})
    assert isinstance(problem, RecordProblem)
    assert (problem.kind, problem.message_index, problem.record_id, problem.line) == (kind, message_index, "r9", 1)
    assert problem.detail.startswith("openai record: ")


def test_dirty_fixture_loads_completely(tmp_path) -> None:
    path = tmp_path / "02_dirty_auto_fixable.jsonl"
    path.write_text(DIRTY_FIXTURE, encoding="utf-8")
    items = list(read_file(path))
    assert len(items) == 6 and all(isinstance(c, Conversation) for c in items)
    assert [c.roles() for c in items[:5]] == [("system", "user", "assistant")] * 5
    assert items[5].roles() == ("assistant", "user", "assistant")  # GPT first is still an assistant
    assert [m.raw_role for m in items[1].messages] == ["SYSTEM", "USER", "ASSISTANT"]
    assert [m.raw_role for m in items[2].messages] == [None, "human", "gpt"]
    assert [m.raw_role for m in items[5].messages] == ["GPT", "USER", "Bot"]
    assert [m.content for m in items[3].messages] == [" System ", " Hi ", " Hello "]
    assert [c.tags for c in items] == [("",)] * 4 + [()] * 2
    assert [c.source.line for c in items] == [1, 2, 3, 4, 5, 6]
