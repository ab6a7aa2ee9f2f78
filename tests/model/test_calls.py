"""Tool calls in both dialects (OpenAI ``tool_calls``, ShareGPT ``function_call`` turns) and their pairing."""

from __future__ import annotations

import json

from threadsmith.model import FUNCTION_CALL, Message, ToolCall, message_calls, with_call_ids
from threadsmith.model.calls import arguments_object, arguments_text, function_call_value, parse_function_call

WEATHER = '{"name": "get_weather", "arguments": {"city": "Paris"}}'


def call_turn(value: str = WEATHER) -> Message:
    return Message("assistant", value, raw_role=FUNCTION_CALL)


def test_a_function_call_value_holds_one_call_or_a_list() -> None:
    assert parse_function_call(WEATHER) == (ToolCall(None, "get_weather", '{"city": "Paris"}'),)
    two = parse_function_call('[{"name": "a", "arguments": {}}, {"name": "b", "arguments": "{\\"x\\": 1}"}]')
    assert [(c.name, c.arguments) for c in two] == [("a", "{}"), ("b", '{"x": 1}')]


def test_a_value_that_is_not_a_call_holds_none() -> None:
    for value in ("not json", "[]", '{"arguments": {}}', '[{"name": "a"}, 3]', '"just text"'):
        assert parse_function_call(value) == ()


def test_message_calls_reads_either_dialect() -> None:
    openai = Message("assistant", "", tool_calls=(ToolCall("c1", "f", "{}"),))
    assert message_calls(openai) == openai.tool_calls
    assert message_calls(call_turn())[0].name == "get_weather"
    assert message_calls(Message("assistant", WEATHER)) == ()  # a reply that quotes JSON is not a call


def test_arguments_as_text_and_as_object() -> None:
    assert arguments_text({"city": "Zürich"}) == '{"city": "Zürich"}' and arguments_text('{"a": 1}') == '{"a": 1}'
    assert arguments_object('{"a": 1}') == {"a": 1}
    assert arguments_object("not json") == "not json" and arguments_object("[1, 2]") == "[1, 2]"
    assert arguments_object({"a": 1}) == {"a": 1}


def test_function_call_value_round_trips() -> None:
    calls = parse_function_call(WEATHER)
    assert json.loads(function_call_value(calls)) == json.loads(WEATHER)
    pair = (ToolCall("x", "a", '{"n": 1}'), ToolCall(None, "b", "{}"))
    assert json.loads(function_call_value(pair)) == [{"name": "a", "arguments": {"n": 1}}, {"name": "b", "arguments": {}}]


def test_with_call_ids_turns_function_calls_into_calls_and_pairs_results() -> None:
    messages = (Message("user", "Weather in Paris and Rome?"), call_turn('[{"name": "w", "arguments": {"c": "Paris"}}, '
                                                                        '{"name": "w", "arguments": {"c": "Rome"}}]'),
                Message("tool", "18", raw_role="observation"), Message("tool", "25", raw_role="observation"),
                Message("assistant", "18 and 25."))
    out = with_call_ids(messages, assign_ids=True)
    call = out[1]
    assert (call.role, call.content, call.raw_role) == ("assistant", "", None)
    assert [c.id for c in call.tool_calls] == ["call_1_0", "call_1_1"]
    assert [out[2].tool_call_id, out[3].tool_call_id] == ["call_1_0", "call_1_1"]
    assert out[0] is messages[0] and out[4] is messages[4]
    assert with_call_ids(messages, assign_ids=False)[1].tool_calls[0].id is None


def test_with_call_ids_keeps_the_ids_the_data_has() -> None:
    extra = {"id": "c7", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = (Message("assistant", "", tool_calls=(ToolCall("c7", "f", "{}", extra), ToolCall(None, "g", "{}", {"function": {}}))),
                Message("tool", "a", tool_call_id="c7"), Message("tool", "b", tool_call_id=None))
    out = with_call_ids(messages, assign_ids=True)
    assert [c.id for c in out[0].tool_calls] == ["c7", "call_0_1"]
    assert out[0].tool_calls[1].extra["id"] == "call_0_1"  # writers that copy the call's object see the id
    assert (out[1].tool_call_id, out[2].tool_call_id) == ("c7", "call_0_1")  # its own id, then the one unanswered
    assert with_call_ids(messages, assign_ids=False) == messages


def test_an_unreadable_function_call_stays_text() -> None:
    broken = call_turn("get_weather(Paris)")
    assert with_call_ids((broken,), assign_ids=True) == (broken,)
