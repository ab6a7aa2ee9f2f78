"""Bulk loading of imports, and the move of cached audit results to their own table."""

from __future__ import annotations

import pickle
import sqlite3

import pytest

from threadsmith.model import Conversation, Message
from threadsmith.store import Store, prepare
from threadsmith.store.bulk import BulkImport
from threadsmith.store.connection import Database
from threadsmith.store.migrations import MIGRATIONS


def _record(i: int, text: str | None = None) -> tuple:
    c = prepare(Conversation(f"k{i}", (Message("user", text or f"q{i}"), Message("assistant", "a"))), with_text=False)
    return (f"k{i}", f"k{i}", i + 1, i, "openai", c.hash, c.body, c.stats.turns, c.stats.chars, c.stats.roles, c.facets)


def _indexes(store: Store) -> set[str]:
    return {name for (name,) in store.db.conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'states' AND sql IS NOT NULL")}


def _load(store: Store, name: str, records: list[tuple]) -> int:
    dataset = store.versions.find_dataset(name) or store.versions.create_dataset(name, "now")
    loader = BulkImport(store.db.conn, dataset.id, store.add_batch(dataset.id, 1, {}, "now"), 1, 0.0)
    fresh = loader.add("f.jsonl", records[:2]) + loader.add("f.jsonl", records[2:])
    loader.finish()
    return fresh


def test_bulk_import_stores_entries_in_order_and_contents_once(tmp_path) -> None:
    store = Store(tmp_path / "w.sqlite")
    indexes = _indexes(store)
    with store.write():
        fresh = _load(store, "d", [_record(0), _record(1, "same"), _record(2, "same"), _record(0)])
    assert fresh == 2 + 0 + 1 - 1  # q0, same; same again; q0 again
    rows = store.db.conn.execute("SELECT e.key, s.content_id, s.position, e.source_line FROM states s JOIN entries e "
                                 "ON e.id = s.entry_id ORDER BY s.position").fetchall()
    assert [r[0] for r in rows] == ["k0", "k1", "k2", "k0~2"]
    assert rows[1][1] == rows[2][1] and rows[0][1] == rows[3][1] and [r[2] for r in rows] == [0.0, 1.0, 2.0, 3.0]
    assert store.contents.pending_count() == 2  # waiting for the full-text index
    assert _indexes(store) == indexes and store.integrity() == "ok"  # rebuilt after the first import


def test_a_later_import_keeps_the_indexes_and_a_failed_one_restores_them(tmp_path) -> None:
    store = Store(tmp_path / "w.sqlite")
    indexes = _indexes(store)
    with pytest.raises(RuntimeError), store.write():
        dataset = store.versions.create_dataset("d", "now")
        loader = BulkImport(store.db.conn, dataset.id, store.add_batch(dataset.id, 1, {}, "now"), 1, 0.0)
        loader.add("f.jsonl", [_record(0)])
        assert not _indexes(store)  # dropped while the first import loads
        raise RuntimeError("killed")
    assert _indexes(store) == indexes and store.versions.datasets() == []
    with store.write():
        _load(store, "d", [_record(0), _record(1), _record(2)])
    with store.write():
        dataset = store.versions.dataset("d")
        BulkImport(store.db.conn, dataset.id, None, 2, 3.0).add("g.jsonl", [_record(3)])  # type: ignore[arg-type]
        assert _indexes(store) == indexes  # states not empty: kept, updated row by row
    assert store.integrity() == "ok"


def test_cached_audit_results_move_to_their_own_table(tmp_path) -> None:
    path = tmp_path / "w.sqlite"
    moved = next(n for n, (title, _) in enumerate(MIGRATIONS) if title.startswith("audit results in a rowid table"))
    old = Database(path, migrations=MIGRATIONS[:moved])
    with old.write() as conn:
        conn.execute("INSERT INTO check_configs (id, fingerprint, detail) VALUES (1, 'f', '{}')")
        conn.execute("INSERT INTO contents (id, hash, body, turns, chars, roles) VALUES (7, x'00', x'7b7d', 0, 0, 0)")
        conn.execute("INSERT INTO audit_cache VALUES (1, 7, NULL, ?)", (pickle.dumps((1, None), protocol=5),))
    old.close()
    store = Store(path)
    assert store.audit.cached(1, [7])[7].summaries == (1, None)
    with pytest.raises(sqlite3.OperationalError):
        store.db.conn.execute("SELECT * FROM audit_cache")
    assert store.integrity() == "ok"
