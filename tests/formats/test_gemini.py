"""Gemini (Vertex AI tuning) records: contents of parts, function calls and responses, systemInstruction."""

from __future__ import annotations

import json

from tests.formats.test_tool_calls import OPENAI, SCHEMA
from threadsmith.formats import to_record
from threadsmith.model import Conversation

WEATHER = {
    "systemInstruction": {"role": "system", "parts": [{"text": "You are a weather bot."}]},
    "contents": [
        {"role": "user", "parts": [{"text": "Weather in Boston and Oslo?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Boston"}}},
                                    {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp": 20}}},
                                   {"functionResponse": {"name": "get_weather", "response": {"temp": 5}}}]},
        {"role": "model", "parts": [{"text": "20 in Boston, 5 in Oslo."}]}],
    "tools": [{"functionDeclarations": [SCHEMA]}],
}


def test_a_gemini_record_reads_as_calls_and_results_and_writes_back(read_one) -> None:
    conv = read_one(WEATHER)
    assert isinstance(conv, Conversation) and conv.source.format == "gemini"
    assert conv.roles() == ("system", "user", "assistant", "tool", "tool", "assistant")
    assert [c.name for c in conv.messages[2].tool_calls] == ["get_weather", "get_weather"]
    assert (conv.messages[3].name, json.loads(conv.messages[3].text)) == ("get_weather", {"temp": 20})
    assert to_record(conv) == WEATHER  # the two results share one content again
    openai = to_record(conv, "openai")
    assert [m.get("tool_call_id") for m in openai["messages"][3:5]] == ["call_2_0", "call_2_1"]
    assert openai["tools"] == [{"type": "function", "function": SCHEMA}]


def test_parts_that_are_not_text_are_kept(read_one) -> None:
    record = {"contents": [
        {"role": "user", "parts": [{"text": "What is in this picture?"},
                                   {"fileData": {"mimeType": "image/png", "fileUri": "gs://b/cat.png"}}]},
        {"role": "model", "parts": [{"text": "A cat."}]}]}
    conv = read_one(record)
    assert conv.messages[0].text == "What is in this picture?" and conv.messages[1].text == "A cat."
    assert to_record(conv) == record


def test_other_formats_write_gemini_with_function_declarations(read_one) -> None:
    record = to_record(read_one(OPENAI), "gemini")
    assert record["tools"] == [{"functionDeclarations": [SCHEMA]}]
    model = record["contents"][1]
    assert model == {"role": "model", "parts": [{"text": "Let me look."},
                                                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]}
    assert record["contents"][2] == {"role": "user", "parts": [{"functionResponse": {"name": "get_weather",
                                                                                    "response": {"temp": 18}}}]}
    again = read_one(record, "again.jsonl")
    assert again.roles() == ("user", "assistant", "tool", "assistant")


def test_tool_checks_read_gemini_definitions(tmp_path) -> None:
    from threadsmith.audit import audit

    bad = json.loads(json.dumps(WEATHER))
    bad["contents"][1]["parts"][1]["functionCall"]["name"] = "get_forecast"
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps(bad) + "\n")
    assert {f.code for f in audit([str(path)]).findings} == {"ST021"}
