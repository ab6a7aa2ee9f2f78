"""The plain ``Human:``/``Assistant:`` transcript reader."""

from __future__ import annotations

import pytest

from threadsmith.formats.transcript import split_turns
from threadsmith.model import Conversation, Message, ProblemKind

HH = "\n\nHuman: What is 2+2?\n\nAssistant: 4.\n\nHuman: And 3+3?\n\nAssistant: 6."


def test_rlhf_dump_chosen_field(read_one) -> None:
    conv = read_one({"chosen": HH, "rejected": "\n\nHuman: What is 2+2?\n\nAssistant: 5."})
    assert isinstance(conv, Conversation) and conv.source.format == "transcript"
    assert conv.messages == (
        Message("user", "What is 2+2?"), Message("assistant", "4."),
        Message("user", "And 3+3?"), Message("assistant", "6."),
    )
    assert conv.metadata == {"rejected": "\n\nHuman: What is 2+2?\n\nAssistant: 5."}
    assert conv.source.hints["text_key"] == "chosen"


@pytest.mark.parametrize("key", ["text", "chosen", "transcript"])
def test_text_keys(read_one, key) -> None:
    assert read_one({key: "User: Hi\nAssistant: Hello"}).roles() == ("user", "assistant")


def test_user_and_system_markers_keep_their_spelling(read_one) -> None:
    conv = read_one({"text": "System: Be kind.\nUser: Hi\nAssistant: Hello\nHuman: Bye"})
    assert conv.roles() == ("system", "user", "assistant", "user")
    assert [m.raw_role for m in conv.messages] == [None, "User", None, None]


def test_multiline_turns_and_indented_markers(read_one) -> None:
    conv = read_one({"text": "Human: line one\nline two\n  Assistant:  padded"})
    assert conv.messages == (Message("user", "line one\nline two"), Message("assistant", " padded"))


def test_crlf_line_ends_do_not_leak_into_content(read_one) -> None:
    conv = read_one({"text": "Human: Hi\r\n\r\nAssistant: Hello\r\n"})
    assert [m.content for m in conv.messages] == ["Hi", "Hello"]


def test_preamble_is_kept_in_hints(read_one) -> None:
    conv = read_one({"text": "A chat log.\n\nHuman: Hi\n\nAssistant: Hello"})
    assert conv.source.hints["preamble"] == "A chat log." and len(conv.messages) == 2


def test_later_text_key_is_used_when_an_earlier_one_is_no_transcript(read_one) -> None:
    conv = read_one({"text": "Assistant is a word", "chosen": "Human: Hi\nAssistant: Yo"})
    assert conv.source.hints["text_key"] == "chosen" and conv.metadata == {"text": "Assistant is a word"}


def test_ids_tags_and_source(read_records) -> None:
    items = read_records([{"text": HH}, {"id": "h1", "text": HH, "tags": ["hh"]}], "hh.jsonl")
    assert (items[0].id, items[0].id_assigned, items[1].id, items[1].tags) == ("hh:0", True, "h1", ("hh",))
    assert (items[1].source.index, items[1].source.line) == (1, 2)


@pytest.mark.parametrize("text", [
    "Human: Hi there",  # no assistant marker
    "Assistant: Hello",  # no user marker
    "The Human: and Assistant: words inline",  # markers must start a line
    "human: hi\nassistant: hello",  # markers are case-sensitive
])
def test_text_without_both_markers_is_unrecognized(read_one, text) -> None:
    assert read_one({"text": text}).kind is ProblemKind.UNRECOGNIZED


def test_split_turns_drops_text_before_the_first_marker() -> None:
    assert split_turns("intro\nHuman: a\nAssistant: b\n") == [("Human", "a"), ("Assistant", "b")]
