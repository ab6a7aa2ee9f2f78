"""Writers: the shape of each format's records, format-keeping defaults, and atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from tests.conftest import chat
from threadsmith.errors import UnknownFormat, UnsupportedConversion, UserError
from threadsmith.formats import WRITE_FORMATS, RecordContext, decode_record, dumps, read_file, to_record, write_jsonl
from threadsmith.model import Conversation, Message, Source

CONV = Conversation(
    "c1",
    (Message("system", "Be brief."), Message("user", "Hi", name="ann"), Message("assistant", "Hello", weight=1)),
    tags=("t",),
    metadata={"src": "x"},
)


def written(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def read_back(path: Path) -> list:
    return list(read_file(path))


def _read_record(record: dict) -> Conversation:
    return decode_record(record, RecordContext("in.jsonl", 0, 1))


def test_write_formats() -> None:
    assert WRITE_FORMATS == ("openai", "sharegpt", "alpaca", "trl", "openai-preference", "gemini", "rendered", "transcript", "sillytavern")


GOLDEN = {
    "openai": {"id": "c1", "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "name": "ann", "content": "Hi"},
        {"role": "assistant", "content": "Hello", "weight": 1},
    ], "tags": ["t"], "src": "x"},
    "sharegpt": {"id": "c1", "conversations": [
        {"from": "system", "value": "Be brief."},
        {"from": "human", "value": "Hi", "name": "ann"},
        {"from": "gpt", "value": "Hello", "weight": 1},
    ], "tags": ["t"], "src": "x"},
    "alpaca": {"id": "c1", "instruction": "Hi", "input": "", "output": "Hello", "system": "Be brief.", "tags": ["t"], "src": "x"},
    "trl": {"id": "c1", "prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "name": "ann", "content": "Hi"}],
            "completion": [{"role": "assistant", "content": "Hello", "weight": 1}], "tags": ["t"], "src": "x"},
    "transcript": {"id": "c1", "text": "\n\nSystem: Be brief.\n\nHuman: Hi\n\nAssistant: Hello", "tags": ["t"], "src": "x"},
}


@pytest.mark.parametrize("fmt", list(GOLDEN))
def test_golden_record_shapes(tmp_path, fmt) -> None:
    path = tmp_path / "out.jsonl"
    result = write_jsonl([CONV], path, fmt)
    assert (result.path, result.records) == (str(path), 1)
    assert written(path) == [GOLDEN[fmt]]
    assert list(written(path)[0]) == list(GOLDEN[fmt])  # key order too
    assert to_record(CONV, fmt) == GOLDEN[fmt]


def test_sillytavern_lines(tmp_path) -> None:
    path = tmp_path / "chat.jsonl"
    write_jsonl([CONV], path, "sillytavern")
    assert written(path) == [
        {"user_name": "ann", "character_name": "Assistant"},
        {"name": "Assistant", "is_user": False, "is_system": True, "mes": "Be brief."},
        {"name": "ann", "is_user": True, "is_system": False, "mes": "Hi"},
        {"name": "Assistant", "is_user": False, "is_system": False, "mes": "Hello"},
    ]
    (back,) = read_back(path)
    assert back.roles() == CONV.roles() and [m.text for m in back.messages] == [m.text for m in CONV.messages]


def test_assigned_ids_are_not_written() -> None:
    conv = Conversation("data:0", (Message("user", "a"), Message("assistant", "b")), id_assigned=True)
    assert "id" not in to_record(conv, "openai") and "id" not in to_record(conv, "alpaca")


def test_multi_part_content_and_tool_calls_in_openai() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    record = {"messages": [
        {"role": "user", "content": [{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": "u"}}]},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "content": "1", "tool_call_id": "c"},
    ]}
    conv = _read_record(record)
    assert to_record(conv, "openai") == record
    assert to_record(conv, "sharegpt")["conversations"][0] == {"from": "human", "value": "see"}



@pytest.mark.parametrize("record", [
    {"id": 5, "messages": [{"role": "GPT", "content": "a", "x": 1}, {"role": "human", "content": "b"}], "tags": [], "k": 1},
    {"id": "s", "system": "S", "conversations": [{"from": "Human", "value": "a", "name": "n"}, {"from": "gpt", "value": "b"}]},
    {"conversations": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "weight": 0}]},
    {"instruction": "Do", "input": "this", "output": "ok", "system": "", "history": [["q", "a"]], "extra": [1]},
    {"instruction": "Do", "output": "ok"},
    {"prompt": "a", "completion": "b", "tags": ["x"]},
    {"prompt": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], "completion": [{"role": "user", "content": "c"}]},
    {"prompt": [], "completion": [{"role": "assistant", "content": "b"}]},
    {"chosen": "\n\nHuman: a\n\nUser: b\n\nAssistant: c", "rejected": "r"},
    {"text": "Intro\n\nHuman: a\n\nAssistant: c"},
])
def test_default_format_rewrites_the_record_as_it_was(record) -> None:
    assert to_record(_read_record(record)) == record


def test_mixed_file_is_rewritten_record_for_record(tmp_path) -> None:
    records = [
        {"id": 1, "messages": [{"role": "Human", "content": "a"}, {"role": "assistant", "content": "b"}], "tags": [""]},
        {"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}], "src": "web"},
        {"instruction": "a", "input": "", "output": "b"},
        {"prompt": "a", "completion": "b"},
        {"chosen": "\n\nHuman: a\n\nAssistant: b", "rejected": "\n\nHuman: a\n\nAssistant: c"},
    ]
    src, out = tmp_path / "mixed.jsonl", tmp_path / "fixed.jsonl"
    src.write_bytes(b"".join(dumps(r) for r in records))
    assert write_jsonl(read_back(src), out).records == 5
    assert written(out) == records


def test_role_spelling_is_kept_within_a_format_and_canonical_across() -> None:
    conv = _read_record({"messages": [{"role": "USER", "content": "a"}, {"role": "gpt", "content": "b"}]})
    assert [m["role"] for m in to_record(conv, "openai")["messages"]] == ["USER", "gpt"]
    assert [t["from"] for t in to_record(conv, "sharegpt")["conversations"]] == ["human", "gpt"]
    assert [m["role"] for m in to_record(conv, "trl")["prompt"]] == ["user"]


def test_custom_speaker_round_trips_through_its_label() -> None:
    ctx = RecordContext("in.jsonl", 0, 1, {"kai": "assistant"})
    conv = decode_record({"conversations": [{"from": "human", "value": "a"}, {"from": "Kai", "value": "b"}]}, ctx)
    assert to_record(conv)["conversations"][1] == {"from": "Kai", "value": "b"}
    assert to_record(conv, "openai")["messages"][1] == {"role": "assistant", "name": "Kai", "content": "b"}
    openai = decode_record({"messages": [{"role": "Kai", "content": "b"}, {"role": "GPT", "name": "GPT", "content": "c"}]}, ctx)
    assert to_record(openai)["messages"] == [{"role": "Kai", "content": "b"}, {"role": "GPT", "name": "GPT", "content": "c"}]


def test_sharegpt_names_that_look_like_labels_survive() -> None:
    conv = Conversation("x", (Message("user", "a", name="human"), Message("Kai", "b", name="Bob"), Message("Kai", "c", name="Kai")))
    assert to_record(conv, "sharegpt")["conversations"] == [
        {"from": "human", "value": "a", "name": "human"},
        {"from": "Kai", "value": "b", "name": "Bob"},
        {"from": "Kai", "value": "c"},
    ]
    back = _read_record(to_record(conv, "sharegpt"))
    assert [(m.role, m.name) for m in back.messages] == [("user", "human"), ("Kai", "Bob"), ("Kai", "Kai")]


def test_alpaca_multi_turn_is_an_error_naming_the_record(tmp_path) -> None:
    src = tmp_path / "src.jsonl"
    src.write_bytes(b"\n" + orjson.dumps(chat(("user", "a"), ("assistant", "b"), ("user", "c"), ("assistant", "d"), id="conv-7")))
    (conv,) = read_back(src)
    with pytest.raises(UnsupportedConversion) as err:
        to_record(conv, "alpaca")
    assert "'conv-7'" in str(err.value) and "line 2" in str(err.value) and str(src) in str(err.value)
    assert err.value.hint


@pytest.mark.parametrize("roles", [("assistant",), ("user",), ("user", "user", "assistant"), ("assistant", "user"),
                                   ("user", "assistant", "tool"), ()])
def test_alpaca_needs_one_user_and_one_assistant_turn(roles) -> None:
    conv = Conversation("x", tuple(Message(r, "t") for r in roles))
    with pytest.raises(UnsupportedConversion, match="'x'"):
        to_record(conv, "alpaca")


def test_alpaca_history_is_written_only_for_records_that_had_one() -> None:
    conv = _read_record({"instruction": "q2", "output": "a2", "history": [["q1", "a1"]]})
    assert to_record(conv, "alpaca")["history"] == [["q1", "a1"]]
    with pytest.raises(UnsupportedConversion):
        to_record(_read_record(to_record(conv, "openai")), "alpaca")


def test_alpaca_input_split_is_restored_unless_the_prompt_changed() -> None:
    conv = _read_record({"instruction": "Translate.", "input": "Hallo", "output": "Hello"})
    assert to_record(conv)["instruction"] == "Translate." and to_record(conv)["input"] == "Hallo"
    edited = conv.with_messages([conv.messages[0].with_text("Translate: Hallo"), conv.messages[1]])
    assert (to_record(edited)["instruction"], to_record(edited)["input"]) == ("Translate: Hallo", "")


def test_trl_without_assistant_is_an_error() -> None:
    with pytest.raises(UnsupportedConversion, match="'q'"):
        to_record(Conversation("q", (Message("user", "a"),)), "trl")


def test_trl_standard_falls_back_to_conversational_when_the_shape_changed() -> None:
    conv = _read_record({"prompt": "a", "completion": "b"})
    longer = conv.with_messages([*conv.messages, Message("user", "c"), Message("assistant", "d")])
    record = to_record(longer)
    assert [m["content"] for m in record["prompt"]] == ["a", "b", "c"] and record["completion"][0]["content"] == "d"


def test_transcript_writes_other_roles_with_their_own_label() -> None:
    conv = Conversation("x", (Message("user", "a"), Message("tool", "b"), Message("Kai", "c")))
    assert to_record(conv, "transcript")["text"] == "\n\nHuman: a\n\nTool: b\n\nKai: c"


def test_sillytavern_chat_is_rewritten_as_a_chat_when_alone(tmp_path) -> None:
    src = tmp_path / "st.jsonl"
    lines = [{"user_name": "You", "character_name": "Kai", "chat_metadata": {}},
             {"name": "You", "is_user": True, "is_system": False, "mes": "Hi", "send_date": "d"},
             {"name": "Kai", "is_user": False, "is_system": False, "mes": "Yo", "swipes": ["Yo"]}]
    src.write_bytes(b"".join(dumps(line) for line in lines))
    (chat_conv,) = read_back(src)
    out = tmp_path / "fixed.jsonl"
    write_jsonl([chat_conv], out)
    assert written(out) == lines
    write_jsonl([chat_conv, CONV], out)
    assert [list(r)[:2] for r in written(out)] == [["messages", "user_name"], ["id", "messages"]]


def test_sillytavern_holds_one_chat(tmp_path) -> None:
    out = tmp_path / "st.jsonl"
    with pytest.raises(UserError, match="one conversation"):
        write_jsonl([CONV, CONV], out, "sillytavern")
    assert not out.exists() and os.listdir(tmp_path) == []
    with pytest.raises(UserError, match="whole file"):
        to_record(CONV, "sillytavern")


def test_unknown_format_and_missing_folder(tmp_path) -> None:
    with pytest.raises(UnknownFormat):
        write_jsonl([CONV], tmp_path / "o.jsonl", "csv")
    with pytest.raises(UnknownFormat):
        to_record(CONV, "csv")
    with pytest.raises(UserError, match="does not exist"):
        write_jsonl([CONV], tmp_path / "no" / "o.jsonl")
    assert os.listdir(tmp_path) == []


def test_dumps_is_one_utf8_line() -> None:
    assert dumps({"a": "é 🙂 שלום"}) == '{"a":"é 🙂 שלום"}\n'.encode()


# --- atomic writes ------------------------------------------------------------------------------


def test_write_leaves_only_the_target(tmp_path) -> None:
    out = tmp_path / "out.jsonl"
    write_jsonl([CONV, CONV], out, "openai")
    assert os.listdir(tmp_path) == ["out.jsonl"] and len(written(out)) == 2


def test_new_file_gets_the_usual_permissions(tmp_path) -> None:
    old = os.umask(0o022)
    try:
        write_jsonl([CONV], tmp_path / "out.jsonl")
    finally:
        os.umask(old)
    assert (tmp_path / "out.jsonl").stat().st_mode & 0o777 == 0o644


def test_failed_write_leaves_no_file(tmp_path) -> None:
    multi = Conversation("m-2", (Message("user", "a"), Message("assistant", "b")) * 2, source=Source("in.jsonl", 1, 2))
    out = tmp_path / "out.jsonl"
    with pytest.raises(UnsupportedConversion, match="'m-2'.*line 2"):
        write_jsonl([CONV, multi, CONV], out, "alpaca")
    assert os.listdir(tmp_path) == []
    out.write_bytes(b"previous\n")
    with pytest.raises(UnsupportedConversion):
        write_jsonl([CONV, multi], out, "alpaca")
    assert out.read_bytes() == b"previous\n" and os.listdir(tmp_path) == ["out.jsonl"]


def test_failed_write_keeps_the_previous_content(tmp_path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"previous\n")

    def conversations():
        yield CONV
        raise RuntimeError("source broke")

    with pytest.raises(RuntimeError):
        write_jsonl(conversations(), out)
    assert out.read_bytes() == b"previous\n" and os.listdir(tmp_path) == ["out.jsonl"]


def test_unencodable_text_is_a_clear_error(tmp_path) -> None:
    bad = Conversation("s", (Message("user", "\ud800"), Message("assistant", "b")))
    with pytest.raises(UnsupportedConversion, match="'s'"):
        write_jsonl([bad], tmp_path / "out.jsonl")
    assert os.listdir(tmp_path) == []
