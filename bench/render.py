"""Render + tokenize throughput: chat template, token ids and trained masks, with a real tokenizer.

    .venv/bin/python bench/render.py                       # 100k bench conversations, Qwen2, chatml
    .venv/bin/python bench/render.py --size 10000 --workers 2
    .venv/bin/python bench/render.py --no-word-cache       # the tokenizer's own encode_batch only

Reads the cached bench dataset (``bench/out/chat-SIZE-s0-*.jsonl``, made by ``bench/run.py`` or
``bench/generate.py``) and the Qwen2 tokenizer from ``../shared/data/tokenizers/qwen2.json.gz``.
Parsing is timed apart; the figure is ``ChatTokenizer.render_many`` (render with the template,
batch-encode, compute every mask and message span) in batches of ``--batch``. It prints wall
and CPU time: on a shared machine the CPU rate says what one free core does. With
``--workers N`` the conversations are split over N processes (fork), each rendering batches.
A sample is checked against the tokenizer's own ``encode_batch`` path (identical ids and masks).
The target (issue 5): >= 5,000 conversations/s on 100k conversations.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from threadsmith.formats import read_file  # noqa: E402
from threadsmith.model import Conversation  # noqa: E402
from threadsmith.rendering import ChatTokenizer, load_tokenizer  # noqa: E402

QWEN2 = HERE.parent.parent / "shared" / "data" / "tokenizers" / "qwen2.json.gz"
TARGET = 5_000
_tok: ChatTokenizer | None = None
_data: list[Conversation] = []


def _work(bounds: tuple[int, int, int]) -> tuple[int, int, float]:
    start, stop, batch = bounds
    assert _tok is not None
    tokens = trained = 0
    cpu = time.process_time()
    for i in range(start, stop, batch):
        for r in _tok.render_many(_data[i:min(i + batch, stop)]):
            tokens += len(r.input_ids)  # type: ignore[union-attr]
            trained += r.trained_tokens  # type: ignore[union-attr]
    return tokens, trained, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    global _tok, _data
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--template", default="chatml")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-word-cache", action="store_true")
    args = parser.parse_args(argv)
    found = sorted((HERE / "out").glob(f"chat-{args.size}-s0-*.jsonl"))
    if not found or not QWEN2.is_file():
        print(f"needs bench/out/chat-{args.size}-s0-*.jsonl (bench/run.py makes it) and {QWEN2}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    _data = [c for c in read_file(found[-1]) if isinstance(c, Conversation)]
    parse_s = time.perf_counter() - started
    _tok = load_tokenizer(str(QWEN2), template=args.template)
    if args.no_word_cache:
        _tok.encoder.words = None
    _check_sample(_tok, _data[:300])
    n = len(_data)
    wall = time.perf_counter()
    if args.workers > 1:
        step = -(-n // args.workers)
        chunks = [(a, min(a + step, n), args.batch) for a in range(0, n, step)]
        with multiprocessing.get_context("fork").Pool(args.workers) as pool:
            parts = pool.map(_work, chunks)
    else:
        parts = [_work((0, n, args.batch))]
    wall_s = time.perf_counter() - wall
    tokens, trained, cpu_s = (sum(p[i] for p in parts) for i in range(3))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = n / wall_s
    print(f"{n:,} conversations ({tokens:,} tokens, {trained:,} trained), template {args.template}, "
          f"word cache {'off' if args.no_word_cache else 'on'}, workers {args.workers}")
    print(f"parse          {parse_s:8.2f} s  {n / parse_s:10,.0f} conv/s")
    print(f"render+tokens  {wall_s:8.2f} s  {rate:10,.0f} conv/s wall   {n / cpu_s:10,.0f} conv/s per CPU-second")
    print(f"peak RSS {rss:,.0f} MB; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}; {platform.python_version()}")
    print(f"target >= {TARGET:,} conv/s: {'PASS' if rate >= TARGET else 'FAIL'} (wall)")
    return 0


def _check_sample(tok: ChatTokenizer, sample: list[Conversation]) -> None:
    """The word cache must give what the tokenizer's own batch encoding gives."""
    fast = tok.render_many(sample)
    words, tok.encoder.words = tok.encoder.words, None
    try:
        slow = tok.render_many(sample)
    finally:
        tok.encoder.words = words
    if fast != slow:
        raise SystemExit("word cache and encode_batch disagree on the sample")


if __name__ == "__main__":
    sys.exit(main())
