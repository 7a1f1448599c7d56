"""The operator's header from the state: notes per stage, the oldest note still to be imported
or shipped, and notes imported and confirmed per hour over the last 24 hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import bp_tui.state.rows as rows_module
from bp_tui.state import GonRecord, StateStore
from tests.state_helpers import stages_counted
from tests.sync.conftest import make_env

NOW = datetime(2026, 3, 10, 15, 40, tzinfo=UTC)


def test_oldest_unshipped_counts_ready_imported_and_failed_before_shipstation(tmp_path):
    store = StateStore(tmp_path / "s.sqlite3")
    assert store.queue.oldest_unshipped() is None
    t = lambda hours: NOW - timedelta(hours=hours)  # noqa: E731
    store.save_gons(
        [
            GonRecord(gon_id=1, order_id=1, stage="confirmed", first_seen=t(100)),
            GonRecord(
                gon_id=2, order_id=2, stage="waiting", first_seen=t(90)
            ),  # not printed: not ours to ship
            GonRecord(gon_id=3, order_id=3, stage="shipped", first_seen=t(80)),  # has a label
            GonRecord(
                gon_id=4, order_id=4, stage="failed", ss_order_id=77, first_seen=t(70)
            ),  # in ShipStation
            GonRecord(gon_id=5, order_id=5, stage="imported", first_seen=t(5)),
            GonRecord(gon_id=6, order_id=6, stage="ready", first_seen=t(3)),
        ]
    )
    assert store.queue.oldest_unshipped() == t(5)
    store.save_gons(
        [GonRecord(gon_id=7, order_id=7, stage="failed", first_seen=t(9))]
    )  # never reached ShipStation
    assert store.queue.oldest_unshipped() == t(9)
    store.save_gons([GonRecord(gon_id=8, order_id=8, stage="ready", first_seen=t(12))])
    assert store.queue.oldest_unshipped() == t(12)


def test_activity_by_hour_from_audit_and_confirmation_times(tmp_path, monkeypatch):
    store = StateStore(tmp_path / "s.sqlite3")
    clock = [NOW]
    monkeypatch.setattr(rows_module, "utcnow", lambda: clock[0])
    for gon_id, hours_ago in ((1, 0), (2, 0), (3, 2), (4, 30)):
        clock[0] = NOW - timedelta(hours=hours_ago)
        aid = store.audit.record_intent(
            "shipstation", "import", gon_id=gon_id, key=f"import:{gon_id}"
        )
        store.audit.settle_intent(aid, "ok")
    aid = store.audit.record_intent(
        "shipstation", "import", gon_id=2, key="import:2"
    )  # a re-send: the same note
    store.audit.settle_intent(aid, "ok")
    failed = store.audit.record_intent("shipstation", "import", gon_id=9, key="import:9")
    store.audit.settle_intent(failed, "failed", "refused")
    store.save_gons(
        [
            GonRecord(
                gon_id=1, order_id=1, stage="confirmed", confirmed_at=NOW - timedelta(minutes=10)
            ),
            GonRecord(
                gon_id=3,
                order_id=3,
                stage="confirmed",
                confirmed_at=NOW - timedelta(hours=1, minutes=50),
            ),
            GonRecord(
                gon_id=4, order_id=4, stage="confirmed", confirmed_at=NOW - timedelta(hours=26)
            ),
        ]
    )
    got = store.queue.activity_by_hour(NOW - timedelta(hours=23, minutes=40))
    assert got == {"2026-03-10T15": (2, 1), "2026-03-10T13": (1, 1)}


async def test_connector_header_and_pages_over_the_sandbox(tmp_path):
    env = make_env(tmp_path, orders=30, seed=4)
    try:
        first = await env.connector.run_cycle()
        env.label(5)
        second = await env.connector.run_cycle()
        now = datetime.now(UTC)
        header = env.connector.queue_header(now)
        store = env.connector.store
        assert header.counts == stages_counted(store)
        assert len(header.imported_per_hour) == len(header.confirmed_per_hour) == 24
        assert (
            sum(header.imported_per_hour) == first.imported
            and sum(header.confirmed_per_hour) == second.confirmed == 5
        )
        assert (
            header.imported_per_hour[-1] == first.imported or now.minute == 0
        )  # this hour (unless it just turned)
        waiting = [r for r in env.connector.queue_rows() if r.stage in ("ready", "imported")]
        assert header.oldest_unshipped == min(r.first_seen for r in waiting)
        page = env.connector.queue_page(stage="imported", sort="gon", limit=3)
        imported = sorted(r.gon_id for r in env.connector.queue_rows() if r.stage == "imported")
        assert (
            [r.gon_id for r in page.rows] == imported[:3]
            and page.total == len(imported)
            and not page.capped
        )
        assert all(r.warehouse for r in page.rows)
        live = env.connector.queue_rows_of([imported[0], 999_999_999])
        assert list(live) == [imported[0]] and live[imported[0]].stage == "imported"
        assert env.connector.queue_position(imported[2], stage="imported", sort="gon") == 2
    finally:
        await env.aclose()
