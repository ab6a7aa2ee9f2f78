"""Export benchmark: seconds and peak RSS of ``threadsmith export`` on the bench conversations.

    python bench/export.py [--size 100000] [--targets openai,trl,hf] [--split 0.9,0.05,0.05] [--tokenizer T]

Each run is a child process (``threadsmith export FILE -o DIR --to T --split S --seed 0``),
timed from spawn to exit, with its peak RSS from ``os.wait4``. A ``read`` baseline (parse
every record into conversations) runs first, so each export is also given as a ratio to it;
one ``openai`` run without a split shows what the split's first pass costs. The input is the
cached ``bench/out/chat-SIZE-s0-*.jsonl`` (``bench/generate.py`` makes it).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
READ = ("from threadsmith.formats import read_file; import sys; "
        "print(sum(1 for _ in read_file(sys.argv[1])))")
EXPORT = "from threadsmith.cli import main; main()"


@dataclass(frozen=True)
class Run:
    name: str
    seconds: float
    peak_rss_mb: float
    ok: bool


def measure(name: str, args: list[str]) -> Run:
    """Run one child; wall seconds and peak RSS (MB)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if status != 0:
        print(f"{name} failed:\n{err[-2000:]}", file=sys.stderr)
    return Run(name, seconds, usage.ru_maxrss / 1024, status == 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--targets", default="openai,trl,hf")
    parser.add_argument("--split", default="0.9,0.05,0.05")
    parser.add_argument("--tokenizer", help="Also time an openai export with exact token counts from this tokenizer.")
    args = parser.parse_args()
    found = sorted((HERE / "out").glob(f"chat-{args.size}-s0-*.jsonl"))
    if not found:
        sys.exit(f"No bench/out/chat-{args.size}-s0-*.jsonl: run bench/generate.py first.")
    data = str(found[0])
    out = Path(tempfile.mkdtemp(prefix="threadsmith-export-bench-"))
    runs = [measure("read (baseline)", ["-c", READ, data])]
    try:
        runs.append(measure("openai, no split", ["-c", EXPORT, "export", data, "-o", str(out / "plain"),
                                                 "--to", "openai"]))
        for target in args.targets.split(","):
            runs.append(measure(f"{target} + split {args.split}", ["-c", EXPORT, "export", data, "-o",
                                                                   str(out / target), "--to", target,
                                                                   "--split", args.split, "--seed", "0"]))
        if args.tokenizer:
            runs.append(measure("openai, no split, --tokenizer", ["-c", EXPORT, "export", data, "-o", str(out / "tok"),
                                                                  "--to", "openai", "--tokenizer", args.tokenizer]))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    base = runs[0].seconds
    print(f"{args.size:,} conversations ({os.path.getsize(data) / 1e6:,.0f} MB), {os.cpu_count()} cores, "
          f"{platform.platform()}, {time.strftime('%Y-%m-%d')}")
    print("| run | seconds | conversations/s | x read | peak RSS MB |\n|---|---:|---:|---:|---:|")
    for run in runs:
        rate = args.size / run.seconds if run.seconds else 0
        flag = "" if run.ok else " FAILED"
        print(f"| {run.name}{flag} | {run.seconds:.1f} | {rate:,.0f} | {run.seconds / base:.1f} | {run.peak_rss_mb:,.0f} |")
    sys.exit(0 if all(r.ok for r in runs) else 1)


if __name__ == "__main__":
    main()
