"""Which MinHash-LSH library for near-duplicates: datasketch or rensa (DESIGN.md asks to measure).

Synthetic assistant turns (Zipf-distributed words, lognormal lengths around 120 words, 5% near
copies of earlier turns with 3% of the words replaced) go through three pipelines, each in its own
process; times are CPU seconds of that process (the figures hold on a busy machine), and the
memory figure is what the pipeline's structures keep resident after the run:

* ``datasketch``: ``MinHash(64)`` + ``MinHashLSH(threshold=0.8)``, insert then query every turn;
* ``rensa``: ``RMinHash(64)`` + ``RMinHashLSH(0.8, 64 perms, 16 bands)``, insert then query;
* ``threadsmith``: what RP002 runs (threadsmith.checks.near_duplicates): word hashes
  (features.py), their 3-gram hashes and rensa signatures made 512 turns at a time (a worker's
  chunk, settled in one call), kept as 16-bit slots; numpy banding, verification and connected
  components.

All use word 3-gram shingles (threadsmith hashes the words first, the others join them). Run::

    .venv/bin/python bench/minhash_choice.py             # 100k turns each (datasketch: 20k), extrapolated
    .venv/bin/python bench/minhash_choice.py --n 1000000 --only rensa threadsmith
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

NUM_PERM, THRESHOLD, SEED = 64, 0.8, 7


def turns(n: int, seed: int = 1) -> list[tuple[str, ...]]:
    """``n`` synthetic assistant turns as word tuples (deterministic)."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(30_000)]
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    weights /= weights.sum()
    lengths = np.clip(rng.lognormal(np.log(110), 0.6, n), 10, 600).astype(int)
    ids = rng.choice(len(vocab), size=int(lengths.sum()), p=weights)
    out: list[tuple[str, ...]] = []
    pos = 0
    for i, length in enumerate(lengths.tolist()):
        words = [vocab[j] for j in ids[pos:pos + length].tolist()]
        pos += length
        if i > 10 and rng.random() < 0.05:
            words = list(out[int(rng.integers(0, i))])
            for k in rng.choice(len(words), size=max(1, len(words) * 3 // 100), replace=False).tolist():
                words[k] = vocab[int(rng.integers(0, len(vocab)))]
        out.append(tuple(words))
    return out


def shingles(words: tuple[str, ...]) -> list[str]:
    return list(map(" ".join, zip(words, words[1:], words[2:])))


def run_datasketch(data: list[tuple[str, ...]]) -> dict[str, float]:
    from datasketch import MinHash, MinHashLSH

    t0 = time.process_time()
    sketches = []
    for words in data:
        m = MinHash(num_perm=NUM_PERM, seed=SEED)
        m.update_batch([s.encode() for s in shingles(words)])
        sketches.append(m)
    t1 = time.process_time()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    for i, m in enumerate(sketches):
        lsh.insert(i, m)
    t2 = time.process_time()
    pairs = sum(len(lsh.query(m)) - 1 for m in sketches)
    t3 = time.process_time()
    return {"signature_s": t1 - t0, "insert_s": t2 - t1, "query_s": t3 - t2, "candidates": pairs, "rss_mb": rss_mb()}


def run_rensa(data: list[tuple[str, ...]]) -> dict[str, float]:
    from rensa import RMinHash, RMinHashLSH

    t0 = time.process_time()
    sketches = []
    for words in data:
        m = RMinHash(NUM_PERM, SEED)
        m.update(shingles(words))
        sketches.append(m)
    t1 = time.process_time()
    lsh = RMinHashLSH(THRESHOLD, NUM_PERM, 16)
    for i, m in enumerate(sketches):
        lsh.insert(i, m)
    t2 = time.process_time()
    pairs = sum(len(lsh.query(m)) - 1 for m in sketches)
    t3 = time.process_time()
    return {"signature_s": t1 - t0, "insert_s": t2 - t1, "query_s": t3 - t2, "candidates": pairs, "rss_mb": rss_mb()}


def run_threadsmith(data: list[tuple[str, ...]]) -> dict[str, float]:
    from threadsmith.checks.base import EntryRef
    from threadsmith.checks.features import word_values
    from threadsmith.checks.near_duplicates import SignatureStore, cluster, settle_signatures

    t0 = time.process_time()
    store = SignatureStore()
    for start in range(0, len(data), 512):  # as the workers do: a chunk's signatures settled in one call
        chunk = data[start:start + 512]
        pending = [[word_values(words), None] for words in chunk]
        store.add_many(settle_signatures(pending), [EntryRef(None, start + k, None, None) for k in range(len(chunk))])
    t1 = time.process_time()
    sigs = store.matrix()
    labels, _ = cluster(sigs, THRESHOLD)
    t2 = time.process_time()
    clustered = int((np.bincount(labels, minlength=len(labels))[labels] > 1).sum())
    return {"signature_s": t1 - t0, "insert_s": 0.0, "query_s": t2 - t1, "candidates": clustered, "rss_mb": rss_mb()}


RUNNERS = {"datasketch": run_datasketch, "rensa": run_rensa, "threadsmith": run_threadsmith}


def rss_mb() -> float:
    """The resident set size now, in MiB."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def child(variant: str, n: int) -> None:
    data = turns(n)
    base = rss_mb()
    result = RUNNERS[variant](data)
    result.update(variant=variant, n=n, retained_mb=result.pop("rss_mb") - base,
                  peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--datasketch-n", type=int, default=20_000)
    parser.add_argument("--only", nargs="*", default=list(RUNNERS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.n)
        return
    print(f"{'variant':12} {'turns':>9} {'sign s':>8} {'insert s':>9} {'query s':>8} {'total s':>8} "
          f"{'1M est s':>9} {'kept MB':>8} {'1M est MB':>10}")
    for variant in args.only:
        n = args.datasketch_n if variant == "datasketch" else args.n
        out = subprocess.run([sys.executable, __file__, "--child", variant, "--n", str(n)],
                             capture_output=True, text=True, check=True).stdout
        r = json.loads(out)
        total = r["signature_s"] + r["insert_s"] + r["query_s"]
        print(f"{variant:12} {n:9,} {r['signature_s']:8.1f} {r['insert_s']:9.1f} {r['query_s']:8.1f} {total:8.1f} "
              f"{total * 1_000_000 / n:9.0f} {r['retained_mb']:8.0f} {r['retained_mb'] * 1_000_000 / n:10.0f}")


if __name__ == "__main__":
    main()
