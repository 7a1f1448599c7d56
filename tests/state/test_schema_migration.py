"""State files of the schemas before this one (versions 1, 2 and 3) opened by this bp-tui: migrated
to the newest version with every row intact, the new indexes, counts and alert tables in place,
auto_vacuum on; and they end with the same schema as a file created new."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import bp_tui.state.store as store_module
from bp_tui.errors import StateError
from bp_tui.state import StateStore
from bp_tui.state.schema import ALERTS_V4, APP_ID, CREATE_V1, HISTORY_V3, MIGRATE_V2, SCHEMA_VERSION
from tests.state_helpers import stages_counted

TABLES = ("gons", "shipments", "audit", "runs", "watermarks", "products", "meta", "ss_parts")
VERSIONS = [
    pytest.param(1, id="from-v1"),
    pytest.param(2, id="from-v2"),
    pytest.param(3, id="from-v3"),
]
NEW_INDEXES = {
    "gons_id",
    "gons_updated",
    "gons_stage_updated",
    "gons_first_seen",
    "gons_stage_first_seen",
    "gons_stage_order",
    "gons_customer",
    "gons_stage_customer",
    "gons_reference",
    "gons_tracking",
    "gons_confirmed",
    "audit_at",
    "shipments_pending",
}


def version_file(path: Path, version: int = 1, notes: int = 300) -> None:
    """What bp-tui wrote before this version: CREATE_V1 (and, for version 2, MIGRATE_V2 on it; for
    version 3, HISTORY_V3 too, with auto_vacuum as a new version 3 file has it), WAL, rows in every
    table."""
    db = sqlite3.connect(path)
    if version >= 3:
        db.execute("PRAGMA auto_vacuum=INCREMENTAL")
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(
        CREATE_V1 + (MIGRATE_V2 if version >= 2 else "") + (HISTORY_V3 if version >= 3 else "")
    )
    db.execute(f"PRAGMA application_id={APP_ID}")
    db.execute(f"PRAGMA user_version={version}")
    stages = (
        "waiting",
        "ready",
        "imported",
        "shipped",
        "confirmed",
        "failed",
        "attention",
        "cancelled",
    )
    for i in range(1, notes + 1):
        at = f"2025-0{1 + i % 9}-1{i % 10}T08:00:00+00:00"
        db.execute(
            "INSERT INTO gons (gon_id, order_id, stage, reference, "
            "customer, tracking, ss_order_id, ss_payload, "
            "confirmed_at, first_seen, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                i,
                1000 + i // 2,
                stages[i % len(stages)],
                f"PO-{i}",
                f"Customer {i % 17}",
                f"1Z{i:08d}",
                9000 + i,
                '{"orderKey": "k"}',
                at if i % 8 == 4 else None,
                at,
                at,
            ),
        )
        db.execute(
            "INSERT INTO shipments (kind, remote_id, gon_id, "
            "ss_order_id, tracking, created_at, role) "
            "VALUES ('shipment', ?, ?, ?, ?, ?, 'confirmed')",
            (50_000 + i, i, 9000 + i, f"1Z{i:08d}", at),
        )
        db.execute(
            "INSERT INTO audit (at, api, action, gon_id, order_id, key, result, detail) "
            "VALUES (?, 'shipstation', 'import', ?, ?, ?, 'ok', '')",
            (at, i, 1000 + i // 2, f"import:{i}"),
        )
    db.execute(
        "INSERT INTO audit (at, api, action, gon_id, order_id, key, result) "
        "VALUES ('2025-01-01T00:00:00+00:00', 'brightpearl', 'shw', 7, 1003, 'shw:7', 'intent')"
    )
    db.execute(
        "INSERT INTO runs (started_at, finished_at, mode, pid, "
        "summary) VALUES ('2025-01-01', '2025-01-01', "
        "'full', 1, '{}')"
    )
    db.execute(
        "INSERT INTO watermarks (name, value) VALUES ('shipments', '2025-01-01T00:00:00+00:00')"
    )
    db.execute(
        "INSERT INTO products (product_id, weight, "
        "stock_tracked, fetched_at) VALUES (5, 1.5, 1, '2025')"
    )
    db.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    if version >= 2:  # a note whose order was split in ShipStation
        db.execute(
            "INSERT INTO ss_parts (gon_id, ss_order_id, kind, order_number, status, seen_at) "
            "VALUES (5, 9905, 'split', '1002-1', 'shipped', '2025-01-01T00:00:00+00:00')"
        )
    db.commit()
    db.close()


def rows_of(path: Path) -> dict[str, list[tuple]]:
    db = sqlite3.connect(path)
    try:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {
            t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
            for t in TABLES
            if t in names
        }
    finally:
        db.close()


def schema_of(path: Path) -> list[tuple[str, str, str]]:
    db = sqlite3.connect(path)
    try:
        return sorted(
            (t, n, " ".join((sql or "").split()))
            for t, n, sql in db.execute("SELECT type, name, sql FROM sqlite_master")
        )
    finally:
        db.close()


@pytest.mark.parametrize("version", VERSIONS)
def test_an_older_file_is_migrated_with_every_row_intact(tmp_path, version):
    path = tmp_path / "state.sqlite3"
    version_file(path, version)
    path.chmod(0o600)
    before = rows_of(path)
    store = StateStore(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    indexes = {
        r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
    }
    assert NEW_INDEXES <= indexes
    counted = stages_counted(store)
    assert store.queue.stage_counts() == counted and sum(counted.values()) == 300
    assert [r.key for r in store.audit.open_intents()] == ["shw:7"]
    tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"incidents", "alert_messages"} <= tables and "incidents_unresolved" in indexes
    page, total = store.queue.page(search="PO-12", sort="gon")
    assert [r.gon_id for r in page] == [12, *range(120, 130)] and total == 11
    assert (
        store.parts_of([5]).get(5, [])[0].order_number == "1002-1"
        if version >= 2
        else not store.all_parts()
    )
    store.close()
    after = rows_of(path)
    assert after.pop("ss_parts") == before.pop("ss_parts", [])
    assert after == before
    assert (path.stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize("version", VERSIONS)
def test_a_migrated_file_has_the_schema_of_a_new_one(tmp_path, version):
    old, new = tmp_path / "old.sqlite3", tmp_path / "new.sqlite3"
    version_file(old, version, notes=5)
    StateStore(old).close()
    StateStore(new).close()
    assert schema_of(old) == schema_of(new)
    for path in (old, new):
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        db.close()


@pytest.mark.parametrize("version", VERSIONS)
def test_a_migration_that_fails_is_a_clear_error_and_runs_again_next_time(
    tmp_path, monkeypatch, version
):
    path = tmp_path / "state.sqlite3"
    version_file(path, version, notes=20)
    before = rows_of(path)
    monkeypatch.setitem(
        store_module.MIGRATIONS, SCHEMA_VERSION, ALERTS_V4 + "SELECT * FROM no_such_table;\n"
    )
    with pytest.raises(StateError) as info:
        StateStore(path)
    assert str(path) in str(
        info.value
    ) and f"could not be upgraded to version {SCHEMA_VERSION}" in str(info.value)
    db = sqlite3.connect(path)
    assert (
        db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION - 1
    )  # the steps before it are done
    assert not db.execute(
        "SELECT name FROM sqlite_master WHERE name = 'incidents'"
    ).fetchall()  # rolled back
    db.close()
    monkeypatch.undo()
    store = StateStore(path)  # the same migration, from the start
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.queue.stage_counts() == stages_counted(store)
    store.close()
    after, earlier = rows_of(path), dict(before)
    assert after.pop("ss_parts") == earlier.pop("ss_parts", [])
    assert after == earlier


def test_a_vacuum_that_fails_leaves_the_version_and_the_next_open_finishes(tmp_path, monkeypatch):
    """The VACUUM that turns auto_vacuum on needs free space (about twice the file's size, with
    the step's indexes): when it fails (disk full), the file stays at the version before and the
    next open runs the step again, VACUUM included."""
    path = tmp_path / "state.sqlite3"
    version_file(path, 2, notes=20)
    before = rows_of(path)

    def full(db):  # type: ignore[no-untyped-def]
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store_module, "_vacuum_incremental", full)
    with pytest.raises(StateError, match="free space"):
        StateStore(path)
    db = sqlite3.connect(path)
    assert (
        db.execute("PRAGMA user_version").fetchone()[0] == 2
        and db.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    )
    db.close()
    monkeypatch.undo()
    store = StateStore(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
    assert store.queue.stage_counts() == stages_counted(store)
    store.close()
    assert rows_of(path) == before


def test_retention_frees_pages_back_to_the_file_system(tmp_path):
    path = tmp_path / "state.sqlite3"
    version_file(path, 1, notes=3000)
    store = StateStore(path)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    notes, _shipments = store.retention.remove_gons(range(1, 2500))
    assert notes == 2499 and store.retention.free_pages() > 0
    assert store.retention.incremental_vacuum(10_000) > 0 and store.retention.free_pages() == 0
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert path.stat().st_size < size * 0.6
    store.close()
