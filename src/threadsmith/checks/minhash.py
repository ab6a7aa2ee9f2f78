"""MinHash rows with rensa, never on its thread pool.

rensa hashes 256 rows or more at once on a rayon thread pool. Threads do not survive ``fork()``:
a process forked after that pool started (an audit's worker pool, the second observing process,
in a notebook or the web server that audited something before) hangs forever in its own first
large call. Every call here stays below that size: the rows go in blocks of
:data:`BLOCK_ROWS`, one call each, with the same result per row (the workers are one per core
already, so the pool would not make an audit faster anyway).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rensa import RMinHash

#: Rows per call: fewer than the 256 from which rensa starts its thread pool.
BLOCK_ROWS = 255


def digest_rows(values: np.ndarray | memoryview, offsets: Sequence[int] | np.ndarray, slots: int,
                seed: int) -> list[list[int]]:
    """``slots`` MinHash values of each row of ``values`` (8-byte token hashes; row ``k`` is
    ``values[offsets[k]:offsets[k + 1]]``), as ``RMinHash.digest_matrix_from_flat_token_hashes``
    gives them."""
    rows = len(offsets) - 1
    if rows <= BLOCK_ROWS:
        return RMinHash.digest_matrix_from_flat_token_hashes(values, offsets, slots, seed).to_rows()
    bounds = np.asarray(offsets, dtype=np.uint64)
    flat = np.asarray(values, dtype=np.uint64)
    out: list[list[int]] = []
    for lo in range(0, rows, BLOCK_ROWS):
        hi = min(rows, lo + BLOCK_ROWS)
        start, stop = int(bounds[lo]), int(bounds[hi])
        out += RMinHash.digest_matrix_from_flat_token_hashes(flat[start:stop], bounds[lo:hi + 1] - bounds[lo],
                                                             slots, seed).to_rows()
    return out
