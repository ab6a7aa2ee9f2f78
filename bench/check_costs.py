"""Cost of every check in microseconds per conversation, to find what to optimize.

    python bench/check_costs.py DATA.jsonl [--kind roleplay] [--top 40] [--select RP,CT] [--repeat 3]
                                           [--clock cpu]

Times ``view()`` (the shared text cache), each conversation check's ``check()``, and each
dataset check's ``summarize()``, then, per chunk of ``CHUNK_LINES`` conversations as a worker
and the main process do them, its ``settle()`` and ``observe_many()``, and at the end ``finish()``;
in one process. The total is the CPU a worker + the main process spend per conversation on checks
(reading and pickling excluded). With ``--repeat``, each figure is the least of the runs: the
machine is shared, and the least is the figure the least disturbed by other work. ``--clock cpu``
times with this thread's CPU time (``time.thread_time``) instead of the wall clock
(``time.perf_counter``): other processes on a shared machine then disturb the figures less.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections import defaultdict

from threadsmith.checks import EntryRef, build_checks
from threadsmith.checks import text as shared_text
from threadsmith.checks.profile import CheckContext
from threadsmith.formats import read_file
from threadsmith.model import Conversation
from threadsmith.workers import CHUNK_LINES


CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}


def measure(convs: list[Conversation], path: str, kind: str, select: tuple[str, ...],
            clock=time.perf_counter) -> dict[str, float]:
    """Seconds spent in each step over all conversations (one run), as ``clock`` counts them."""
    checks = build_checks(select, context=CheckContext(kind=kind))
    costs: dict[str, float] = defaultdict(float)
    for start in range(0, len(convs), CHUNK_LINES):
        chunk = convs[start:start + CHUNK_LINES]
        rows = []
        for conversation in chunk:
            t = clock()
            shared_text.view(conversation)
            costs["view()"] += clock() - t
            for check in checks.conversation:
                t = clock()
                list(check.check(conversation))
                costs[check.code] += clock() - t
            row = []
            for check in checks.dataset:
                t = clock()
                row.append(check.summarize(conversation))
                costs[f"{check.code}.summarize"] += clock() - t
            rows.append(row)
        refs = [EntryRef(path, start + i, c.id, None) for i, c in enumerate(chunk)]
        for d, check in enumerate(checks.dataset):
            column = [row[d] for row in rows]
            t = clock()
            column = check.settle(column)
            costs[f"{check.code}.settle"] += clock() - t
            t = clock()
            check.observe_many(column, refs)
            costs[f"{check.code}.observe"] += clock() - t
    for check in checks.dataset:
        t = clock()
        list(check.finish())
        costs[f"{check.code}.finish"] += clock() - t
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("path")
    parser.add_argument("--kind", default="roleplay")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--select", default="")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall: time.perf_counter; cpu: time.thread_time (less disturbed by other work)")
    args = parser.parse_args()
    convs = [c for c in read_file(args.path) if isinstance(c, Conversation)]
    gc.collect()
    gc.freeze()  # the conversations held here are no worker's garbage to scan
    select = tuple(s for s in args.select.split(",") if s)
    runs = [measure(convs, args.path, args.kind, select, CLOCKS[args.clock]) for _ in range(max(1, args.repeat))]
    costs = {name: min(run[name] for run in runs) for name in runs[0]}
    n = max(1, len(convs))
    total = sum(costs.values())
    print(f"{len(convs)} conversations ({args.kind}): {total / n * 1e6:.0f} us per conversation on checks "
          f"({args.clock} clock, least of {len(runs)} run{'s' if len(runs) > 1 else ''})")
    for name, seconds in sorted(costs.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"  {name:22s} {seconds / n * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
