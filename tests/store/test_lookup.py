"""The one chunked ``WHERE ... IN (...)`` helper every store repository uses."""

from __future__ import annotations

import sqlite3

from threadsmith.store.lookup import where_in


def _table() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, grp INTEGER, name TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, i % 2, f"n{i}") for i in range(1, 1201)])
    return conn


def test_where_in_reads_every_key_once_a_chunk_at_a_time() -> None:
    conn = _table()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    keys = [*range(1, 1101), 5, 5, 99999]  # duplicates and a key that is not there
    rows = list(where_in(conn, "SELECT id, name FROM t WHERE id IN ({marks})", keys, chunk=500))
    assert sorted(rows) == [(i, f"n{i}") for i in range(1, 1101)]
    assert len(statements) == 3  # 1,101 distinct keys in chunks of 500


def test_where_in_binds_params_before_the_keys_and_accepts_a_tail() -> None:
    conn = _table()
    sql = "SELECT id FROM t WHERE grp = ? AND id IN ({marks}) AND name != 'n4' ORDER BY id"
    assert [i for (i,) in where_in(conn, sql, iter(range(1, 11)), (0,), chunk=3)] == [2, 6, 8, 10]
    assert list(where_in(conn, sql, [], (0,))) == []
