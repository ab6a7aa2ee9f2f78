"""The ShareGPT ``conversations`` reader."""

from __future__ import annotations

import pytest

from threadsmith.model import Conversation, Message, ProblemKind, RecordProblem


def turns(*pairs: tuple[str, str], **extra: object) -> dict:
    return {"conversations": [{"from": f, "value": v} for f, v in pairs], **extra}


def test_conversations_key_is_detected_and_mapped(read_one) -> None:
    conv = read_one(turns(("system", "Be kind."), ("human", "Hi"), ("gpt", "Hello"), ("observation", "42")))
    assert isinstance(conv, Conversation) and conv.source.format == "sharegpt"
    assert conv.messages == (Message("system", "Be kind."), Message("user", "Hi"), Message("assistant", "Hello"),
                             Message("tool", "42"))


def test_native_spellings_have_no_raw_role_but_others_do(read_one) -> None:
    conv = read_one(turns(("human", "a"), ("gpt", "b"), ("user", "c"), ("assistant", "d"), ("Human", "e"), ("GPT", "f")))
    assert conv.roles() == ("user", "assistant") * 3
    assert [m.raw_role for m in conv.messages] == [None, None, "user", "assistant", "Human", "GPT"]


def test_custom_speakers_keep_their_label_as_name(read_one) -> None:
    conv = read_one(turns(("human", "Hi"), ("Kai", "*waves*")))
    kai = conv.messages[1]
    assert (kai.role, kai.name) == ("Kai", "Kai")


def test_role_map_maps_custom_speakers(read_one) -> None:
    conv = read_one(turns(("Mara", "Hi"), ("Kai", "*waves*")), role_map={"Kai": "assistant", "MARA": "user"})
    assert conv.roles() == ("user", "assistant")
    assert [(m.name, m.raw_role) for m in conv.messages] == [("Mara", "Mara"), ("Kai", "Kai")]


def test_top_level_system_key(read_one) -> None:
    conv = read_one(turns(("human", "Hi"), ("gpt", "Hello"), system="Be kind.", tools="[]"))
    assert conv.messages[0] == Message("system", "Be kind.")
    assert conv.metadata == {"tools": "[]"}
    assert conv.source.hints["system_key"] is True


def test_non_string_system_key_stays_metadata(read_one) -> None:
    conv = read_one(turns(("human", "Hi"), system=None))
    assert conv.roles() == ("user",) and conv.metadata == {"system": None}


def test_role_content_spelling_of_turns(read_one) -> None:
    conv = read_one({"conversations": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]})
    assert conv.roles() == ("user", "assistant") and conv.messages[1].content == "Yo"
    assert conv.source.hints["role_keys"] is True


def test_name_weight_and_unknown_turn_keys(read_one) -> None:
    conv = read_one({"conversations": [
        {"from": "human", "value": "Hi", "name": "ann", "lang": "en"},
        {"from": "gpt", "value": "Yo", "weight": 0, "loss": False},
    ]})
    assert conv.messages[0] == Message("user", "Hi", name="ann", extra={"lang": "en"})
    assert conv.messages[1] == Message("assistant", "Yo", weight=0, extra={"loss": False})


def test_unused_role_and_content_keys_are_kept(read_one) -> None:
    message = read_one({"conversations": [{"from": "human", "value": "Hi", "role": "x", "content": "y"}]}).messages[0]
    assert message.content == "Hi" and message.extra == {"role": "x", "content": "y"}


def test_ids_tags_metadata_and_source(read_records, tmp_path) -> None:
    items = read_records([turns(("human", "a")), turns(("human", "b"), id="s-1", tags=["t"], lang="de")], "sg.jsonl")
    assert (items[0].id, items[0].id_assigned) == ("sg:0", True)
    assert (items[1].id, items[1].tags, items[1].metadata) == ("s-1", ("t",), {"lang": "de"})
    source = items[1].source
    assert (source.path, source.index, source.line, source.format) == (str(tmp_path / "sg.jsonl"), 1, 2, "sharegpt")


@pytest.mark.parametrize(("record", "kind", "message_index"), [
    ({"conversations": "Hi"}, ProblemKind.MESSAGES_NOT_A_LIST, None),
    ({"conversations": [["human", "Hi"]]}, ProblemKind.INVALID_MESSAGE, 0),
    ({"conversations": [{"value": "Hi"}]}, ProblemKind.INVALID_MESSAGE, 0),
    ({"conversations": [{"from": "human", "value": "Hi", "weight": "1"}]}, ProblemKind.INVALID_MESSAGE, 0),
    ({"conversations": [{"from": "human", "value": 3}]}, ProblemKind.INVALID_CONTENT, 0),
    ({"system": "S", "conversations": [{"from": "human", "value": "a"}, 4]}, ProblemKind.INVALID_MESSAGE, 2),
])
def test_invalid_shapes(read_one, record, kind, message_index) -> None:
    problem = read_one(record)
    assert isinstance(problem, RecordProblem)
    assert (problem.kind, problem.message_index) == (kind, message_index)
    assert problem.detail.startswith("sharegpt record: ")
