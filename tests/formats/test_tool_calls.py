"""Tool calls converted between OpenAI ``tool_calls`` and LLaMA-Factory's ShareGPT ``function_call`` turns."""

from __future__ import annotations

import json

import orjson

from threadsmith.formats import to_record

SCHEMA = {"name": "get_weather", "description": "Weather for a city",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
LLAMAFACTORY = {
    "conversations": [
        {"from": "human", "value": "Weather in Paris?"},
        {"from": "function_call", "value": '{"name": "get_weather", "arguments": {"city": "Paris"}}'},
        {"from": "observation", "value": '{"temp": 18}'},
        {"from": "gpt", "value": "18 degrees."}],
    "tools": json.dumps([SCHEMA]),
}
OPENAI = {
    "messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "Let me look.", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": '{"temp": 18}'},
        {"role": "assistant", "content": "18 degrees."}],
    "tools": [{"type": "function", "function": SCHEMA}],
}


def test_sharegpt_calls_become_openai_tool_calls(read_one) -> None:
    record = to_record(read_one(LLAMAFACTORY), "openai")
    call, result = record["messages"][1], record["messages"][2]
    assert call == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1_0", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]}
    assert result == {"role": "tool", "content": '{"temp": 18}', "tool_call_id": "call_1_0"}
    assert record["tools"] == [{"type": "function", "function": SCHEMA}]


def test_sharegpt_calls_become_trl_tool_calls(read_one) -> None:
    record = to_record(read_one(LLAMAFACTORY), "trl")
    assert record["prompt"][1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert record["completion"] == [{"role": "assistant", "content": "18 degrees."}]


def test_openai_calls_become_function_call_turns(read_one) -> None:
    record = to_record(read_one(OPENAI), "sharegpt")
    assert [t["from"] for t in record["conversations"]] == ["human", "gpt", "function_call", "observation", "gpt"]
    assert record["conversations"][1]["value"] == "Let me look."  # the words said with the call come first
    assert json.loads(record["conversations"][2]["value"]) == {"name": "get_weather", "arguments": {"city": "Paris"}}
    assert json.loads(record["tools"]) == [SCHEMA]  # LLaMA-Factory's column: a JSON string of plain schemas


def test_calls_survive_a_trip_through_the_other_format(read_one, tmp_path) -> None:
    there = read_one(to_record(read_one(LLAMAFACTORY), "openai"), "there.jsonl")
    back = to_record(there, "sharegpt")
    original = LLAMAFACTORY["conversations"]
    assert [(t["from"], t["value"]) for t in back["conversations"]] == [(t["from"], t["value"]) for t in original]
    assert json.loads(back["tools"]) == [SCHEMA]


def test_each_format_writes_its_own_calls_back_unchanged(read_one) -> None:
    for record, fmt in ((LLAMAFACTORY, "sharegpt"), (OPENAI, "openai")):
        assert orjson.loads(orjson.dumps(to_record(read_one(record), fmt))) == record
