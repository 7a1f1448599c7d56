from datetime import UTC, datetime, timedelta

from bp_tui.state import GonRecord, StateStore


def test_queue_rows_changed_since_returns_only_newer_rows(tmp_path):
    store = StateStore(tmp_path / "s.sqlite3")
    store.save_gons([GonRecord(gon_id=i, order_id=100 + i, stage="waiting") for i in range(1, 6)])
    assert len(store.queue.records()) == 5
    later = datetime.now(UTC) + timedelta(seconds=5)
    assert store.queue.records(changed_since=later) == []
    rec = store.gon(3)
    rec.stage = "ready"
    store.save_gons([rec])
    since = datetime.now(UTC) - timedelta(seconds=1)
    changed = store.queue.records(changed_since=since)
    assert 3 in {r.gon_id for r in changed} and all(
        r.updated_at >= since.replace(microsecond=0) for r in changed
    )


def test_state_file_is_wal_and_0600(tmp_path):
    path = tmp_path / "s.sqlite3"
    store = StateStore(path)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (path.stat().st_mode & 0o777) == 0o600
    store.close()
    again = StateStore(path)  # reopening an existing file keeps it
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_intents_and_done_keys(tmp_path):
    store = StateStore(tmp_path / "s.sqlite3")
    first = store.audit.record_intent(
        "brightpearl", "note", gon_id=1, order_id=2, key="note:shipment-9"
    )
    assert [r.id for r in store.audit.open_intents()] == [first]
    assert store.audit.done_keys(["note:shipment-9"]) == set()
    store.audit.settle_intent(first, "ok", "note 5")
    assert store.audit.open_intents() == []
    assert store.audit.done_keys(["note:shipment-9", "other"]) == {"note:shipment-9"}
    assert store.audit.keys_attempted(["note:shipment-9", "other"]) == {"note:shipment-9"}
    assert store.audit.history(1)[0].result == "ok"


def test_recent_audit_rows_are_typed_records_newest_first(tmp_path):
    from bp_tui.core.records import AuditRecord

    store = StateStore(tmp_path / "s.sqlite3")
    first = store.audit.record_intent("brightpearl", "note", gon_id=1, order_id=2, key="k1")
    second = store.audit.record_intent("shipstation", "create", gon_id=3, order_id=4, key="k2")
    store.audit.settle_intent(first, "ok", "note 5")
    rows = store.audit.recent(10)
    assert all(isinstance(r, AuditRecord) for r in rows)
    assert [(r.id, r.api, r.result, r.gon_id) for r in rows] == [
        (second, "shipstation", "intent", 3),
        (first, "brightpearl", "ok", 1),
    ]
    assert rows[1].detail == "note 5" and rows[1].at is not None and rows[1].at.tzinfo
    assert [r.id for r in store.audit.recent(1)] == [second]


def test_runs_are_counted_and_the_unfinished_ones_apart(tmp_path):
    store = StateStore(tmp_path / "s.sqlite3")
    assert store.meta.run_count() == store.meta.run_count(unfinished=True) == 0
    first = store.meta.start_run("full", 1)
    store.meta.start_run("full", 2)  # its process ended mid-cycle
    assert store.meta.run_count() == store.meta.run_count(unfinished=True) == 2
    store.meta.finish_run(first, {"result": "ok"})
    assert (store.meta.run_count(), store.meta.run_count(unfinished=True)) == (2, 1)
    assert store.meta.last_run()[1] == {"result": "ok"}  # type: ignore[index]
    store.close()
