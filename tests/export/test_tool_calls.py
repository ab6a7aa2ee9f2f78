"""Tool calls reach every trainer the way it reads them, from either dialect they were read in."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from tests.export.conftest import write_records
from tests.formats.test_tool_calls import LLAMAFACTORY, OPENAI, SCHEMA
from threadsmith.errors import UnsupportedConversion
from threadsmith.export import ExportOptions, export, file_source
from threadsmith.export.records import BUILDERS
from threadsmith.formats import read_file

#: The OpenAI record without the words said with its call (LLaMA-Factory cannot hold both).
OPENAI_CALL_ONLY = {**OPENAI, "messages": [OPENAI["messages"][0], {**OPENAI["messages"][1], "content": None},
                                           *OPENAI["messages"][2:]]}


def conversation(record: dict, tmp_path: Path):
    return next(iter(read_file(write_records(tmp_path / "one.jsonl", [record]))))


@pytest.mark.parametrize("record", [LLAMAFACTORY, OPENAI], ids=["sharegpt", "openai"])
def test_openai_target_writes_tool_calls_with_paired_ids(record: dict, tmp_path: Path) -> None:
    out = BUILDERS["openai"](conversation(record, tmp_path))
    call = next(m for m in out["messages"] if "tool_calls" in m)
    result = next(m for m in out["messages"] if m["role"] == "tool")
    function = call["tool_calls"][0]["function"]
    assert (function["name"], json.loads(function["arguments"])) == ("get_weather", {"city": "Paris"})
    assert isinstance(function["arguments"], str) and result["tool_call_id"] == call["tool_calls"][0]["id"]
    assert not any(m["role"] == "assistant" and "get_weather" in (m["content"] or "") for m in out["messages"])
    assert out["tools"] == [{"type": "function", "function": SCHEMA}]


@pytest.mark.parametrize("target", ["trl", "trl-prompt-completion", "axolotl"])
@pytest.mark.parametrize("record", [LLAMAFACTORY, OPENAI], ids=["sharegpt", "openai"])
def test_chat_template_targets_write_arguments_as_objects(target: str, record: dict, tmp_path: Path) -> None:
    out = BUILDERS[target](conversation(record, tmp_path))
    messages = out.get("messages") or out["prompt"] + out["completion"]
    call = next(m for m in messages if "tool_calls" in m)
    assert call["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": {"city": "Paris"}}
    assert call["tool_calls"][0]["type"] == "function"
    assert out["tools"] == [{"type": "function", "function": SCHEMA}]


@pytest.mark.parametrize("record", [LLAMAFACTORY, OPENAI_CALL_ONLY], ids=["sharegpt", "openai"])
def test_llamafactory_target_writes_function_call_turns(record: dict, tmp_path: Path) -> None:
    out = BUILDERS["llamafactory"](conversation(record, tmp_path))
    assert [t["from"] for t in out["conversations"]] == ["human", "function_call", "observation", "gpt"]
    # arguments an object, as LLaMA-Factory's FunctionFormatter json.dumps() them again
    assert json.loads(out["conversations"][1]["value"]) == {"name": "get_weather", "arguments": {"city": "Paris"}}
    assert json.loads(out["tools"]) == [SCHEMA]


def test_llamafactory_refuses_words_said_with_a_call(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedConversion, match="says words and calls a tool"):
        BUILDERS["llamafactory"](conversation(OPENAI, tmp_path))
    out = BUILDERS["sharegpt"](conversation(OPENAI, tmp_path))  # plain ShareGPT keeps them as a turn before
    assert [t["from"] for t in out["conversations"]] == ["human", "gpt", "function_call", "observation", "gpt"]


def test_hf_refuses_tool_calls_rather_than_drop_them(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedConversion, match="calls tools; the hf Parquet rows hold role and content only") as raised:
        BUILDERS["hf"](conversation(OPENAI, tmp_path))
    assert "trl or axolotl" in raised.value.hint


def test_llamafactory_dataset_info_names_the_tools_column(tmp_path: Path) -> None:
    source = write_records(tmp_path / "tools.jsonl", [LLAMAFACTORY])
    export(file_source(source), tmp_path / "out", ExportOptions(target="llamafactory", name="tools"))
    info = json.loads((tmp_path / "out" / "dataset_info.json").read_text())
    assert info["tools_train"]["columns"] == {"messages": "conversations", "system": "system", "tools": "tools"}
    row = orjson.loads((tmp_path / "out" / "train.jsonl").read_bytes())
    assert json.loads(row["tools"]) == [SCHEMA]
    plain = write_records(tmp_path / "plain.jsonl", [{"messages": [{"role": "user", "content": "Hi"},
                                                                   {"role": "assistant", "content": "Hello."}]}])
    export(file_source(plain), tmp_path / "plain", ExportOptions(target="llamafactory", name="plain"))
    assert "tools" not in json.loads((tmp_path / "plain" / "dataset_info.json").read_text())["plain_train"]["columns"]


def test_the_token_estimate_counts_calls_and_tool_definitions(tmp_path: Path) -> None:
    from threadsmith.export.tokens import estimate_counts

    with_tools = conversation(OPENAI, tmp_path)
    bare = conversation({"messages": [m if "tool_calls" not in m else {**m, "tool_calls": None}
                                      for m in OPENAI["messages"]]}, tmp_path)
    (total, trained), (bare_total, bare_trained) = estimate_counts([with_tools, bare])
    words = len("Let me look.")
    with_call = words + len("get_weather") + len('{"city": "Paris"}')
    tools = len(orjson.dumps(OPENAI["tools"]))
    assert total - bare_total == (-(-with_call // 4) - -(-words // 4)) + -(-tools // 4)
    assert trained - bare_trained == -(-with_call // 4) - -(-words // 4)  # the call is trained like its words


def test_llamafactory_gathers_parallel_results_into_one_observation(tmp_path: Path) -> None:
    record = {"messages": [
        {"role": "user", "content": "Weather in Oslo and Rome?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}},
            {"id": "b", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Rome"}'}}]},
        {"role": "tool", "tool_call_id": "a", "content": '{"sky": "rain"}'},
        {"role": "tool", "tool_call_id": "b", "content": "sunny"},
        {"role": "assistant", "content": "Rain in Oslo, sun in Rome."}]}
    out = BUILDERS["llamafactory"](conversation(record, tmp_path))
    assert [t["from"] for t in out["conversations"]] == ["human", "function_call", "observation", "gpt"]
    assert len(json.loads(out["conversations"][1]["value"])) == 2
    # as LLaMA-Factory 0.9.5's OpenAIDatasetConverter joins tool responses
    assert out["conversations"][2]["value"] == '{"sky": "rain"}\n</tool_response>\n<tool_response>\nsunny'


def test_openai_refuses_a_tool_result_without_its_call_and_keeps_a_final_call(tmp_path: Path) -> None:
    orphan = {"messages": [{"role": "user", "content": "Weather?"}, {"role": "tool", "content": "rain"},
                           {"role": "assistant", "content": "It rains."}]}
    with pytest.raises(UnsupportedConversion, match=r"tool result \(message 1\) that answers no tool call") as raised:
        BUILDERS["openai"](conversation(orphan, tmp_path))
    assert "--drop-code ST015" in raised.value.hint
    ends_on_call = {"messages": [{"role": "user", "content": "Weather in Oslo?"}, {"role": "assistant", "content": None,
                    "tool_calls": [{"id": "c", "type": "function", "function": {"name": "weather", "arguments": "{}"}}]}]}
    out = BUILDERS["openai"](conversation(ends_on_call, tmp_path))  # teaches when to call: OpenAI's own example shape
    assert out["messages"][-1]["tool_calls"][0]["id"] == "c"
