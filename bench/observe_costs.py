"""Cost of every dataset check's observe and finish over a workspace's cached summaries.

    python bench/observe_costs.py dump [--workspace bench/out/ws-audit-100000] [--dataset chats]
    python bench/observe_costs.py run [--only RP004,RP002] [--repeat 3]

``dump`` audits the dataset's latest version (so every result is cached under the current
checks; ``bench/workspace.py --audit-only`` makes the 100k workspace) and writes each dataset
check's column of summaries, in version order, to ``bench/out/observe-columns.marshal``.
``run`` feeds each check its column in chunks of 2,000 (as a workspace audit does), times
``observe_many`` and ``finish`` with this thread's CPU clock (the least of ``--repeat`` runs), and
prints a digest of each check's findings: compare it before and after a change to a check, it
must not move unless the findings are meant to. What a re-audit of a version costs beyond
reading and decoding is the total.
"""

from __future__ import annotations

import argparse
import hashlib
import marshal
import time
from pathlib import Path

from threadsmith.checks import EntryRef, build_checks
from threadsmith.checks.profile import CheckContext

OUT = Path(__file__).parent / "out" / "observe-columns.marshal"


def dump(workspace: str, dataset: str) -> None:
    """Write every dataset check's column of cached summaries (and the kind) to :data:`OUT`."""
    from threadsmith.store.audit_cache import load_summaries
    from threadsmith.workspace import Workspace, auditing

    with Workspace.open(workspace, create=False) as ws:
        ws.audit(dataset)
        row = ws.dataset(dataset)
        version = ws.store.versions.resolve(row, None)
        plan = auditing.plan_checks(ws.config, auditing.detect_version_kind(ws.store, row, version, ws.config))
        source = auditing.ResultSource(ws.store, plan)
        codes = [c.code for c in plan.checks.dataset]
        columns: list[list] = [[] for _ in codes]
        contents: list[int] = []
        for chunk in ws.store.audit.entry_results(source.config_id, row.id, version, 2000):
            for entry in chunk:
                contents.append(entry[0])
                summaries = load_summaries(entry[5])
                for d, column in enumerate(columns):
                    column.append(summaries[d] if summaries else None)
    OUT.write_bytes(marshal.dumps({"codes": codes, "kind": plan.context.kind, "columns": columns,
                                   "contents": contents}, 4))
    print(f"{len(columns[0]) if columns else 0:,} entries x {len(codes)} dataset checks -> {OUT}")


def _reader(workspace: str, contents: list[int]):
    """What a workspace lends the checks that read entries back (RP004): entries by ordinal."""
    from threadsmith.workspace import Workspace
    from threadsmith.workspace.observation import _reader

    ws = Workspace.open(workspace, create=False)
    return _reader(ws.store, contents)


def run(only: set[str], repeat: int, workspace: str) -> None:
    """Time each check over its column; print observe and finish CPU seconds and a findings digest
    (the time to read entries back, for a check that does, is counted in its finish)."""
    data = marshal.loads(OUT.read_bytes())
    codes, kind, columns = data["codes"], data["kind"], data["columns"]
    size = len(columns[0]) if columns else 0
    refs = [EntryRef("bench", i, f"entry-{i}", None) for i in range(size)]
    total_observe = total_finish = 0.0
    for d, code in enumerate(codes):
        if only and code not in only:
            continue
        best_observe = best_finish = float("inf")
        for _ in range(repeat):
            check = build_checks((code,), context=CheckContext(kind=kind)).dataset[0]
            if type(check).recalls:
                check.recall = _reader(workspace, data["contents"])
            started = time.thread_time()
            for lo in range(0, size, 2000):
                check.observe_many(columns[d][lo:lo + 2000], refs[lo:lo + 2000])
            observed = time.thread_time()
            hits = list(check.finish())
            finished = time.thread_time()
            best_observe = min(best_observe, observed - started)
            best_finish = min(best_finish, finished - observed)
        digest = hashlib.sha256(repr(sorted((str(h.ref), h.message, h.message_index) for h in hits)).encode())
        total_observe += best_observe
        total_finish += best_finish
        print(f"{code:6s} observe {best_observe:6.3f} s  finish {best_finish:6.3f} s  "
              f"findings {len(hits):6,}  digest {digest.hexdigest()[:12]}")
    print(f"total  observe {total_observe:6.3f} s  finish {total_finish:6.3f} s ({size:,} entries, kind {kind})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["dump", "run"])
    parser.add_argument("--workspace", default=str(Path(__file__).parent / "out" / "ws-audit-100000"))
    parser.add_argument("--dataset", default="chats")
    parser.add_argument("--only", default="", help="comma-separated codes")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if args.what == "dump":
        dump(args.workspace, args.dataset)
    else:
        run(set(filter(None, args.only.split(","))), max(1, args.repeat), args.workspace)


if __name__ == "__main__":
    main()
