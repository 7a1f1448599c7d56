"""State schema version 2 (issue 13): a label can belong to several notes (merged orders), and the
parts of split and merged ShipStation orders are kept. A version 1 file is upgraded in place."""

from __future__ import annotations

import sqlite3

import pytest

from bp_tui.core.records import GonRecord, PartRecord, ShipmentRecord, utcnow
from bp_tui.errors import StateError
from bp_tui.state import StateStore
from bp_tui.state.schema import APP_ID, CREATE_V1, SCHEMA_VERSION


def v1_file(path) -> None:
    """A state file as bp-tui wrote it before version 2, with one note, its label and an audit
    row."""
    db = sqlite3.connect(path)
    db.executescript(CREATE_V1)
    db.execute(f"PRAGMA application_id={APP_ID}")
    db.execute("PRAGMA user_version=1")
    db.execute(
        "INSERT INTO gons (gon_id, order_id, stage, ss_order_id, first_seen, updated_at) "
        "VALUES (50001, 100001, 'confirmed', 470000001, '2026-01-01T00:00:00+00:00', "
        "'2026-01-01T00:00:00+00:00')"
    )
    db.execute(
        "INSERT INTO shipments (kind, remote_id, gon_id, ss_order_id, tracking, role, noted) "
        "VALUES ('shipment', 271000001, 50001, 470000001, '1Z-OLD', 'confirmed', 1)"
    )
    db.execute(
        "INSERT INTO audit (at, api, action, gon_id, order_id, key, result) VALUES "
        "('2026-01-01T00:00:00+00:00', 'brightpearl', 'note', "
        "50001, 100001, 'note:shipment-271000001', 'ok')"
    )
    db.commit()
    db.close()


def test_a_version_1_file_is_upgraded_and_keeps_everything(tmp_path):
    path = tmp_path / "state.sqlite3"
    v1_file(path)
    store = StateStore(path)
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        assert store.gon(50001).stage == "confirmed"
        (label,) = store.shipments_of([50001])[50001]
        assert (label.tracking, label.role, label.noted) == ("1Z-OLD", "confirmed", True)
        assert store.audit.done_keys(["note:shipment-271000001"]) == {"note:shipment-271000001"}
        # one label, two notes (an order merged into another): two rows now
        with store.transaction():
            store.save_gon(
                GonRecord(gon_id=50002, order_id=100002, stage="imported", ss_order_id=470000002)
            )
            store.save_shipment(
                ShipmentRecord("shipment", 271000001, 50002, 470000001, tracking="1Z-OLD")
            )
            store.save_part(PartRecord(50002, 470000001, "merged", "100001", "shipped", utcnow()))
        assert store.shipment("shipment", 271000001, 50001).role == "confirmed"
        assert store.shipment("shipment", 271000001, 50002).role == "new"
        assert store.owners_of_ss_orders([470000001]) == {470000001: {50001, 50002}}
        assert store.merged_into([470000001]) == {470000001: [50002]}
    finally:
        store.close()
    again = StateStore(path)  # opening an up-to-date file changes nothing
    try:
        assert again.parts_of([50002])[50002][0].order_number == "100001"
    finally:
        again.close()


def test_a_new_file_is_created_at_the_current_version(tmp_path):
    store = StateStore(tmp_path / "fresh.sqlite3")
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = [r[1] for r in store.db.execute("PRAGMA table_info(ss_parts)")]
        assert columns == ["gon_id", "ss_order_id", "kind", "order_number", "status", "seen_at"]
        pk = [
            r[1]
            for r in sorted(store.db.execute("PRAGMA table_info(shipments)"), key=lambda r: r[5])
            if r[5]
        ]
        assert pk == ["kind", "remote_id", "gon_id"]
    finally:
        store.close()


def test_a_failed_upgrade_leaves_the_file_at_version_1(tmp_path, monkeypatch):
    from bp_tui.state import schema

    path = tmp_path / "state.sqlite3"
    v1_file(path)
    monkeypatch.setitem(
        schema.MIGRATIONS, 2, schema.MIGRATE_V2 + ";\nINSERT INTO no_such_table VALUES (1)"
    )
    with pytest.raises(StateError, match="could not be upgraded to version 2"):
        StateStore(path)
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        assert (
            db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'ss_parts'").fetchone()[0]
            == 0
        )
        assert db.execute("SELECT tracking FROM shipments").fetchall() == [("1Z-OLD",)]
    finally:
        db.close()
    monkeypatch.undo()
    store = StateStore(path)  # the real upgrade still works afterwards
    try:
        assert store.shipments_of([50001])[50001][0].tracking == "1Z-OLD"
    finally:
        store.close()
