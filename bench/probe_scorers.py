"""Precision and recall of each probe scorer on its hand-labelled replies (tests/probe/labelled).

    .venv/bin/python bench/probe_scorers.py            # a table; --markdown for bench/RESULTS.md
    .venv/bin/python bench/probe_scorers.py --corpus /work/shared/data/gpteacher-roleplay.json --show 20
                                    # precision on real in-character text: how many replies each flags

A case is positive when a careful reader judged the behavior failed (``bad: true``); the scorer
flags it when its check does not pass. The "dev" sets were read while the scorers were tuned, so
their figures are optimistic; the "held-out" sets (holdout_*.yaml) were written afterwards and
not used for tuning: trust those more.

Most files hold one reply per case; the file format (a check type, a default context and args,
cases) is described in threadsmith.probe.validation, including the validation-only kinds:
``format.verifiable`` (each case names its own check), ``overuse.distinct_n`` and
``overuse.introduced`` (a case is base and tuned replies to the same prompts),
``forgetting.answer_changed`` (a base and a tuned reply to one multiple-choice question) and
``forgetting.extract_choice`` (a reply and the index of the choice it gives; scored as retrieval,
so "bad" counts the cases with an answer). KL from the base is a measurement, not a decision:
it has no labelled set.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from threadsmith.probe.validation import validate_file  # noqa: E402


def corpus_flags(path: Path, show: int) -> None:
    """Run the assistant-talk and agency scorers over an instruction/output JSON list (GPTeacher
    roleplay: in-character replies, so every flag is a false alarm or a real break to read)."""
    import json
    import random

    from threadsmith.probe.scores import agency, role
    from threadsmith.probe.scores.outcome import ReplyContext
    from threadsmith.probe.suite import ChatMessage

    rows = json.loads(path.read_text(encoding="utf-8"))
    for name, scorer in (("role.no_assistant_speak", role.assistant_speak),
                         ("agency.no_user_narration", agency.user_agency)):
        flagged = []
        for i, row in enumerate(rows):
            prompt = row["instruction"] + ("\n" + row["input"] if row.get("input") else "")
            outcome = scorer(row["output"], ReplyContext(history=(ChatMessage("user", prompt),)))
            if outcome.passed is False:
                flagged.append((i, outcome.detail))
        print(f"{name:28} flags {len(flagged)} of {len(rows)} replies")
        for i, detail in random.Random(1).sample(flagged, min(show, len(flagged))):
            print(f"    #{i} {detail[:70]} | {rows[i]['output'][:90]!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--errors", action="store_true", help="list the cases each scorer gets wrong")
    parser.add_argument("--corpus", type=Path, help="instead: flag counts on a JSON list of in-character replies")
    parser.add_argument("--show", type=int, default=0, help="with --corpus: print a sample of this many flags")
    args = parser.parse_args()
    if args.corpus:
        corpus_flags(args.corpus, args.show)
        return 0
    paths = sorted((ROOT / "tests" / "probe" / "labelled").glob("*.yaml"),
                   key=lambda p: (p.stem.startswith("holdout"), p.stem))
    rows = [("held-out" if p.stem.startswith("holdout") else "dev", validate_file(p)) for p in paths]
    if args.markdown:
        print("| scorer | set | file | cases | bad | precision | recall |\n|---|---|---|---|---|---|---|")
        for (kind, v), p in zip(rows, paths, strict=True):
            precision = f"{v.precision:.2f}" if v.true_positives + v.false_positives else "n/a (none flagged)"
            print(f"| `{v.check}` | {kind} | {p.stem} | {v.cases} | {v.bad} | {precision} | {v.recall:.2f} |")
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
