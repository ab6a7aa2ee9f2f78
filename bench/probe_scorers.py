"""Precision and recall of each probe scorer on its hand-labelled replies (tests/probe/labelled).

    .venv/bin/python bench/probe_scorers.py            # a table; --markdown for bench/RESULTS.md

A case is positive when a careful reader judged the behavior failed (``bad: true``); the scorer
flags it when its check does not pass. The "dev" sets were read while the scorers were tuned, so
their figures are optimistic; the "held-out" sets (holdout_*.yaml) were written afterwards and
not used for tuning: trust those more.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from threadsmith.probe.validation import validate_file  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--errors", action="store_true", help="list the cases each scorer gets wrong")
    args = parser.parse_args()
    paths = sorted((ROOT / "tests" / "probe" / "labelled").glob("*.yaml"),
                   key=lambda p: (p.stem.startswith("holdout"), p.stem))
    rows = [("held-out" if p.stem.startswith("holdout") else "dev", validate_file(p)) for p in paths]
    if args.markdown:
        print("| scorer | set | cases | bad | precision | recall |\n|---|---|---|---|---|---|")
        for kind, v in rows:
            print(f"| `{v.check}` | {kind} | {v.cases} | {v.bad} | {v.precision:.2f} | {v.recall:.2f} |")
    else:
        print(f"{'scorer':28} {'set':8} {'cases':>5} {'bad':>4} {'precision':>9} {'recall':>6}")
        for kind, v in rows:
            print(f"{v.check:28} {kind:8} {v.cases:5} {v.bad:4} {v.precision:9.2f} {v.recall:6.2f}")
            if args.errors:
                for index, label, flagged, detail in v.errors:
                    kind = "missed" if label else "false alarm"
                    print(f"    case {index}: {kind} {detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
