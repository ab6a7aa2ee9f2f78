"""Observation of a version by the dataset checks, in one process or two (workspace/observation.py)."""

from __future__ import annotations

import marshal
from pathlib import Path

import orjson
import pytest

from threadsmith.checks import build_checks
from threadsmith.checks.profile import CheckContext
from threadsmith.store.audit_cache import LaneLayout, dump_lane, dump_summaries, load_lane, load_summaries
from threadsmith.workspace import Workspace
from threadsmith.workspace import observation

pytestmark = pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(),
                                reason="observation in two processes needs fork")


def _rows(size: int) -> list[dict]:
    """Entries that give several dataset checks something to say: duplicates, a shared opener,
    contradicting answers, short replies."""
    rows = []
    for i in range(size):
        reply = ("The harbour is quiet at dawn, and the boats come in one by one." if i % 3 else
                 f"Certainly! Answer {i % 40}, since the tide turns at {i % 5} o'clock.")
        if i % 11 == 0:
            reply = "Ok."
        rows.append({"id": f"r{i}", "messages": [
            {"role": "system", "content": "You are Mira, a harbour pilot." if i % 2 else "You are a guide."},
            {"role": "user", "content": f"Tell me about the harbour, part {i % 13}."},
            {"role": "assistant", "content": reply}]})
    return rows


def _workspace(tmp_path: Path, size: int = 2300) -> Workspace:
    path = tmp_path / "many.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in _rows(size)))
    ws = Workspace.open(tmp_path / "ws")
    ws.import_files([path], "many")
    return ws


def _key(report) -> list[str]:
    return [repr(f.to_dict()) for f in report.findings]


@pytest.fixture
def two_processes(monkeypatch):
    """Observation split across two processes even for a small version."""
    monkeypatch.setenv("THREADSMITH_WORKERS", "2")
    monkeypatch.setattr(observation, "PARALLEL_MIN_ENTRIES", 0)


def test_lanes_cover_every_check_once_and_the_reader_keeps_the_costliest() -> None:
    checks = build_checks((), context=CheckContext(kind="roleplay")).dataset
    here, there = observation.lanes(checks)
    assert sorted(here + there) == list(range(len(checks))) and here and there
    costliest = max(range(len(checks)), key=lambda d: type(checks[d]).observe_cost)
    assert costliest in here
    cost = [type(c).observe_cost for c in checks]
    total = sum(cost) + observation._READER_COST
    assert abs((observation._READER_COST + sum(cost[d] for d in here)) - total / 2) <= max(cost)


def test_checks_that_share_values_are_observed_in_one_process(monkeypatch) -> None:
    checks = build_checks((), context=CheckContext(kind="roleplay")).dataset
    codes = [type(c).code for c in checks]
    by_code = {type(c).code: type(c) for c in checks}
    monkeypatch.setattr(by_code["LV002"], "observe_with", "RP002")  # as if they shared values
    monkeypatch.setattr(by_code["RP002"], "observe_cost", 50.0)  # the costliest: kept by the reader
    here, there = observation.lanes(checks)
    assert codes.index("LV002") in here and codes.index("RP002") in here
    for check in checks:  # and every real pairing holds too
        partner = type(check).observe_with
        if partner in codes:
            me, other = codes.index(type(check).code), codes.index(partner)
            assert (me in here) == (other in here)


def test_two_lane_blobs_load_whole_or_one_lane_at_a_time() -> None:
    values = (b"ab", None, 3, ("x", "x"), b"", 7)
    blob = dump_summaries(values, [1, 3])
    assert load_summaries(blob) == values
    head, tail = LaneLayout(6, (1, 3)).split(blob)
    assert load_lane(head, 2) == (None, ("x", "x")) and load_lane(tail, 4) == (b"ab", 3, b"", 7)
    assert LaneLayout(7, (1, 3)).split(blob) is None  # another number of summaries: not this configuration's
    assert LaneLayout(6, (1, 2)).split(blob) is None  # other lanes
    assert LaneLayout(6, (1, 3)).split(dump_summaries(values)) is None  # one lane (written before): no split
    assert LaneLayout(6, (1, 3)).split(blob[:9]) is None  # damaged
    assert load_lane(dump_lane([1, 2]), 2) == (1, 2) and load_lane(dump_lane([1, 2]), 3) is None
    for damaged in (blob[:-2], blob[:5], b"\x01\x06\x09\x05", b"\x01\x06\x02\x01\x01" + blob[5:]):
        assert load_summaries(damaged) is None
    assert load_lane(marshal.dumps([1, 2]), 2) is None and load_lane(b"", 1) is None


def test_two_processes_give_the_report_of_one(tmp_path: Path, monkeypatch, two_processes) -> None:
    with _workspace(tmp_path) as ws:
        parallel = ws.audit("many", refresh=True)
        monkeypatch.setattr(observation, "PARALLEL_MIN_ENTRIES", 1 << 40)
        serial = ws.audit("many", refresh=True)
    codes = {f.code for f in serial.findings if f.entry_index is None or f.code.startswith(("RP", "CT", "WT"))}
    assert len(codes) >= 3  # several dataset checks reported something
    assert _key(parallel) == _key(serial)


def test_a_failing_second_process_is_made_up_for_here(tmp_path: Path, monkeypatch, two_processes) -> None:
    def broken(conn, checks, parent_end):
        conn.recv()
        conn.send(("error", "Traceback: boom"))
        conn.close()

    with _workspace(tmp_path) as ws:
        expected = _key(ws.audit("many", refresh=True))
        monkeypatch.setattr(observation, "_serve", broken)
        assert _key(ws.audit("many", refresh=True)) == expected


def test_a_damaged_lane_is_checked_again(tmp_path: Path, monkeypatch, two_processes) -> None:
    with _workspace(tmp_path) as ws:
        expected = _key(ws.audit("many", refresh=True))
        with ws.store.write() as conn:  # the second lane of one result will not load
            cid, blob = conn.execute("SELECT content_id, summaries FROM audit_results LIMIT 1 OFFSET 7").fetchone()
            conn.execute("UPDATE audit_results SET summaries = ? WHERE content_id = ?", (blob[:-3], cid))
        assert _key(ws.audit("many", refresh=True)) == expected
        (again,) = ws.store.db.conn.execute("SELECT summaries FROM audit_results WHERE content_id = ?", (cid,)).fetchone()
        assert load_summaries(again) is not None  # checked again and cached again


def test_the_second_process_leaves_quietly_when_the_pass_stops(tmp_path: Path, capfd) -> None:
    import multiprocessing as mp

    checks = build_checks(("RP001",), context=CheckContext(kind="roleplay")).dataset
    ours, theirs = mp.get_context("fork").Pipe()
    process = mp.get_context("fork").Process(target=observation._serve, args=(theirs, checks, ours))
    process.start()
    theirs.close()
    ours.close()  # the main process stops the pass (Ctrl-C, an error) before any chunk
    process.join(timeout=10)
    assert process.exitcode == 0 and "Traceback" not in capfd.readouterr().err


def _phrase_rows(size: int) -> list[dict]:
    """Replies that share catchphrases (RP004) amid varied text, and two that recur word for word."""
    words = ("tide", "lantern", "gull", "rope", "chart", "keel", "mast", "fog", "pier", "buoy", "reef", "sail")
    rows = []
    for i in range(size):
        body = " ".join(words[(i * 7 + j * 3) % len(words)] + str((i + j) % 97) for j in range(12))
        reply = f"{body}. Mind the tide and keep your lantern lit, sailor." if i % 4 == 0 else f"{body}."
        if i % 9 == 0:
            reply = f"Well now, as the old keepers say, {body}."
        rows.append({"id": f"p{i}", "messages": [
            {"role": "user", "content": f"What now, keeper? ({i})"},
            {"role": "assistant", "content": reply}]})
    return rows


@pytest.mark.parametrize("processes", [1, 2])
def test_phrases_are_read_back_from_the_entries(tmp_path: Path, monkeypatch, processes: int) -> None:
    """A workspace caches RP004's summaries without the turn texts: the reported phrases' text is
    read back from the few entries that carry them, so the findings are a file audit's."""
    from threadsmith.audit import audit
    from threadsmith.config import Config

    monkeypatch.setenv("THREADSMITH_WORKERS", str(processes))
    monkeypatch.setattr(observation, "PARALLEL_MIN_ENTRIES", 0)
    path = tmp_path / "phrases.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in _phrase_rows(1200)))
    config = Config(kind="roleplay")
    on_file = [(f.entry_index, f.message) for f in audit([path], config=config).findings if f.code == "RP004"]
    assert any("mind the tide and keep your lantern lit sailor" in m for _, m in on_file), on_file
    assert any("well now as the old keepers say" in m for _, m in on_file), on_file
    read_back: list[int] = []
    real = observation._reader

    def counting(store, contents):
        recall = real(store, contents)
        return lambda refs: (read_back.append(len(refs)), recall(refs))[1]

    monkeypatch.setattr(observation, "_reader", counting)
    with Workspace.open(tmp_path / "ws") as ws:
        ws.import_files([path], "phrases")
        report = ws.audit("phrases", config=config)
        codes = [type(c).code for c in build_checks((), context=CheckContext(kind="roleplay")).dataset]
        (blob,) = ws.store.db.conn.execute("SELECT summaries FROM audit_results LIMIT 1").fetchone()
    in_workspace = [(f.entry_index, f.message) for f in report.findings if f.code == "RP004"]
    assert in_workspace == on_file
    grams, texts, tokens = load_summaries(blob)[codes.index("RP004")]
    assert texts is None and grams and tokens  # no turn text in the cache
    assert read_back and sum(read_back) <= 10  # the carriers of a few phrases, not the dataset
