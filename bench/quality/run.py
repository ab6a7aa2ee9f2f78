"""Quality benchmark runner: inject labelled defects, audit with every check, score per family.

    python bench/quality/run.py [--seed 7] [--limit N] [--rounds 2] [--episodes 20] [--json OUT] [--keep DIR]

Sources: ../shared/data/gpteacher-roleplay.json (real GPT-4 roleplay replies; skipped with a
message when absent) and the shipped clean examples (roleplay-lighthouse, assistant-chat).
Prints the per-family table with the targets, recall per injected kind, the low-variation
cases, and for every family that misses a target five missed injections and five false
positives.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from threadsmith.audit import audit  # noqa: E402
from threadsmith.config import Config  # noqa: E402
from threadsmith.formats import read_file, write_jsonl  # noqa: E402
from threadsmith.model import Conversation  # noqa: E402

from bench.quality import lowvar  # noqa: E402
from bench.quality.injector import FAMILIES, inject  # noqa: E402
from bench.quality.measure import TARGET_CLEAN_RATE, TARGET_RECALL, Tally  # noqa: E402

REAL = ROOT.parent / "shared" / "data" / "gpteacher-roleplay.json"
EXAMPLES = ROOT / "src" / "threadsmith" / "examples"
CLEAN_EXAMPLES = ("roleplay-lighthouse.jsonl", "assistant-chat.jsonl")
CONFIG = Config(fail_on="never")


def load(path: Path) -> list[Conversation]:
    return [c for c in read_file(str(path)) if isinstance(c, Conversation)]


def audit_set(entries, folder: Path, name: str, labels=None, keep: Path | None = None):
    path = (keep or folder) / f"{name}.jsonl"
    write_jsonl(entries, path, fmt="openai")
    if keep is not None and labels is not None:
        labels.write_labels(keep / f"{name}.labels.jsonl")
    return audit([path], config=CONFIG)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--limit", type=int, default=None, help="use N real source conversations")
    parser.add_argument("--rounds", type=int, default=3, help="labelled sets built from the real data (seeds differ)")
    parser.add_argument("--episodes", type=int, default=30, help="labelled sets per example file (3 defects each)")
    parser.add_argument("--rate", type=float, default=0.14, help="share of real entries given a defect per round")
    parser.add_argument("--examples", type=int, default=5, help="misses and false positives shown per failing family")
    parser.add_argument("--json", dest="json_out", default=None, help="write the figures to this JSON file")
    parser.add_argument("--keep", default=None, help="keep the labelled JSONL files (and labels) in this folder")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    keep = Path(args.keep) if args.keep else None
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    tally = Tally(FAMILIES)
    skipped: dict[str, int] = {}
    real: list[Conversation] = []
    with tempfile.TemporaryDirectory(prefix="threadsmith-quality-") as tmp:
        folder = Path(tmp)
        if REAL.is_file():
            real = load(REAL)
            if args.limit:
                real = real[:args.limit]
            for r in range(args.rounds):
                labelled = inject(real, args.seed * 1000 + r, rate=args.rate)
                report = audit_set(labelled.entries, folder, f"gpteacher-r{r}", labelled, keep)
                tally.add("gpteacher", labelled.entries, labelled.labels, report.findings)
                _merge(skipped, labelled.skipped)
        else:
            print(f"NOTE: {REAL} not found: the real-data part is skipped (example data only).\n")
        examples = {name: load(EXAMPLES / name) for name in CLEAN_EXAMPLES}
        for name, convs in examples.items():
            for e in range(args.episodes):
                fams = [FAMILIES[(3 * e + k) % len(FAMILIES)] for k in range(3)]
                labelled = inject(convs, args.seed * 1000 + 500 + e, rate=0.12, families=fams)
                stem = f"{name.split('.')[0]}-e{e}"
                report = audit_set(labelled.entries, folder, stem, labelled, keep)
                tally.add(name.split(".")[0], labelled.entries, labelled.labels, report.findings)
                _merge(skipped, labelled.skipped)
        lv_rows = []
        for case in lowvar.cases(real, {"assistant-chat-24": examples["assistant-chat.jsonl"]}, args.seed):
            report = audit_set(case.conversations, folder, f"lv-{case.name}", None, keep)
            codes = sorted({f.code for f in report.findings if f.family.value == "low-variation"})
            ok = bool(codes) == case.expect_flag
            lv_rows.append({"case": case.name, "expect_flag": case.expect_flag, "required": case.required,
                            "codes": codes, "pass": ok, "note": case.note,
                            "other_codes": sorted({f.code for f in report.findings if f.entry_index is None
                                                   and f.family.value != "low-variation"})})

    figures = tally.figures()
    print_report(figures, tally, lv_rows, skipped, args)
    print(f"\n{len(real)} real conversations, {args.rounds} rounds; {args.episodes} episodes per example file; "
          f"seed {args.seed}; {time.perf_counter() - started:.1f}s")
    if args.json_out:
        payload = {"seed": args.seed, "limit": args.limit, "rounds": args.rounds, "episodes": args.episodes,
                   "rate": args.rate, "targets": {"recall": TARGET_RECALL, "clean_flag_rate": TARGET_CLEAN_RATE},
                   "families": figures, "low_variation": lv_rows, "skipped_events": skipped,
                   "dataset_level_findings": {s: dict(c) for s, c in tally.dataset_findings.items()},
                   "check_crashes": dict(tally.crashes)}
        Path(args.json_out).write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0


def _merge(into: dict[str, int], more: dict[str, int]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v


def _pct(x: float | None) -> str:
    return "   -" if x is None else f"{x:5.2f}"


def print_report(figures: dict, tally: Tally, lv_rows: list[dict], skipped: dict, args) -> None:
    print(f"Per family (targets: recall >= {TARGET_RECALL}, clean flag rate <= {TARGET_CLEAN_RATE})")
    head = f"{'family':16} {'events':>6} {'recall':>6} {'loc':>5} {'flagged':>7} {'prec':>5} {'fp clean/other':>14} " \
           f"{'clean rate':>10}  result"
    print(head)
    print("-" * len(head))
    for family, f in figures.items():
        rate = f["clean_flag_rate"]
        print(f"{family:16} {f['events']:6d} {_pct(f['recall']):>6} {_pct(f['located']):>5} {f['flagged_entries']:7d} "
              f"{_pct(f['precision']):>5} {f['fp_on_clean']:>7d}/{f['fp_on_other_injected']:<6d} "
              f"{'-' if rate is None else f'{rate:.4f}':>10}  {f['pass']}")
    lv_ok = all(r["pass"] for r in lv_rows if r["required"])
    print(f"{'low-variation':16} {'(dataset cases below)':>49}  {'PASS' if lv_ok else 'FAIL'}")
    print(f"\nclean entries scored: {tally.clean_entries}")

    print("\nRecall per injected kind")
    for family, f in figures.items():
        cells = [f"{k} {v['detected']}/{v['events']}" for k, v in f["by_kind"].items()]
        print(f"  {family:16} " + "; ".join(cells))
        if f["clean_flags_by_code"]:
            print(f"  {'':16} clean entries flagged by: {f['clean_flags_by_code']}")
        if f["flags_on_other_families"]:
            print(f"  {'':16} flags on entries injected with: {f['flags_on_other_families']}")
        if f["catchphrase_carriers"]:
            c = f["catchphrase_carriers"]
            print(f"  {'':16} catchphrase carriers flagged: {c['flagged']}/{c['entries']}")

    print("\nBy source (recall / clean flag rate)")
    sources = sorted({s for f in figures.values() for s in f["by_source"]})
    print(f"  {'family':16} " + " ".join(f"{s:>28}" for s in sources))
    for family, f in figures.items():
        cells = []
        for s in sources:
            v = f["by_source"].get(s, {"events": 0, "detected": 0, "clean_flagged": 0, "clean_entries": 0})
            rec = f"{v['detected']}/{v['events']}"
            cr = v["clean_flagged"] / v["clean_entries"] if v["clean_entries"] else 0.0
            cells.append(f"{rec:>12} {cr:8.4f}      ")
        print(f"  {family:16} " + " ".join(f"{c:>28}" for c in cells))

    print("\nLow-variation dataset cases")
    for r in lv_rows:
        expect = "must flag" if r["expect_flag"] else "must not"
        req = "" if r["required"] else " (extra)"
        print(f"  {r['case']:24} {expect:10} LV codes: {', '.join(r['codes']) or '-':24} "
              f"{'PASS' if r['pass'] else 'FAIL'}{req}   other dataset-level: {', '.join(r['other_codes']) or '-'}")

    if tally.crashes:
        print(f"\nWARNING: checks crashed (findings not scored): {dict(tally.crashes)}")
    if skipped:
        print(f"\nEvents that found nothing to break (skipped): {skipped}")
    levels = {s: dict(c) for s, c in tally.dataset_findings.items()}
    if levels:
        print(f"Dataset-level findings on the labelled sets: {levels}")

    failing = [fam for fam, f in figures.items() if f["pass"] == "FAIL"]
    for family in failing:
        misses, fps = tally.examples(family, args.examples, args.seed)
        f = figures[family]
        print(f"\n== {family}: recall {_pct(f['recall'])}, clean flag rate {f['clean_flag_rate']:.4f}")
        if f["codes_on_missed"]:
            print(f"   codes found on missed entries (other families): {dict(list(f['codes_on_missed'].items())[:8])}")
        if misses:
            print("   missed injections:")
            for ex in misses:
                print(f"     [{ex.source} #{ex.entry_index}] {ex.kind}: {ex.text[:330]}")
        if fps:
            print("   false positives on clean entries:")
            for ex in fps:
                print(f"     [{ex.source} #{ex.entry_index}] {ex.kind}: {ex.text[:230]}")


if __name__ == "__main__":
    raise SystemExit(main())
