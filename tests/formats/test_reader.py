"""Reading files: sniffing per record, JSONL/array/object/.gz/.txt, and bad input that never crashes."""

from __future__ import annotations

import gzip
import random

import orjson
import pytest

from tests.conftest import chat
from threadsmith.errors import InputNotFound
from threadsmith.formats import RecordContext, decode_line, decode_record, read_file
from threadsmith.model import Conversation, ProblemKind, RecordProblem

MIXED = [
    chat(("user", "a"), ("assistant", "b")),
    {"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}]},
    {"instruction": "a", "output": "b"},
    {"prompt": "a", "completion": "b"},
    {"prompt": [{"role": "user", "content": "a"}], "completion": [{"role": "assistant", "content": "b"}]},
    {"chosen": "\n\nHuman: a\n\nAssistant: b"},
]


def kinds_and_lines(items) -> list[tuple]:
    return [(i.kind, i.line) if isinstance(i, RecordProblem) else ("conv", i.source.line) for i in items]


def indexes(items) -> list[int | None]:
    return [i.index if isinstance(i, RecordProblem) else i.source.index for i in items]


# --- modes ------------------------------------------------------------------------------------


def test_mixed_formats_each_record_in_its_own(read_records) -> None:
    items = read_records(MIXED)
    assert [c.source.format for c in items] == ["openai", "sharegpt", "alpaca", "trl", "trl", "transcript"]
    assert all(c.roles() == ("user", "assistant") and [m.text for m in c.messages] == ["a", "b"] for c in items)
    assert [c.source.index for c in items] == list(range(6))


def test_json_array_with_line_numbers(read_records) -> None:
    data = b'[\n  {"messages": [\n    {"role": "user", "content": "a"}\n  ]},\n\n  {"instruction": "b",\n   "output": "c"},\n  5\n]\n'
    items = read_records(data=data, name="arr.json")
    assert kinds_and_lines(items) == [("conv", 2), ("conv", 6), (ProblemKind.NOT_AN_OBJECT, 8)]
    assert indexes(items) == [0, 1, 2]
    assert items[0].id == "arr:0" and items[1].id == "arr:1"


def test_compact_array_on_one_line(read_records) -> None:
    items = read_records(data=orjson.dumps(MIXED[:3]), name="arr.json")
    assert [c.source.format for c in items] == ["openai", "sharegpt", "alpaca"]
    assert [c.source.line for c in items] == [1, 1, 1]


def test_empty_array(read_records) -> None:
    assert read_records(data=b"[ ]\n", name="arr.json") == []


def test_single_object_json(read_records) -> None:
    data = b'\n\n{\n  "id": "only",\n  "messages": [{"role": "user", "content": "a"}]\n}\n'
    items = read_records(data=data, name="one.json")
    assert len(items) == 1 and items[0].id == "only" and items[0].source.line == 3


def test_json_file_that_is_really_jsonl(read_records) -> None:
    items = read_records(MIXED[:3], "lines.json")
    assert kinds_and_lines(items) == [("conv", 1), ("conv", 2), ("conv", 3)]


def test_json_file_of_lines_with_a_broken_first_line(read_records) -> None:
    items = read_records(["{broken", *MIXED[:2]], "lines.json")
    assert kinds_and_lines(items) == [(ProblemKind.UNPARSEABLE, 1), ("conv", 2), ("conv", 3)]


def test_broken_pretty_printed_object_is_one_problem_at_the_error(read_records) -> None:
    data = b'{\n  "messages": [\n    {"role": "user", "content": "a",}\n  ]\n}\n'
    items = read_records(data=data, name="one.json")
    assert len(items) == 1
    assert (items[0].kind, items[0].line, items[0].column) == (ProblemKind.UNPARSEABLE, 3, 36)  # the trailing comma


def test_gzip_of_jsonl(read_records) -> None:
    items = read_records(data=gzip.compress(orjson.dumps(MIXED[0]) + b"\n\n" + orjson.dumps(MIXED[1])), name="d.jsonl.gz")
    assert kinds_and_lines(items) == [("conv", 1), ("conv", 3)]
    assert items[0].id == "d:0"


def test_gzip_of_array(read_records) -> None:
    items = read_records(data=gzip.compress(b"[\n" + orjson.dumps(MIXED[0]) + b",\n" + orjson.dumps(MIXED[2]) + b"]"),
                         name="d.json.gz")
    assert kinds_and_lines(items) == [("conv", 2), ("conv", 3)]


def test_gzip_is_sniffed_by_content_not_name(read_records) -> None:
    assert len(read_records(data=gzip.compress(orjson.dumps(MIXED[0])), name="plain.jsonl")) == 1


def test_text_file_transcript(read_records) -> None:
    items = read_records(data="Human: Hi\n\nAssistant: Hello\n".encode(), name="chat.txt")
    assert len(items) == 1 and items[0].source.format == "transcript" and items[0].roles() == ("user", "assistant")
    assert (items[0].id, items[0].source.line) == ("chat:0", 1)


def test_text_file_without_markers(read_records) -> None:
    (problem,) = read_records(data=b"just some notes\n", name="notes.txt")
    assert (problem.kind, problem.line) == (ProblemKind.UNRECOGNIZED, 1)


def test_text_file_with_invalid_utf8(read_records) -> None:
    (problem,) = read_records(data=b"Human: Hi\nAssistant: \xff\n", name="chat.txt")
    assert (problem.kind, problem.line, problem.column) == (ProblemKind.UNPARSEABLE, 2, 12)


def test_text_file_of_jsonl_is_read_as_jsonl(read_records) -> None:
    assert len(read_records(MIXED[:2], "data.txt")) == 2


def test_blank_lines_are_skipped_and_counted(read_records) -> None:
    items = read_records(["", MIXED[0], "   ", "\t", MIXED[1], "", "{oops", MIXED[2]])
    assert kinds_and_lines(items) == [("conv", 2), ("conv", 5), (ProblemKind.UNPARSEABLE, 7), ("conv", 8)]
    assert indexes(items) == [0, 1, 2, 3]


def test_role_map_from_read_file_ignores_case_and_space(read_records) -> None:
    (conv,) = read_records([{"conversations": [{"from": "KAI", "value": "Yo"}]}], role_map={" Kai ": "assistant"})
    assert conv.roles() == ("assistant",)


def test_progress_is_reported(tmp_path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"".join(orjson.dumps(MIXED[0]) + b"\n" for _ in range(5000)))
    seen: list[int] = []
    assert len(list(read_file(path, progress=seen.append))) == 5000
    assert seen and seen[-1] == path.stat().st_size


def test_missing_file_and_folder_are_user_errors(tmp_path) -> None:
    with pytest.raises(InputNotFound):
        list(read_file(tmp_path / "nope.jsonl"))
    with pytest.raises(InputNotFound):
        list(read_file(tmp_path))


# --- bad input: problems, never exceptions ------------------------------------------------------


def test_invalid_utf8_line(read_records) -> None:
    items = read_records([b'{"messages": "caf\xe9"}', MIXED[0]])
    assert (items[0].kind, items[0].line, items[0].column) == (ProblemKind.UNPARSEABLE, 1, 18)
    assert "0xe9" in items[0].detail and isinstance(items[1], Conversation)


def test_syntax_error_column(read_records) -> None:
    items = read_records([MIXED[0], '{"messages": [}'])
    assert (items[1].kind, items[1].line, items[1].column) == (ProblemKind.UNPARSEABLE, 2, 15)


def test_binary_garbage(read_records) -> None:
    data = random.Random(7).randbytes(200_000)
    items = read_records(data=data, name="noise.jsonl")
    assert items and all(isinstance(i, RecordProblem) and i.line and i.column for i in items)


def test_binary_garbage_with_json_suffix(read_records) -> None:
    items = read_records(data=b"{" + random.Random(3).randbytes(50_000), name="noise.json")
    assert items and all(isinstance(i, RecordProblem) for i in items)


def test_ten_megabyte_line(read_records) -> None:
    big = "x" * 10_000_000
    items = read_records([chat(("user", big)), "{" + big, MIXED[0]])
    assert kinds_and_lines(items) == [("conv", 1), (ProblemKind.UNPARSEABLE, 2), ("conv", 3)]
    assert len(items[0].messages[0].content) == 10_000_000


@pytest.mark.parametrize("deep", [b"[" * 5000 + b"]" * 5000, b'{"a":' * 5000 + b"1" + b"}" * 5000])
def test_deep_nesting_in_jsonl(read_records, deep) -> None:
    items = read_records([deep, MIXED[0]])
    assert kinds_and_lines(items) == [(ProblemKind.UNPARSEABLE, 1), ("conv", 2)]
    assert "nested too deeply" in items[0].detail and items[0].column


@pytest.mark.parametrize("deep", [b"[" * 5000 + b"]" * 5000, b'{"a":' * 5000 + b"1" + b"}" * 5000])
def test_deep_nesting_in_an_array(read_records, deep) -> None:
    items = read_records(data=b"[" + orjson.dumps(MIXED[0]) + b",\n" + deep + b"]", name="deep.json")
    assert kinds_and_lines(items) == [("conv", 1), (ProblemKind.UNPARSEABLE, 2)]
    assert "nested too deeply" in items[1].detail


def test_deep_nesting_as_a_whole_json_file(read_records) -> None:
    (problem,) = read_records(data=b'{"a":' * 5000 + b"1" + b"}" * 5000, name="deep.json")
    assert problem.kind is ProblemKind.UNPARSEABLE and "nested too deeply" in problem.detail


def test_truncated_gzip_keeps_what_came_before(tmp_path) -> None:
    rng = random.Random(1)
    lines = [orjson.dumps(chat(("user", rng.randbytes(40).hex()))) for _ in range(2000)]
    packed = gzip.compress(b"\n".join(lines) + b"\n")
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    items = list(read_file(path))
    *convs, problem = items
    assert len(convs) > 100 and all(isinstance(c, Conversation) for c in convs)
    assert (problem.kind, problem.line, problem.index) == (ProblemKind.UNPARSEABLE, len(convs) + 1, len(convs))
    assert "damaged" in problem.detail


def test_truncated_gzip_of_an_array(read_records) -> None:
    packed = gzip.compress(orjson.dumps([chat(("user", str(i))) for i in range(500)]))
    (problem,) = read_records(data=packed[:-20], name="cut.json.gz")
    assert problem.kind is ProblemKind.UNPARSEABLE and "damaged" in problem.detail


def test_corrupted_gzip(read_records) -> None:
    packed = bytearray(gzip.compress(b"\n".join(orjson.dumps(chat(("user", str(i)))) for i in range(3000))))
    packed[len(packed) // 2: len(packed) // 2 + 50] = bytes(50)
    items = read_records(data=bytes(packed), name="bad.jsonl.gz")
    assert isinstance(items[-1], RecordProblem) and items[-1].kind is ProblemKind.UNPARSEABLE


def test_gzip_magic_without_gzip(read_records) -> None:
    (problem,) = read_records(data=b"\x1f\x8bnot really gzip", name="fake.jsonl.gz")
    assert problem.kind is ProblemKind.UNPARSEABLE and "damaged" in problem.detail


@pytest.mark.parametrize("name", ["e.jsonl", "e.json", "e.txt", "e.ndjson"])
@pytest.mark.parametrize("data", [b"", b"\n\n  \n\r\n\t\n", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("packed", [False, True])
def test_empty_and_blank_files(read_records, name, data, packed) -> None:
    assert read_records(data=gzip.compress(data) if packed else data, name=name + (".gz" if packed else "")) == []


@pytest.mark.parametrize(("name", "data", "count"), [
    ("bom.jsonl", b'\xef\xbb\xbf{"messages": []}\n{"messages": []}\n', 2),
    ("bom.json", b'\xef\xbb\xbf{\n  "messages": []\n}\n', 1),
    ("bom-array.json", b'\xef\xbb\xbf[{"messages": []}]', 1),
    ("bom.txt", "\ufeffHuman: Hi\nAssistant: Yo".encode(), 1),
])
def test_byte_order_mark(read_records, name, data, count) -> None:
    items = read_records(data=data, name=name)
    assert len(items) == count and all(isinstance(c, Conversation) for c in items)
    assert items[0].source.line == 1


def test_crlf_line_ends(read_records) -> None:
    items = read_records(data=b'{"messages": [{"role": "user", "content": "a"}]}\r\n\r\n{"instruction": "b", "output": "c"}\r\n')
    assert kinds_and_lines(items) == [("conv", 1), ("conv", 3)]
    array = read_records(data=b'[\r\n{"messages": []},\r\n{"messages": []}\r\n]\r\n', name="crlf.json")
    assert kinds_and_lines(array) == [("conv", 2), ("conv", 3)]


def test_array_syntax_error_is_located_and_stops_the_array(read_records) -> None:
    items = read_records(data=b'[\n{"messages": []},\n{"messages": [}\n,{"messages": []}]', name="a.json")
    assert kinds_and_lines(items) == [("conv", 2), (ProblemKind.UNPARSEABLE, 3)]
    assert items[1].column == 15 and "rest of the array" in items[1].detail


def test_array_missing_comma(read_records) -> None:
    items = read_records(data=b'[{"messages": []}\n {"messages": []}]', name="a.json")
    assert kinds_and_lines(items) == [("conv", 1), (ProblemKind.UNPARSEABLE, 2)]
    assert items[1].column == 2


def test_unclosed_array_is_reported(read_records) -> None:
    items = read_records(data=b'[{"messages": []},\n', name="cut.json")
    assert kinds_and_lines(items) == [("conv", 1), (ProblemKind.UNPARSEABLE, 2)]
    assert "not closed" in items[1].detail


def test_data_after_an_array_is_reported(read_records) -> None:
    items = read_records(data=b'[{"messages": []}]\n{"messages": []}\n', name="a.json")
    assert kinds_and_lines(items) == [("conv", 1), (ProblemKind.UNPARSEABLE, 2)]
    assert items[1].column == 1


def test_invalid_utf8_in_an_array(read_records) -> None:
    (problem,) = read_records(data=b'[\n{"messages": []},\n{"x": "\xc3("}]', name="a.json")
    assert (problem.kind, problem.line, problem.column) == (ProblemKind.UNPARSEABLE, 3, 8)


def test_lone_surrogate_escape_is_unparseable_everywhere(read_records) -> None:
    record = b'{"messages": [{"role": "user", "content": "\\ud800"}]}'
    pair = b'{"messages": [{"role": "user", "content": "\\ud83d\\ude00"}]}'
    lines = read_records([record, pair])
    array = read_records(data=b"[" + record + b",\n" + pair + b"]", name="a.json")
    for items in (lines, array):
        assert items[0].kind is ProblemKind.UNPARSEABLE
        assert items[1].messages[0].content == "\U0001f600"


def test_jsonl_whose_first_line_is_an_array_is_still_read_by_line(read_records) -> None:
    items = read_records([[1, 2], MIXED[0]])
    assert kinds_and_lines(items) == [(ProblemKind.NOT_AN_OBJECT, 1), ("conv", 2)]


def test_array_misnamed_jsonl(read_records) -> None:
    items = read_records(data=b"[\n" + orjson.dumps(MIXED[0]) + b"\n]\n", name="arr.jsonl")
    assert kinds_and_lines(items) == [("conv", 2)]


# --- decode_line / decode_record -----------------------------------------------------------------


def test_decode_line_on_bytes_and_friends() -> None:
    ctx = RecordContext("d.jsonl", 4, 5)
    raw = orjson.dumps(chat(("user", "é"), id="x"))
    for value in (raw, raw + b"\r\n", bytearray(raw), memoryview(raw), raw.decode()):
        conv = decode_line(value, ctx)
        assert isinstance(conv, Conversation) and conv.messages[0].content == "é" and conv.id == "x"
        assert (conv.source.index, conv.source.line) == (4, 5)


def test_decode_line_problems_carry_context() -> None:
    ctx = RecordContext("d.jsonl", 4, 5)
    bad = decode_line(b'{"messages": ["\xff"]}', ctx)
    assert (bad.kind, bad.path, bad.index, bad.line, bad.column) == (ProblemKind.UNPARSEABLE, "d.jsonl", 4, 5, 16)
    syntax = decode_line('{"a": "é", ?}', ctx)
    assert (syntax.kind, syntax.column) == (ProblemKind.UNPARSEABLE, 12)  # columns count characters
    assert decode_line(memoryview(b"{"), ctx).kind is ProblemKind.UNPARSEABLE


@pytest.mark.parametrize(("value", "name"), [([], "array"), ("x", "string"), (1, "number"), (1.5, "number"),
                                              (True, "boolean"), (None, "null")])
def test_decode_record_non_objects(value, name) -> None:
    problem = decode_record(value, RecordContext())
    assert problem.kind is ProblemKind.NOT_AN_OBJECT and f"JSON {name}" in problem.detail


def test_unrecognized_record_names_its_keys_and_id() -> None:
    problem = decode_record({"id": 3, "foo": 1, "bar": 2}, RecordContext())
    assert problem.kind is ProblemKind.UNRECOGNIZED and problem.record_id == "3"
    assert "bar, foo, id" in problem.detail
