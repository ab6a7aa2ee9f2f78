"""Cost of every check in microseconds per conversation, to find what to optimize.

    python bench/check_costs.py DATA.jsonl [--kind roleplay] [--top 40] [--select RP,CT]

Times ``view()`` (the shared text cache), each conversation check's ``check()``, and each
dataset check's ``summarize()``, ``observe()`` and ``finish()``, in one process. The total is
the CPU a worker + the main process spend per conversation on checks (reading excluded).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

from threadsmith.checks import EntryRef, build_checks
from threadsmith.checks import text as shared_text
from threadsmith.checks.profile import CheckContext
from threadsmith.formats import read_file
from threadsmith.model import Conversation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("path")
    parser.add_argument("--kind", default="roleplay")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--select", default="")
    args = parser.parse_args()
    convs = [c for c in read_file(args.path) if isinstance(c, Conversation)]
    checks = build_checks(tuple(s for s in args.select.split(",") if s), context=CheckContext(kind=args.kind))
    costs: dict[str, float] = defaultdict(float)
    clock = time.perf_counter
    started = clock()
    for index, conversation in enumerate(convs):
        t = clock()
        shared_text.view(conversation)
        costs["view()"] += clock() - t
        for check in checks.conversation:
            t = clock()
            list(check.check(conversation))
            costs[check.code] += clock() - t
        ref = EntryRef(args.path, index, conversation.id, None)
        for check in checks.dataset:
            t = clock()
            summary = check.summarize(conversation)
            costs[f"{check.code}.summarize"] += clock() - t
            t = clock()
            if summary is not None:
                check.observe(summary, ref)
            costs[f"{check.code}.observe"] += clock() - t
    for check in checks.dataset:
        t = clock()
        list(check.finish())
        costs[f"{check.code}.finish"] += clock() - t
    n = max(1, len(convs))
    print(f"{len(convs)} conversations ({args.kind}): {(clock() - started) / n * 1e6:.0f} us per conversation on checks")
    for name, seconds in sorted(costs.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"  {name:22s} {seconds / n * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
