"""Workspace benchmarks (``make bench``): import, pages, search, edits, diff, incremental audit.

    python bench/workspace.py [--size 1000000] [--audit-size 100000] [--seed 0] [--quick] [--audit-only]

On a dataset from ``bench/generate.py`` (cached in ``bench/out/``), in a fresh workspace under
``bench/out/``, this measures against the targets of the workspace issue:

- import of SIZE conversations (<= 120 s at 1M), and the deferred full-text indexing that the
  first search pays once;
- a page of 50 entries by keyset at random depths (<= 50 ms);
- an FTS query with a filter (<= 200 ms);
- the file growth of a one-entry edit (< 10 KB);
- the diff of two versions differing in 1% of the entries (<= 5 s);
- a re-audit after changing 1% of the entries, as a share of a full audit (<= 10%), on a
  dataset of AUDIT-SIZE (a full audit of 1M takes many minutes on two cores), and one more
  audit of the same version (every result cached: what the dataset-level checks alone cost).
  ``--audit-only`` measures only these.

Import and audit rows also give CPU seconds (this process, and its worker processes), which
do not depend on what else runs on a shared machine. It prints a table, then a Markdown snippet
(machine, date, revision) for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import OUT, dataset, machine, revision  # noqa: E402

from threadsmith.workspace import Workspace  # noqa: E402
from threadsmith.workspace.editor import Editor  # noqa: E402
from threadsmith.workspace.operations import SetText  # noqa: E402
from threadsmith.workspace.query import Query  # noqa: E402

TARGETS = {"import": 120.0, "page": 0.050, "search": 0.200, "edit_bytes": 10 * 1024, "diff": 5.0, "reaudit": 0.10}
Row = tuple[str, str, str, str]


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call takes, and what it returned."""
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def cpu_timed(action: Callable[[], Any]) -> tuple[float, float, float, Any]:
    """Wall seconds, CPU seconds of this process and CPU seconds of its finished worker processes, and the result.

    The machine may be shared: CPU seconds do not depend on what else runs, wall seconds do.
    """
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time()
    seconds, result = timed(action)
    main = time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    return seconds, main, workers, result


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def fresh_workspace(name: str) -> Workspace:
    folder = OUT / name
    shutil.rmtree(folder, ignore_errors=True)
    return Workspace.open(folder)


def file_bytes(ws: Workspace) -> int:
    ws.store.checkpoint()
    return os.path.getsize(ws.path)


def change_one_percent(ws: Workspace, name: str, size: int, seed: int) -> tuple[float, int]:
    """One version changing the last turn of 1% of the entries; (seconds, entries changed)."""
    rng = random.Random(seed)
    keys = [f"conv-{i:07d}" for i in rng.sample(range(size), max(1, size // 100))]
    editor = Editor(ws.store, ws.dataset(name))

    def run() -> int:
        for key in keys:
            turns = len(editor.load(key).conversation.messages)  # type: ignore[union-attr]
            editor.apply(SetText(key, turns - 1, f"A rewritten reply for {key}, shorter and on topic."))
        version = editor.commit("edit", "bench: change 1%")
        return version.changed if version else 0

    seconds, changed = timed(run)
    return seconds, changed


def bench_store(size: int, seed: int) -> list[Row]:
    """Import, pages, search, one edit, 1% edit and diff on a SIZE dataset."""
    rows: list[Row] = []
    data = dataset(size, seed)
    ws = fresh_workspace(f"ws-{size}")
    seconds, main, workers, result = cpu_timed(lambda: ws.import_files([data], "chats"))
    projected = "" if size == 1_000_000 else f"; ~{seconds * 1_000_000 / size:.0f} s projected to 1M"
    rows.append((f"import {size:,}", f"{seconds:.1f} s ({result.imported / seconds:,.0f}/s; CPU {main:.1f} s main "
                 f"process + {workers:.1f} s workers{projected})", f"<= {TARGETS['import']:.0f} s at 1M",
                 verdict(seconds <= TARGETS["import"]) if size == 1_000_000 else "(projection)"))
    rows.append(("file size", f"{file_bytes(ws) / 1e9:.2f} GB ({data.stat().st_size / 1e9:.2f} GB of JSONL)", "", ""))
    rows.append(_pages(ws, size, seed))
    seconds, indexed = timed(ws.index)
    rows.append(("full-text index (first search)", f"{seconds:.1f} s for {indexed:,} contents", "", ""))
    rows += _searches(ws)
    before = file_bytes(ws)
    ws.apply("chats", [SetText("conv-0000042", 1, "One small edit.")])
    grown = file_bytes(ws) - before
    rows.append(("one-entry edit adds", f"{grown:,} bytes", "< 10 KB", verdict(grown < TARGETS["edit_bytes"])))
    seconds, changed = change_one_percent(ws, "chats", size, seed)
    rows.append(("edit 1% as one version", f"{seconds:.1f} s ({changed:,} entries)", "", ""))
    for label, turns in (("diff 1% (counts)", False), ("diff 1% (with turn text diffs)", True)):
        seconds, diff = timed(lambda t=turns: ws.diff("chats", "latest~1", "latest", turns=t))
        rows.append((label, f"{seconds:.2f} s ({diff.changed:,} changed)", "<= 5 s", verdict(seconds <= TARGETS["diff"])))
    ws.close()
    return rows


def _pages(ws: Workspace, size: int, seed: int) -> Row:
    rng = random.Random(seed)
    times = []
    for _ in range(30):
        depth = rng.randrange(size)
        seconds, page = timed(lambda d=depth: ws.page("chats", cursor=f"{float(d)!r}:{d + 1}", limit=50))
        assert len(page.entries) == 50 or depth > size - 51
        times.append(seconds)
    worst, median = max(times), statistics.median(times)
    return ("page of 50 (keyset, random depth)", f"median {median * 1000:.1f} ms, max {worst * 1000:.1f} ms",
            "<= 50 ms", verdict(worst <= TARGETS["page"]))


def _searches(ws: Workspace) -> list[Row]:
    queries = {
        "'lighthouse' + tag roleplay": Query(text="lighthouse", tags=("roleplay",)),
        "'harbour storm' in assistant turns": Query(text="harbour storm", roles=("assistant",)),
        "'sourdough' + at most 4 turns": Query(text="sourdough", max_turns=4),
        "'puffin' + tag travel (rare)": Query(text="puffin", tags=("travel",)),
        "no text, tag travel + at most 2 turns": Query(tags=("travel",), max_turns=2),
    }
    rows = []
    for label, query in queries.items():
        ws.search("chats", query)  # warm the page cache once
        times = [timed(lambda q=query: ws.search("chats", q))[0] for _ in range(5)]
        worst = max(times)
        rows.append((f"search {label}", f"median {statistics.median(times) * 1000:.0f} ms, max {worst * 1000:.0f} ms",
                     "<= 200 ms", verdict(worst <= TARGETS["search"])))
    return rows


def bench_audit(size: int, seed: int) -> list[Row]:
    """A full audit of a fresh version, then a re-audit after changing 1% of the entries."""
    ws = fresh_workspace(f"ws-audit-{size}")
    ws.import_files([dataset(size, seed)], "chats")
    full, full_main, full_workers, report = cpu_timed(lambda: ws.audit("chats"))
    change_one_percent(ws, "chats", size, seed)
    again, again_main, again_workers, _ = cpu_timed(lambda: ws.audit("chats"))
    ratio = again / full
    cpu_ratio = (again_main + again_workers) / (full_main + full_workers)
    repeat, repeat_main, _, _ = cpu_timed(lambda: ws.audit("chats"))  # every result cached: the fixed part
    ws.close()
    return [(f"full audit {size:,} (cold cache)", f"{full:.1f} s ({report.summary.findings:,} findings; CPU "
             f"{full_main:.1f} s main process + {full_workers:.1f} s workers)", "", ""),
            ("re-audit after 1% changed", f"{again:.1f} s = {ratio:.1%} of full (CPU {again_main:.1f} s + "
             f"{again_workers:.1f} s = {cpu_ratio:.1%} of full)", "<= 10%", verdict(ratio <= TARGETS["reaudit"])),
            ("re-audit again (all cached: dataset checks only)", f"{repeat:.1f} s = {repeat / full:.1%} of full "
             f"(CPU {repeat_main:.1f} s = {repeat_main / (full_main + full_workers):.1%})", "", "")]


def table(rows: list[Row]) -> str:
    lines = ["| measure | result | target | verdict |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="conversations for the store figures")
    parser.add_argument("--audit-size", type=int, default=100_000, help="conversations for the audit ratio")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="10,000 conversations for everything (smoke test)")
    parser.add_argument("--skip-audit", action="store_true", help="leave out the audit figures")
    parser.add_argument("--audit-only", action="store_true", help="only the audit figures (full audit, re-audit)")
    args = parser.parse_args(argv)
    size, audit_size = (10_000, 10_000) if args.quick else (args.size, args.audit_size)
    OUT.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    where = machine()
    rows = [] if args.audit_only else bench_store(size, args.seed)
    if rows:
        print(table(rows), file=sys.stderr, flush=True)  # kept even if the audit part fails
    if not args.skip_audit:
        rows += bench_audit(audit_size, args.seed)
    command = "python bench/workspace.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    print("\n".join([f"### Workspace, {started}", "", f"- command: `{command}`", f"- machine: {where}",
                     f"- revision: {revision()}", "", table(rows)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
