"""Parallel import: byte ranges prepared in worker processes give exactly what reading the file in order gives."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from threadsmith.workspace import Workspace, preparation

_BOM = b"\xef\xbb\xbf"


def _lines() -> list[bytes]:
    out = []
    for i in range(60):
        if i % 11 == 3:
            out.append(b"")
        elif i % 13 == 5:
            out.append(b" \t\r")
        elif i % 17 == 7:
            out.append(b'{"messages": [{"role": "user", "content": "cut off')
        elif i % 7 == 0:  # no id: the reader assigns one from the entry index
            out.append(orjson.dumps({"messages": [{"role": "user", "content": "x" * (i * 97)},
                                                  {"role": "assistant", "content": "ok"}]}))
        else:
            out.append(orjson.dumps({"id": f"r{i % 20}", "messages": [{"role": "user", "content": f"q {i}"},
                                                                   {"role": "assistant", "content": "a", "name": "Kai"}],
                                     "tags": ["t"]}))
    return out


VARIANTS = {
    "plain": b"\n".join(_lines()) + b"\n",
    "no final line end, blank last line": b"\n".join(_lines()) + b"\n  ",
    "byte order mark": _BOM + b"\n".join(_lines()),
    "blank first line after a byte order mark": _BOM + b"\n" + b"\n".join(_lines()),
    "crlf": b"\r\n".join(_lines()) + b"\r\n",
}


def _sequential(path: Path, monkeypatch) -> tuple[list, list]:
    monkeypatch.setenv("THREADSMITH_WORKERS", "1")
    chunks = list(preparation.prepared_chunks(str(path), {}))
    return [r for records, _ in chunks for r in records], [p for _, problems in chunks for p in problems]


@pytest.mark.parametrize("name", list(VARIANTS))
def test_ranges_prepared_in_workers_match_reading_in_order(name: str, tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "data.jsonl"
    path.write_bytes(VARIANTS[name])
    expected = _sequential(path, monkeypatch)
    assert len(expected[0]) > 40 and expected[1]
    for size in (1, 50, 4096, 1 << 20):  # 1 byte: every range is one line, or grows to hold one
        with preparation._Pool(str(path), {}, 2) as pool:
            chunks = list(pool.results(preparation.plan_ranges(str(path), size)))
        got = [r for records, _ in chunks for r in records], [p for _, problems in chunks for p in problems]
        assert got == expected, f"{name}, ranges of {size} bytes"


def test_a_parallel_import_stores_what_a_sequential_one_does(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "data.jsonl"
    path.write_bytes(VARIANTS["byte order mark"])
    results = []
    for workers in ("1", "2"):
        monkeypatch.setenv("THREADSMITH_WORKERS", workers)
        monkeypatch.setattr(preparation, "MIN_PARALLEL_BYTES", 0)
        monkeypatch.setattr(preparation, "RANGE_BYTES", 700)
        with Workspace.open(tmp_path / f"ws{workers}") as ws:
            result = ws.import_files([path], "d")
            entries = ws.page("d", limit=1000).entries
            results.append(([(e.key, e.content_hash, e.provenance.line, e.provenance.index, e.position) for e in entries],
                            result.problems, result.imported, result.new_contents))
    assert results[0] == results[1]


def test_a_failing_worker_stops_the_import_and_nothing_is_stored(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "data.jsonl"
    path.write_bytes(VARIANTS["plain"])
    monkeypatch.setenv("THREADSMITH_WORKERS", "2")
    monkeypatch.setattr(preparation, "MIN_PARALLEL_BYTES", 0)

    def broken(*args: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(preparation, "prepare_range", broken)  # the forked workers inherit it
    with Workspace.open(tmp_path / "ws") as ws:
        with pytest.raises(RuntimeError, match="boom"):
            ws.import_files([path], "d")
        assert ws.datasets() == [] and ws.integrity_check() == "ok"


#: A child that imports in parallel, prints its workers' ids from inside the transaction, then waits to be killed.
KILLED_IMPORT = """
import multiprocessing, sys, time
from threadsmith.workspace import Workspace, preparation
preparation.MIN_PARALLEL_BYTES, preparation.RANGE_BYTES = 0, 200

def progress(path, done):
    print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
    time.sleep(60)

with Workspace.open(sys.argv[1]) as ws:
    ws.import_files([sys.argv[2]], "d", progress=progress)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads process states from /proc")
def test_workers_stop_when_a_parallel_import_is_killed(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "data.jsonl"
    path.write_bytes(VARIANTS["plain"])
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "THREADSMITH_WORKERS": "2"}
    child = subprocess.Popen([sys.executable, "-c", KILLED_IMPORT, str(tmp_path / "ws"), str(path)],
                             stdout=subprocess.PIPE, text=True, env=env, cwd=root)
    workers = [int(pid) for pid in child.stdout.readline().split()]
    assert len(workers) == 2
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)

    def running(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] not in ("Z", "X")
        except (FileNotFoundError, IndexError):
            return False

    deadline = time.monotonic() + 10
    while any(running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in workers if running(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "orphaned import workers kept running"
    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.datasets() == [] and ws.integrity_check() == "ok"
