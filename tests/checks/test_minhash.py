"""MinHash rows in blocks: the same rows as one call, and no thread pool that a fork would break."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from rensa import RMinHash

from threadsmith.checks.minhash import BLOCK_ROWS, digest_rows


def _rows(count: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    lengths = rng.integers(0, 40, size=count)
    return rng.integers(0, 2**63, size=int(lengths.sum()), dtype=np.uint64), np.r_[0, np.cumsum(lengths)].astype(np.uint64)


def test_blocks_give_each_row_what_a_call_for_that_row_gives() -> None:
    values, offsets = _rows(2 * BLOCK_ROWS + 17)
    rows = digest_rows(values, offsets, 16, 3)
    assert len(rows) == 2 * BLOCK_ROWS + 17
    for k in (0, 1, BLOCK_ROWS - 1, BLOCK_ROWS, BLOCK_ROWS + 1, 2 * BLOCK_ROWS + 16):
        one = values[int(offsets[k]):int(offsets[k + 1])]
        assert rows[k] == RMinHash.digest_matrix_from_flat_token_hashes(one, [0, len(one)], 16, 3).to_rows()[0]
    small_values, small_offsets = _rows(10)
    assert digest_rows(small_values, list(map(int, small_offsets)), 8, 1) == \
        RMinHash.digest_matrix_from_flat_token_hashes(small_values, list(map(int, small_offsets)), 8, 1).to_rows()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts this process's threads in /proc")
def test_many_rows_start_no_threads() -> None:
    before = len(os.listdir("/proc/self/task"))
    digest_rows(*_rows(5 * BLOCK_ROWS), 64, 1)
    assert len(os.listdir("/proc/self/task")) == before  # a forked worker would hang in a started pool
