"""Parquet and Arrow files (Hugging Face shards, save_to_disk folders, the hf export) read one record per row."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from tests.formats.conftest import as_bytes
from tests.formats.test_tool_calls import LLAMAFACTORY, OPENAI
from threadsmith.formats import read_file
from threadsmith.formats.reader import jsonl_chunks
from threadsmith.model import Conversation, ProblemKind, RecordProblem

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

PLAIN = {"id": "p1", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}


def write_parquet(path: Path, records: list[dict]) -> Path:
    pq.write_table(pa.Table.from_pylist(records), path)
    return path


def test_rows_read_as_their_json_lines_would(tmp_path: Path) -> None:
    # One schema for all rows (pyarrow takes it from the first): the plain chat's messages get null
    # tool_calls and tool_call_id, and the entry a null tools column.
    records = [{"id": "t1", **OPENAI}, PLAIN]
    from_parquet = list(read_file(write_parquet(tmp_path / "chats.parquet", records)))
    (tmp_path / "chats.jsonl").write_bytes(as_bytes(records))
    from_json = list(read_file(tmp_path / "chats.jsonl"))
    assert all(isinstance(c, Conversation) for c in from_parquet)
    assert from_parquet == [c.__class__(c.id, c.messages, c.tags, c.metadata, from_parquet[i].source, c.id_assigned)
                            for i, c in enumerate(from_json)]  # the same records, nulls and all
    assert [(c.id, c.source.index, c.source.line) for c in from_parquet] == [("t1", 0, None), ("p1", 1, None)]


def test_sharegpt_rows_and_batches(tmp_path: Path, monkeypatch) -> None:
    from threadsmith.formats import columnar

    monkeypatch.setattr(columnar, "BATCH_ROWS", 2)
    path = write_parquet(tmp_path / "lf.parquet", [LLAMAFACTORY] * 5)
    seen: list[int] = []
    items = list(read_file(path, progress=seen.append))
    assert [c.source.format for c in items] == ["sharegpt"] * 5 and [c.source.index for c in items] == list(range(5))
    assert seen[-1] == path.stat().st_size and len(seen) == 3
    assert jsonl_chunks(path) is None  # read by read_file, not by the parallel JSONL path


def test_values_json_has_no_type_for_become_strings(tmp_path: Path) -> None:
    record = {**PLAIN, "image": b"\x89PNG", "created": datetime.datetime(2024, 5, 1, 12, 0)}
    (conv,) = read_file(write_parquet(tmp_path / "odd.parquet", [record]))
    assert conv.metadata == {"image": "<4 bytes>", "created": "2024-05-01 12:00:00"}


def test_a_damaged_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    good = write_parquet(tmp_path / "good.parquet", [PLAIN] * 3).read_bytes()
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(good[: len(good) // 2])
    (problem,) = read_file(broken)
    assert isinstance(problem, RecordProblem) and problem.kind is ProblemKind.UNPARSEABLE
    assert "not a readable parquet file" in problem.detail


def test_audit_reads_parquet_files_and_folders(tmp_path: Path, cli_runner) -> None:
    import json

    from threadsmith.cli import cli

    folder = tmp_path / "data"
    folder.mkdir()
    write_parquet(folder / "train-00000-of-00001.parquet", [PLAIN, {**PLAIN, "id": "p2"}])
    result = cli_runner.invoke(cli, ["audit", str(folder), "--format", "json", "--exit-zero"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["conversations"] == 2


def test_arrow_streams_and_files_read_like_parquet(tmp_path: Path) -> None:
    table = pa.Table.from_pylist([PLAIN, {**PLAIN, "id": "p2"}])
    with pa.ipc.new_stream(tmp_path / "data-00000-of-00001.arrow", table.schema) as stream:  # save_to_disk's
        stream.write_table(table)
    with pa.ipc.new_file(tmp_path / "file.arrow", table.schema) as file:
        file.write_table(table)
    for name in ("data-00000-of-00001.arrow", "file.arrow"):
        items = list(read_file(tmp_path / name))
        assert [(c.id, c.messages[1].text) for c in items] == [("p1", "Hello!"), ("p2", "Hello!")]


def test_the_hf_export_reads_back_from_both_its_copies(tmp_path: Path) -> None:
    from threadsmith.export import ExportOptions, export, file_source

    source = tmp_path / "chats.jsonl"
    source.write_bytes(as_bytes([PLAIN, {**PLAIN, "id": "p2"}]))
    export(file_source(source), tmp_path / "out", ExportOptions(target="hf"))
    parquet_rows = list(read_file(tmp_path / "out" / "data" / "train-00000-of-00001.parquet"))
    arrow_rows = list(read_file(tmp_path / "out" / "arrow" / "train" / "data-00000-of-00001.arrow"))
    original = list(read_file(source))
    assert [c.messages for c in parquet_rows] == [c.messages for c in arrow_rows] == [c.messages for c in original]


def test_a_folder_expands_to_its_data_not_its_metadata(tmp_path: Path) -> None:
    from threadsmith.audit import expand_paths
    from threadsmith.export import ExportOptions, export, file_source

    source = tmp_path / "chats.jsonl"
    source.write_bytes(as_bytes([PLAIN]))
    export(file_source(source), tmp_path / "out", ExportOptions(target="hf"))
    found = [Path(p).relative_to(tmp_path / "out").as_posix() for p in expand_paths([tmp_path / "out"])]
    assert found == ["arrow/train/data-00000-of-00001.arrow", "data/train-00000-of-00001.parquet"]
    named = tmp_path / "out" / "manifest.json"
    assert expand_paths([named]) == [str(named)]  # a file named on its own is still read
