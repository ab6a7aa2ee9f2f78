"""The database file: pragmas, numbered migrations, refusing newer schemas and foreign files."""

from __future__ import annotations

import sqlite3

import pytest

from threadsmith.errors import SchemaTooNew, StoreBusy, StoreError
from threadsmith.store import Store
from threadsmith.store.connection import Database, migrate, split_statements
from threadsmith.store.migrations import APPLICATION_ID, MIGRATIONS


def test_fresh_database_is_migrated_with_wal_and_foreign_keys(tmp_path) -> None:
    store = Store(tmp_path / "w.sqlite")
    conn = store.db.conn
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    store.close()


def test_reopening_runs_no_migration_twice(tmp_path) -> None:
    Store(tmp_path / "w.sqlite").close()
    store = Store(tmp_path / "w.sqlite")
    assert store.db.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    store.close()


def test_migrations_apply_in_order_up_to_the_known_number(tmp_path) -> None:
    extra = (*MIGRATIONS, ("add a column", "ALTER TABLE datasets ADD COLUMN note TEXT;"))
    Store(tmp_path / "w.sqlite").close()
    db = Database(tmp_path / "w.sqlite", migrations=extra)
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == len(extra)
    db.conn.execute("SELECT note FROM datasets").fetchall()
    assert migrate(db, extra) == len(extra)
    db.close()


def test_a_newer_schema_is_refused_with_upgrade_advice(tmp_path) -> None:
    store = Store(tmp_path / "w.sqlite")
    store.db.conn.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    store.close()
    with pytest.raises(SchemaTooNew) as caught:
        Store(tmp_path / "w.sqlite")
    assert "newer threadsmith" in str(caught.value)
    assert "Upgrade" in caught.value.hint


def test_a_foreign_sqlite_file_and_a_non_database_are_refused(tmp_path) -> None:
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE x (a)")
    conn.close()
    with pytest.raises(StoreError, match="not a threadsmith workspace"):
        Store(other)
    text = tmp_path / "notes.sqlite"
    text.write_text("just some text, not a database at all" * 100)
    with pytest.raises(StoreError):
        Store(text)


def test_a_failed_migration_leaves_the_database_unchanged(tmp_path) -> None:
    Store(tmp_path / "w.sqlite").close()
    broken = (*MIGRATIONS, ("good then bad", "CREATE TABLE t1 (a);\nTHIS IS NOT SQL;"))
    with pytest.raises(sqlite3.Error):
        Database(tmp_path / "w.sqlite", migrations=broken)
    store = Store(tmp_path / "w.sqlite")
    tables = {r[0] for r in store.db.conn.execute("SELECT name FROM sqlite_schema")}
    assert "t1" not in tables
    store.close()


def test_writers_wait_boundedly_then_get_store_busy(tmp_path) -> None:
    first = Store(tmp_path / "w.sqlite")
    second = Store(tmp_path / "w.sqlite", busy_timeout=0.2)
    with first.write():
        with pytest.raises(StoreBusy) as caught, second.write():
            pass
    assert "busy" in str(caught.value)
    with second.write():  # the lock is free again
        pass
    first.close()
    second.close()


def test_split_statements_keeps_each_statement_whole() -> None:
    assert split_statements("CREATE TABLE a (x);\nCREATE TABLE b (\n y\n);\n") == ["CREATE TABLE a (x);", "CREATE TABLE b (\n y\n);"]
