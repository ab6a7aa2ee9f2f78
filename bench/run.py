"""Audit throughput and peak memory on synthetic datasets (``make bench``).

    python bench/run.py [--sizes 10000,100000,1000000] [--quick] [--seed 0] [--timeout S]

For each size, a dataset is generated once by ``bench/generate.py`` and cached in ``bench/out/``
(keyed by size, seed and the generator's source). Then three runs, each in a fresh child process,
timed from spawn to exit, with the child's peak RSS from ``os.wait4``:

- ``baseline``: ``orjson.loads`` over every line, the floor of parsing;
- ``structure``: ``threadsmith audit FILE --format json --exit-zero --select ST,RP001`` (parse,
  structural checks and exact duplicates: the Foundation issue);
- ``all checks``: ``threadsmith audit FILE --format json --exit-zero`` (the Quality issue).

It prints a table with the targets (structure >= 20,000 conversations/s, and 1M in < 120 s with
peak RSS < 1.5 GB; all checks >= 8,600 conversations/s, and 1M in <= 180 s with peak RSS <= 2 GB),
then a Markdown snippet for bench/RESULTS.md. ``--runs`` picks runs (e.g. ``--runs structure`` at
1M). It exits 1 when a run fails, and with ``--strict`` also when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
ST_RATE_TARGET = 20_000  # conversations/s, parse + structural checks (Foundation)
ST_SECONDS_TARGET = 120.0  # structure on 1M conversations
ST_RSS_TARGET_MB = 1536.0  # 1.5 GB
ALL_RATE_TARGET = 8_600  # conversations/s with every check on (Quality)
ALL_SECONDS_TARGET = 180.0  # all checks on 1M conversations
ALL_RSS_TARGET_MB = 2048.0  # 2 GB
TARGET_SIZE = 1_000_000
RUNS = {"baseline": None, "structure": ["--select", "ST,RP001"], "all": []}

AUDIT = [sys.executable, "-c", "from threadsmith.cli import main; main()", "audit"]
#: Starts one child, waits for it with os.wait4 and prints its wall time, CPU time and peak RSS.
LAUNCHER = """
import json, os, subprocess, sys, threading, time
cmd, timeout, out_path, err_path, cwd = json.loads(sys.argv[1]), float(sys.argv[2]), *sys.argv[3:6]
killed = []
with open(out_path, "wb") as out, open(err_path, "wb") as err:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
    timer = threading.Timer(timeout, lambda: (killed.append(1), proc.kill())) if timeout > 0 else None
    if timer:
        timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if timer:
        timer.cancel()
proc.returncode = os.waitstatus_to_exitcode(status)
print(json.dumps({"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "maxrss_kb": usage.ru_maxrss, "returncode": proc.returncode, "timed_out": bool(killed)}))
"""
BASELINE = """
import sys, orjson
loads, n = orjson.loads, 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        if line.strip():
            loads(line)
            n += 1
print(n)
"""


@dataclass(frozen=True, slots=True)
class Run:
    """One measured child process."""

    size: int
    name: str
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    returncode: int
    conversations: int | None = None
    findings: int | None = None
    error: str | None = None

    @property
    def rate(self) -> float:
        return self.size / self.seconds if self.seconds > 0 else float("inf")


# -- data ----------------------------------------------------------------------------------------

def dataset(size: int, seed: int) -> Path:
    """The cached dataset for ``size`` and ``seed``, generated when missing or stale."""
    version = hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()[:8]
    path = OUT / f"chat-{size}-s{seed}-{version}.jsonl"
    if path.exists():
        return path
    for old in OUT.glob(f"chat-{size}-s{seed}-*.jsonl"):
        old.unlink()  # made by an older generator
    started = time.perf_counter()
    generate(size, path, seed=seed)
    mb = path.stat().st_size / 1e6
    print(f"generated {size:,} conversations ({mb:,.0f} MB) in {time.perf_counter() - started:.1f} s: {path}",
          file=sys.stderr)
    return path


# -- measuring -----------------------------------------------------------------------------------

def measure(cmd: list[str], size: int, name: str, timeout: float | None) -> tuple[Run, Path]:
    """Run ``cmd`` in a fresh process; wall time, CPU time and peak RSS of that child only.

    A small launcher process starts the child and reads its rusage with ``os.wait4``. Linux
    counts the RSS of the process that forks a child toward the child's ``ru_maxrss`` (the
    forked or vfork-shared memory is recorded at exec), so the child must not be forked from
    this process, which may be large after generating data.
    """
    stdout = OUT / f"last-{name.replace(' ', '-')}.out"
    stderr = stdout.with_suffix(".err")
    launch = [sys.executable, "-c", LAUNCHER, json.dumps(cmd), str(timeout or 0), str(stdout), str(stderr), str(ROOT)]
    done = subprocess.run(launch, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the benchmark launcher failed: {done.stderr.strip()}")
    result = json.loads(done.stdout)
    code = result["returncode"]
    error = None
    if code != 0:
        tail = stderr.read_text(errors="replace").strip().splitlines()[-3:]
        error = ("killed after timeout" if result["timed_out"] else f"exit {code}") + (": " + " | ".join(tail) if tail else "")
    run = Run(size, name, result["seconds"], result["cpu_seconds"], result["maxrss_kb"] / 1024, code, error=error)
    return run, stdout


def audit_run(path: Path, size: int, name: str, extra: list[str], timeout: float | None) -> Run:
    run, stdout = measure([*AUDIT, str(path), "--format", "json", "--exit-zero", *extra], size, name, timeout)
    if run.returncode == 0:
        summary = json.loads(stdout.read_bytes())["summary"]
        run = replace(run, conversations=summary["conversations"], findings=summary["findings"])
    return run


def baseline_run(path: Path, size: int, timeout: float | None) -> Run:
    run, stdout = measure([sys.executable, "-c", BASELINE, str(path)], size, "baseline", timeout)
    if run.returncode == 0:
        run = replace(run, conversations=int(stdout.read_text().strip() or 0))
    return run


# -- report --------------------------------------------------------------------------------------

def verdict(run: Run) -> str:
    """Pass/fail against the target that applies to this run."""
    if run.error:
        return "ERROR"
    if run.name == "structure":
        return _target(run, ST_RATE_TARGET, ST_SECONDS_TARGET, ST_RSS_TARGET_MB)
    if run.name == "all checks":
        return _target(run, ALL_RATE_TARGET, ALL_SECONDS_TARGET, ALL_RSS_TARGET_MB)
    return ""


def _target(run: Run, rate: float, seconds: float, rss_mb: float) -> str:
    ok = run.rate >= rate
    said = f">= {rate:,.0f}/s"
    if run.size >= TARGET_SIZE:
        ok = ok and run.seconds <= seconds and run.peak_rss_mb <= rss_mb
        said += f"; 1M <= {seconds:.0f} s, <= {rss_mb / 1024:.1f} GB"
    return f"{'PASS' if ok else 'FAIL'} ({said})"


def table(runs: list[Run]) -> str:
    base = {r.size: r for r in runs if r.name == "baseline" and not r.error}
    head = "| size | run | seconds | cpu s | conv/s | peak RSS MB | x baseline | findings | target |"
    rows = [head, "|" + "---|" * 9]
    for r in runs:
        b = base.get(r.size)
        ratio = f"{r.seconds / b.seconds:.1f}" if b and r.name != "baseline" and not r.error else ""
        findings = f"{r.findings:,}" if r.findings is not None else ""
        rows.append(f"| {r.size:,} | {r.name} | {r.seconds:.2f} | {r.cpu_seconds:.2f} | {r.rate:,.0f} | "
                    f"{r.peak_rss_mb:,.0f} | {ratio} | {findings} | {verdict(r)} |")
        if r.error:
            rows.append(f"|  | error: {r.error} | | | | | | | |")
    return "\n".join(rows)


def machine() -> str:
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"{os.cpu_count()} cores, {mem} memory, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, load average at start {load}")


def revision() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + (" + uncommitted changes" if dirty else "") if out.returncode == 0 else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def snippet(command: str, runs: list[Run], started: str, load: str) -> str:
    return "\n".join([
        f"### {started}",
        "",
        f"- command: `{command}`",
        f"- machine: {load}",
        f"- revision: {revision()}",
        "",
        table(runs),
    ])


# -- main ----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="comma-separated sizes (default: 10000,100000,1000000)")
    parser.add_argument("--quick", action="store_true", help="10,000 conversations only (smoke test)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--timeout", type=float, default=None, help="kill a run after this many seconds")
    parser.add_argument("--runs", default="baseline,structure,all",
                        help="comma-separated runs among baseline, structure, all (default: all three)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed (errors always exit 1)")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")] if args.sizes else list(DEFAULT_SIZES)
    if args.quick:
        sizes = [10_000]
    OUT.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    where = machine()
    runs: list[Run] = []
    for size in sizes:
        path = dataset(size, args.seed)
        for key in [r.strip() for r in args.runs.split(",") if r.strip()]:
            if key not in RUNS:
                parser.error(f"unknown run {key!r}: choose among {', '.join(RUNS)}")
            name, extra = ("all checks" if key == "all" else key), RUNS[key]
            print(f"{size:>9,}  {name} ...", file=sys.stderr, flush=True)
            run = baseline_run(path, size, args.timeout) if extra is None else audit_run(path, size, name, extra, args.timeout)
            if run.conversations is not None and run.conversations != size:
                print(f"  note: {run.conversations:,} conversations read, expected {size:,}", file=sys.stderr)
            runs.append(run)
    print()
    print(table(runs))
    errors = any(r.error for r in runs)
    missed = any(v.startswith("FAIL") for v in map(verdict, runs))
    command = "python bench/run.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    print("\nFor bench/RESULTS.md:\n")
    print(snippet(command, runs, started, where))
    return 1 if errors or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
