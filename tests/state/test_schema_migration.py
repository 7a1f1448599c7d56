"""A state file of today's schema (version 1) opened by this bp-tui: migrated to the newest
version with every row intact, the new indexes and counts in place, auto_vacuum on; and it
ends with the same schema as a file created new."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import bp_tui.state.store as store_module
from bp_tui.state import StateError, StateStore
from bp_tui.state.schema import APP_ID, CREATE_V1, MIGRATIONS, SCHEMA_VERSION

TABLES = ("gons", "shipments", "audit", "runs", "watermarks", "products", "meta")
NEW_INDEXES = {"gons_id", "gons_updated", "gons_stage_updated", "gons_first_seen", "gons_stage_first_seen",
               "gons_stage_order", "gons_customer", "gons_stage_customer", "gons_reference", "gons_tracking",
               "gons_confirmed", "audit_at", "shipments_pending"}


def version_1_file(path: Path, notes: int = 300) -> None:
    """What bp-tui wrote before this version: CREATE_V1, WAL, no auto_vacuum, rows in every table."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(CREATE_V1)
    db.execute(f"PRAGMA application_id={APP_ID}")
    db.execute("PRAGMA user_version=1")
    stages = ("waiting", "ready", "imported", "shipped", "confirmed", "failed", "attention", "cancelled")
    for i in range(1, notes + 1):
        at = f"2025-0{1 + i % 9}-1{i % 10}T08:00:00+00:00"
        db.execute(
            "INSERT INTO gons (gon_id, order_id, stage, reference, customer, tracking, ss_order_id, ss_payload, "
            "confirmed_at, first_seen, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (i, 1000 + i // 2, stages[i % len(stages)], f"PO-{i}", f"Customer {i % 17}", f"1Z{i:08d}", 9000 + i,
             '{"orderKey": "k"}', at if i % 8 == 4 else None, at, at))
        db.execute("INSERT INTO shipments (kind, remote_id, gon_id, ss_order_id, tracking, created_at, role) "
                   "VALUES ('shipment', ?, ?, ?, ?, ?, 'confirmed')", (50_000 + i, i, 9000 + i, f"1Z{i:08d}", at))
        db.execute("INSERT INTO audit (at, api, action, gon_id, order_id, key, result, detail) "
                   "VALUES (?, 'shipstation', 'import', ?, ?, ?, 'ok', '')", (at, i, 1000 + i // 2, f"import:{i}"))
    db.execute("INSERT INTO audit (at, api, action, gon_id, order_id, key, result) "
               "VALUES ('2025-01-01T00:00:00+00:00', 'brightpearl', 'shw', 7, 1003, 'shw:7', 'intent')")
    db.execute("INSERT INTO runs (started_at, finished_at, mode, pid, summary) VALUES ('2025-01-01', '2025-01-01', "
               "'full', 1, '{}')")
    db.execute("INSERT INTO watermarks (name, value) VALUES ('shipments', '2025-01-01T00:00:00+00:00')")
    db.execute("INSERT INTO products (product_id, weight, stock_tracked, fetched_at) VALUES (5, 1.5, 1, '2025')")
    db.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    db.commit()
    db.close()


def rows_of(path: Path) -> dict[str, list[tuple]]:
    db = sqlite3.connect(path)
    try:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}
    finally:
        db.close()


def schema_of(path: Path) -> list[tuple[str, str, str]]:
    db = sqlite3.connect(path)
    try:
        return sorted((t, n, " ".join((sql or "").split())) for t, n, sql in
                      db.execute("SELECT type, name, sql FROM sqlite_master"))
    finally:
        db.close()


def test_a_version_1_file_is_migrated_with_every_row_intact(tmp_path):
    path = tmp_path / "state.sqlite3"
    version_1_file(path)
    path.chmod(0o600)
    before = rows_of(path)
    store = StateStore(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    indexes = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert NEW_INDEXES <= indexes
    grouped = dict(store.db.execute("SELECT stage, COUNT(*) FROM gons GROUP BY stage").fetchall())
    assert store.stage_counts() == grouped and sum(grouped.values()) == 300
    assert [r["key"] for r in store.open_intents()] == ["shw:7"]
    page, total = store.queue_page(search="PO-12", sort="gon")
    assert [r.gon_id for r in page] == [12, *range(120, 130)] and total == 11
    store.close()
    assert rows_of(path) == before
    assert (path.stat().st_mode & 0o777) == 0o600


def test_a_migrated_file_has_the_schema_of_a_new_one(tmp_path):
    old, new = tmp_path / "old.sqlite3", tmp_path / "new.sqlite3"
    version_1_file(old, notes=5)
    StateStore(old).close()
    StateStore(new).close()
    assert schema_of(old) == schema_of(new)
    for path in (old, new):
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        db.close()


def test_a_migration_that_fails_is_a_clear_error_and_runs_again_next_time(tmp_path, monkeypatch):
    path = tmp_path / "state.sqlite3"
    version_1_file(path, notes=20)
    before = rows_of(path)
    broken = MIGRATIONS[SCHEMA_VERSION].replace("VACUUM;", "VACUUM; SELECT * FROM no_such_table;")
    monkeypatch.setitem(store_module.MIGRATIONS, SCHEMA_VERSION, broken)
    with pytest.raises(StateError) as info:
        StateStore(path)
    assert str(path) in str(info.value) and "cannot upgrade" in str(info.value)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION - 1
    db.close()
    monkeypatch.undo()
    store = StateStore(path)  # the same migration, from the start: every statement may run again
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.stage_counts() == dict(store.db.execute("SELECT stage, COUNT(*) FROM gons GROUP BY stage").fetchall())
    store.close()
    assert rows_of(path) == before


def test_retention_frees_pages_back_to_the_file_system(tmp_path):
    path = tmp_path / "state.sqlite3"
    version_1_file(path, notes=3000)
    store = StateStore(path)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    notes, _shipments = store.remove_gons(range(1, 2500))
    assert notes == 2499 and store.free_pages() > 0
    assert store.incremental_vacuum(10_000) > 0 and store.free_pages() == 0
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert path.stat().st_size < size * 0.6
    store.close()
