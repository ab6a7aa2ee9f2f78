"""Records that keep their turns under other common keys: chat logs' ``conversation`` and TRL preference pairs."""

from __future__ import annotations

import orjson
import pytest

from threadsmith.formats import to_record
from threadsmith.model import Conversation, Message

HELLO = (Message("user", "Hi"), Message("assistant", "Hello!"))


def same_json(a: dict, b: dict) -> bool:
    return orjson.loads(orjson.dumps(a)) == b


@pytest.mark.parametrize("record, fmt", [
    ({"conversation": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
      "conversation_id": "c1", "model": "vicuna-13b"}, "openai"),
    ({"conversation": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]}, "sharegpt"),
], ids=["lmsys-roles", "sharegpt-turns"])
def test_a_conversation_list_is_read_and_written_back_under_its_key(read_one, record: dict, fmt: str) -> None:
    conv = read_one(record)
    assert isinstance(conv, Conversation) and conv.source.format == fmt and conv.messages == HELLO
    assert same_json(to_record(conv, fmt), record)
    assert list(to_record(conv, "openai" if fmt == "sharegpt" else "sharegpt"))[0] in ("messages", "conversations")


def test_a_conversation_key_that_is_not_a_message_list_is_not_a_conversation(read_one) -> None:
    for record in ({"conversation": "Hi there"}, {"conversation": []}, {"conversation": [{"text": "Hi"}]}):
        assert not isinstance(read_one(record), Conversation)


@pytest.mark.parametrize("record, messages", [
    ({"prompt": [{"role": "user", "content": "Hi"}], "chosen": [{"role": "assistant", "content": "Hello!"}],
      "rejected": [{"role": "assistant", "content": "Go away."}]}, HELLO),
    ({"prompt": "Hi", "chosen": "Hello!", "rejected": "Go away."}, HELLO),
    ({"chosen": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
      "rejected": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "No."}]}, HELLO),
], ids=["conversational", "standard", "implicit-prompt"])
def test_a_preference_pair_is_read_as_its_chosen_conversation(read_one, record: dict, messages: tuple) -> None:
    conv = read_one(record)
    assert isinstance(conv, Conversation) and conv.source.format == "trl" and conv.messages == messages
    assert conv.metadata["rejected"] == record["rejected"]  # kept, never audited or trained as a reply
    assert same_json(to_record(conv, "trl"), record)
    assert to_record(conv, "openai")["messages"] == [{"role": "user", "content": "Hi"},
                                                     {"role": "assistant", "content": "Hello!"}]


@pytest.mark.parametrize("system", ["You are terse.", [{"type": "text", "text": "You are terse."}]],
                         ids=["string", "anthropic-blocks"])
def test_a_top_level_system_is_the_first_message_and_goes_back_where_it_was(read_one, system) -> None:
    record = {"system": system, "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
    conv = read_one(record)
    assert conv.roles() == ("system", "user", "assistant") and conv.messages[0].text == "You are terse."
    assert "system" not in conv.metadata and same_json(to_record(conv), record)
    assert to_record(conv, "trl")["prompt"][0]["role"] == "system"  # a message of its own in other formats


def test_a_system_key_beside_a_system_message_stays_data(read_one) -> None:
    record = {"system": "Old prompt.", "messages": [{"role": "system", "content": "New prompt."},
                                                     {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}
    conv = read_one(record)
    assert [m.text for m in conv.messages if m.role == "system"] == ["New prompt."]
    assert conv.metadata == {"system": "Old prompt."} and same_json(to_record(conv), record)


def test_dolly_records_are_alpaca_with_their_own_keys(read_one) -> None:
    record = {"instruction": "Summarize the passage.", "context": "Virgin Australia commenced services in 2000.",
              "response": "It began flying in 2000.", "category": "summarization"}
    conv = read_one(record)
    assert conv.source.format == "alpaca" and conv.metadata == {"category": "summarization"}
    assert [m.text for m in conv.messages] == ["Summarize the passage.\n\nVirgin Australia commenced services in 2000.",
                                               "It began flying in 2000."]
    assert same_json(to_record(conv), record)
    assert set(to_record(conv, "alpaca")) == {"instruction", "context", "response", "category"}
    no_context = read_one({"instruction": "Name a colour.", "context": "", "response": "Teal."})
    assert same_json(to_record(no_context), {"instruction": "Name a colour.", "context": "", "response": "Teal."})


OPENAI_DPO = {"input": {"messages": [{"role": "user", "content": "Hi"}], "tools": [], "parallel_tool_calls": True},
              "preferred_output": [{"role": "assistant", "content": "Hello!"}],
              "non_preferred_output": [{"role": "assistant", "content": "What."}]}


def test_an_openai_preference_record_is_its_preferred_conversation(read_one) -> None:
    conv = read_one(OPENAI_DPO)
    assert conv.source.format == "openai-preference" and conv.messages == HELLO
    assert conv.metadata == {"non_preferred_output": OPENAI_DPO["non_preferred_output"]}
    assert same_json(to_record(conv), OPENAI_DPO)
    assert to_record(conv, "openai")["messages"] == [{"role": "user", "content": "Hi"},
                                                     {"role": "assistant", "content": "Hello!"}]


def test_a_conversation_without_a_second_answer_is_no_preference_record(read_one) -> None:
    from threadsmith.errors import UnsupportedConversion

    with pytest.raises(UnsupportedConversion, match="no non-preferred answer") as raised:
        to_record(read_one({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}),
                  "openai-preference")
    assert "openai" in raised.value.hint
