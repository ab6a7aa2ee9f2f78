"""Telling the answers of one context apart (the contradiction checks, contradictions.py): the
overlap of two replies' content words from their records, and the first earlier reply that gives
the same answer as each.

Groups of up to ``_TABLE_ROWS`` turns are compared in bounded parts, every pair of a part in one
numpy pass (:func:`pair_tables`), then labelled in plain Python (:func:`first_answers`); larger
groups, one row against the answers found so far (:func:`answers`). Both label alike.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

#: Chance that two unrelated one-byte slots agree.
_CHANCE = 1 / 256
#: At most this many different answers are told apart in one group.
_MAX_ANSWERS = 64
#: Groups of at most this many turns compare every pair in one go (a few MB at most).
_TABLE_ROWS = 512
#: At most this many pairs are compared in one go (two records of 32 bytes and a float each).
_PAIRS = 1 << 20


def overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated share of the smaller reply's content words found in the other (0 for yes against no).

    ``a`` and ``b`` are rows of contradictions.RECORD. From the MinHash estimate of the Jaccard
    similarity J and the set sizes: ``|A & B| = J (|A| + |B|) / (1 + J)``, divided by ``min(|A|, |B|)``.
    "Paris." and "The capital of France is Paris." agree (1.0); "No, it's unsafe." and "Yes,
    it's fine." do not.
    """
    agree = (a["sketch"] == b["sketch"]).mean(axis=-1)
    jaccard = np.clip((agree - _CHANCE) / (1 - _CHANCE), 0.0, 1.0)
    size_a, size_b = a["size"].astype(float), b["size"].astype(float)
    common = jaccard * (size_a + size_b) / (1 + jaccard)
    share = np.clip(common / np.maximum(1.0, np.minimum(size_a, size_b)), 0.0, 1.0)
    pol_a, pol_b = a["polarity"], b["polarity"]
    return np.where((pol_a != pol_b) & (pol_a > 0) & (pol_b > 0), 0.0, share)


def answers(records: np.ndarray, same: float, near: float = 1.1) -> np.ndarray:
    """For each row, the index of the first earlier row that gives the same answer (itself if none).

    Two replies give the same answer when their overlap reaches ``same``, unless it reaches
    ``near`` (nearly the same words) and their claims differ: the same reply with a claim reversed.
    """
    labels = np.arange(len(records))
    reps: list[int] = []
    for i in range(len(records)):
        if reps:
            mine = records[i]
            sims = overlap(records[reps], mine)
            flipped = (sims >= near) & (records["claims"][reps] != mine["claims"])
            sims = np.where(flipped, 0.0, sims)
            best = int(np.argmax(sims))
            if sims[best] >= same:
                labels[i] = reps[best]
                continue
        if len(reps) < _MAX_ANSWERS:
            reps.append(i)
    return labels


def pair_tables(records: np.ndarray, rows: np.ndarray, starts: np.ndarray, stops: np.ndarray,
                 near: float) -> dict[int, list[list[float]]]:
    """Per group of at most ``_TABLE_ROWS`` rows (``rows[start:stop]``, keyed by its start), the
    table :func:`answers` makes of its every pair, all groups' pairs computed in one go."""
    sizes = stops - starts
    small = sizes <= _TABLE_ROWS
    starts, sizes = starts[small], sizes[small]
    if not len(sizes):
        return {}
    squares = sizes * sizes
    firsts = np.cumsum(squares) - squares  # where each group's pairs begin
    at = np.arange(int(squares.sum())) - np.repeat(firsts, squares)
    size, base = np.repeat(sizes, squares), np.repeat(starts, squares)
    a, b = records[rows[base + at // size]], records[rows[base + at % size]]
    table = overlap(a, b)
    table[(table >= near) & (a["claims"] != b["claims"])] = 0.0
    flat = table.tolist()
    return {start: [flat[first + k * n:first + (k + 1) * n] for k in range(n)]
            for start, first, n in zip(starts.tolist(), firsts.tolist(), sizes.tolist())}


def table_parts(sizes: np.ndarray) -> Iterator[slice]:
    """Consecutive groups whose pair tables (see :func:`pair_tables`) hold ``_PAIRS`` pairs at most
    together (or one group): the memory of one go stays bounded."""
    first, pairs = 0, 0
    for k, size in enumerate(sizes.tolist()):
        square = size * size if size <= _TABLE_ROWS else 0
        if pairs + square > _PAIRS and k > first:
            yield slice(first, k)
            first, pairs = k, 0
        pairs += square
    if first < len(sizes):
        yield slice(first, len(sizes))


def first_answers(table: list[list[float]], same: float) -> np.ndarray:
    """:func:`answers` from the table of every pair's overlap (flipped claims already 0)."""
    labels = list(range(len(table)))
    reps: list[int] = []
    for i, row in enumerate(table):
        if reps:
            best = max(reps, key=row.__getitem__)  # the first of the best, as argmax
            if row[best] >= same:
                labels[i] = best
                continue
        if len(reps) < _MAX_ANSWERS:
            reps.append(i)
    return np.array(labels)
