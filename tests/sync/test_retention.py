"""Retention at the end of a cycle: notes confirmed or cancelled more than sync.keep_days ago
leave the state with their shipments, in small batches with the event loop running between
them; audit rows as old go too, never an open intent; nothing else is ever removed."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import bp_tui.state.rows as rows_module
import bp_tui.sync.retain as retain_module
from bp_tui.config import Config
from bp_tui.core.records import AuditRecord, PartRecord, ShipmentRecord
from bp_tui.core.stages import STAGES
from bp_tui.core.types import CycleSummary
from bp_tui.state import GonRecord, StateStore
from bp_tui.state.retention import Retention
from bp_tui.sync.context import CycleContext
from bp_tui.sync.retain import Retain
from bp_tui.sync.writer import Writer
from tests.state_helpers import stages_counted, written_again_at

from .conftest import shw_counts, ss_keys

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
KEEP = 30


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def context(store: StateStore, keep_days: int = KEEP) -> CycleContext:
    config = Config()
    config.sync.keep_days = keep_days
    summary = CycleSummary()
    # the ports are not used by Retain
    return CycleContext(
        config=config,
        bp=None,
        ss=None,
        store=store,  # type: ignore[arg-type]
        writer=Writer(store, summary),
        summary=summary,
        now=lambda: NOW,
    )


def build(tmp_path, monkeypatch, notes: int = 600, seed: int = 5):  # type: ignore[no-untyped-def]
    """Notes of every stage and age (written under a moving clock), a label each, audit rows of
    every age and result, some open intents, some labels with work left."""
    rng = random.Random(seed)
    clock = Clock(NOW)
    monkeypatch.setattr(rows_module, "utcnow", clock)
    store = StateStore(tmp_path / "state.sqlite3")
    ages: dict[int, timedelta] = {}
    audit: list[tuple[datetime, str, int]] = []  # (at, result, note), in the order drawn
    with store.transaction():
        for gon_id in range(1, notes + 1):
            age = timedelta(
                days=rng.choice([0, 1, KEEP - 1, KEEP, KEEP + 1, 200]),
                minutes=rng.randrange(-90, 90),
            )
            clock.at = NOW - age
            ages[gon_id] = age
            stage = rng.choice(STAGES)
            store.save_gon(
                GonRecord(
                    gon_id=gon_id,
                    order_id=10_000 + gon_id // 2,
                    stage=stage,
                    ss_order_id=90_000 + gon_id,
                    confirmed_at=clock.at if stage == "confirmed" else None,
                )
            )
            role = rng.choice(["confirmed"] * 12 + ["new", "late", "voided_before"])
            store.save_shipment(
                ShipmentRecord(
                    kind="shipment",
                    remote_id=500_000 + gon_id,
                    gon_id=gon_id,
                    ss_order_id=90_000 + gon_id,
                    role=role,
                    noted=rng.random() < 0.5,
                    voided=rng.random() < 0.1,
                    void_noted=rng.random() < 0.5,
                )
            )
            if (
                gon_id % 5 == 0
            ):  # its order was split in ShipStation (two parts), or merged into another
                kind = rng.choice(["split", "merged"])
                for n in range(1 if kind == "merged" else 2):
                    store.save_part(
                        PartRecord(
                            gon_id,
                            95_000 + gon_id * 2 + n,
                            kind,
                            f"{gon_id}-{n}",
                            "shipped",
                            clock.at,
                        )
                    )
            for _ in range(2):
                result = (
                    "intent" if rng.random() < 0.03 else rng.choice(["ok", "ok", "failed", "lost"])
                )
                at = NOW - timedelta(days=rng.choice([0, 2, KEEP + 3, 400]))
                audit.append((at, result, gon_id))
        # the audit rows, each written (and settled) at its time, in the order drawn: their ids
        # do not follow their age, as in a real log of notes written back out of order
        for at, result, gon_id in audit:
            clock.at = at
            item = (gon_id, 10_000 + gon_id // 2, f"shw:{gon_id}", "")
            [aid] = store.audit.record_intents("brightpearl", "shw", [item])
            if result != "intent":
                store.audit.settle_intents([(aid, result, "")])
    monkeypatch.undo()
    return store, ages


EVERY_ROW = 10**9  # store.audit.recent's limit: the whole log
NOTE_IDS = range(1, 10_001)  # beyond any note build() writes


def snapshot(store: StateStore) -> dict[str, object]:
    """The notes by id; the notes with labels, with parts; the audit log by id."""
    return {
        "gons": {r.gon_id: r for r in store.gons().values()},
        "shipments": {g for g, labels in store.shipments_of(NOTE_IDS).items() if labels},
        "parts": set(store.all_parts()),
        "audit": {r.id: r for r in store.audit.recent(EVERY_ROW)},
    }


def open_intent_subjects(audit: dict[int, AuditRecord]) -> tuple[set[int], set[int]]:
    rows = [a for a in audit.values() if a.result == "intent"]
    return {a.gon_id for a in rows}, {a.order_id for a in rows}


def pending_label(store: StateStore) -> set[int]:
    return store.queue.gons_with_pending_shipments()


async def test_retention_removes_only_old_confirmed_or_cancelled_notes_and_old_settled_audit(
    tmp_path, monkeypatch
):
    store, ages = build(tmp_path, monkeypatch)
    before = snapshot(store)
    intent_gons, intent_orders = open_intent_subjects(before["audit"])  # type: ignore[arg-type]
    pending = pending_label(store)
    ctx = context(store)
    await Retain()(ctx)
    after = snapshot(store)
    cutoff = NOW - timedelta(days=KEEP)
    gone = set(before["gons"]) - set(after["gons"])  # type: ignore[arg-type]
    expected = {
        g
        for g, r in before["gons"].items()  # type: ignore[union-attr]
        if r.stage in ("confirmed", "cancelled")
        and r.updated_at < cutoff
        and g not in intent_gons
        and r.order_id not in intent_orders
        and g not in pending
    }
    assert gone == expected and len(gone) > 20 and ctx.summary.removed == len(gone)
    for gon_id in gone:
        rec = before["gons"][gon_id]  # type: ignore[index]
        assert rec.stage in ("confirmed", "cancelled") and ages[gon_id] > timedelta(days=KEEP)
    # everything younger, or not finished, stays exactly as it was
    for gon_id, rec in after["gons"].items():  # type: ignore[union-attr]
        assert rec == before["gons"][gon_id]  # type: ignore[index]
    # the labels of removed notes went with them, and only those
    assert after["shipments"] == before["shipments"] - gone  # type: ignore[operator]
    # so did their ShipStation parts (split, merged), and only theirs
    assert before["parts"] & gone and after["parts"] == before["parts"] - gone  # type: ignore[operator]
    # audit: old settled rows go; every open intent and every younger row stays, whatever its note
    kept_ids = set(after["audit"])  # type: ignore[arg-type]
    for aid, row in before["audit"].items():  # type: ignore[union-attr]
        old = row.at < cutoff
        assert (aid in kept_ids) == (row.result == "intent" or not old), row
    assert store.queue.stage_counts() == stages_counted(store)
    # a second pass finds nothing more
    again = context(store)
    await Retain()(again)
    assert again.summary.removed == 0 and snapshot(store) == after
    store.close()


@pytest.mark.parametrize("seed", range(4))
async def test_never_a_note_that_is_not_finished_or_is_young_whatever_the_mix(
    tmp_path, monkeypatch, seed
):
    store, ages = build(tmp_path, monkeypatch, notes=200, seed=seed)
    before = snapshot(store)
    await Retain()(context(store, keep_days=1 + seed * 20))
    gone = set(before["gons"]) - set(snapshot(store)["gons"])  # type: ignore[arg-type]
    intent_gons, _orders = open_intent_subjects(before["audit"])  # type: ignore[arg-type]
    for gon_id in gone:
        rec = before["gons"][gon_id]  # type: ignore[index]
        assert rec.stage in ("confirmed", "cancelled")
        assert ages[gon_id] > timedelta(days=1 + seed * 20)
        assert gon_id not in intent_gons
    open_before = {a for a, r in before["audit"].items() if r.result == "intent"}  # type: ignore[union-attr]
    assert open_before and open_before <= set(snapshot(store)["audit"])  # type: ignore[arg-type]
    store.close()


async def test_batches_are_small_and_the_event_loop_runs_while_they_do(tmp_path, monkeypatch):
    """Each batch is its own transaction on a second connection, in a worker thread: the event
    loop (the dashboard) keeps running during a batch, not only between them, and its own
    connection reads the state meanwhile."""
    import threading
    import time

    store, _ages = build(tmp_path, monkeypatch, notes=600)
    monkeypatch.setattr(retain_module, "BATCH", 7)
    batches: list[tuple[int, int, int]] = []  # (notes, loop ticks before, loop ticks after)
    threads: set[int] = set()
    real_retire = Retention.retire_batch
    ticks = 0

    def slow_retire(self, before, limit):  # type: ignore[no-untyped-def]
        assert self is not store.retention  # the worker's own connection
        threads.add(threading.get_ident())
        ticks_before = ticks
        time.sleep(0.02)  # a batch that takes a while
        out = real_retire(self, before, limit)
        if out:
            batches.append((out, ticks_before, ticks))
        return out

    monkeypatch.setattr(Retention, "retire_batch", slow_retire)
    done = False
    reads: list[int] = []

    async def dashboard() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            reads.append(
                sum(store.queue.stage_counts().values())
            )  # the loop's connection reads meanwhile
            await asyncio.sleep(0.001)

    task = asyncio.create_task(dashboard())
    await asyncio.sleep(0)
    ctx = context(store)
    await Retain()(ctx)
    done = True
    await task
    reads.append(sum(store.queue.stage_counts().values()))
    assert len(batches) >= 5 and max(n for n, _b, _a in batches) <= 7
    assert sum(n for n, _b, _a in batches) == ctx.summary.removed
    assert threading.get_ident() not in threads
    assert all(
        after - before >= 3 for _n, before, after in batches
    )  # the loop ran during each batch
    assert reads[0] - reads[-1] == ctx.summary.removed  # and saw the notes leave...
    assert len(set(reads)) > 3  # ...batch by batch
    store.close()


async def test_a_dry_run_removes_nothing(tmp_path, monkeypatch):
    store, _ages = build(tmp_path, monkeypatch, notes=200)
    before = snapshot(store)
    with store.rehearsal():
        ctx = context(store)
        await Retain()(ctx)
        assert ctx.summary.removed > 0
    assert snapshot(store) == before
    store.close()


async def test_a_stop_request_ends_retention_between_batches(tmp_path, monkeypatch):
    from bp_tui.errors import StopRequested

    store, _ages = build(tmp_path, monkeypatch, notes=600)
    monkeypatch.setattr(retain_module, "BATCH", 5)
    ctx = context(store)
    ctx.should_stop = lambda: ctx.summary.removed >= 10
    with pytest.raises(StopRequested):
        await Retain()(ctx)
    assert ctx.summary.removed == 10
    assert store.queue.stage_counts() == stages_counted(store)
    store.close()


async def test_a_cancelled_cycle_ends_the_retention_thread_after_its_batch(tmp_path, monkeypatch):
    import time

    store, _ages = build(tmp_path, monkeypatch, notes=600)
    monkeypatch.setattr(retain_module, "BATCH", 3)
    done: list[int] = []
    real_retire = Retention.retire_batch

    def slow_retire(self, before, limit):  # type: ignore[no-untyped-def]
        time.sleep(0.05)
        out = real_retire(self, before, limit)
        done.append(out)
        return out

    monkeypatch.setattr(Retention, "retire_batch", slow_retire)
    ctx = context(store)
    task = asyncio.create_task(Retain()(ctx))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.2)  # the batch under way ends
    ended = len(done)
    await asyncio.sleep(0.3)
    assert len(done) == ended and all(done)  # no batch after the one under way
    assert store.retention.expired_gons(
        NOW - timedelta(days=KEEP)
    )  # it stopped with notes left, not for want of them
    assert store.queue.stage_counts() == stages_counted(store)
    store.close()


async def test_removed_notes_do_not_come_back_on_later_cycles(env):
    """Over the sandbox: confirmed notes that aged out are removed at the end of a cycle; the
    next cycles neither re-import them nor write anything back for them again."""
    await env.connector.run_cycle()
    env.label(6)
    first = await env.connector.run_cycle()
    assert first.confirmed == 6 and first.removed == 0
    store = env.connector.store
    confirmed = {g for g, r in store.gons().items() if r.stage == "confirmed"}
    written_again_at(
        store, datetime.now(UTC) - timedelta(days=env.config.sync.keep_days + 1), confirmed
    )
    keys, shw = ss_keys(env), shw_counts(env)
    summary = await env.connector.run_cycle()
    assert summary.removed == len(confirmed) == 6 and summary.as_json()["removed"] == 6
    assert env.connector.last_run()[1].removed == 6  # kept with the run, as the other counts
    assert not set(store.gons()) & confirmed
    audit = store.audit.count(result=None)
    for _ in range(2):
        again = await env.connector.run_cycle()
        assert again.imported == again.updated == again.confirmed == again.removed == 0
    assert not set(store.gons()) & confirmed
    assert (
        ss_keys(env) == keys and shw_counts(env) == shw and store.audit.count(result=None) == audit
    )


async def test_removed_notes_leave_no_trace_in_the_file(tmp_path, monkeypatch):
    """Personal data of removed notes (names, addresses in the payload) is not left behind in
    free pages: deleted cells are zeroed where their page is written, and every freed page is
    given back to the file system at the end of the pass."""
    clock = Clock(NOW - timedelta(days=KEEP + 10))
    monkeypatch.setattr(rows_module, "utcnow", clock)
    path = tmp_path / "state.sqlite3"
    store = StateStore(path)
    with store.transaction():
        for gon_id in range(1, 1201):
            clock.at = NOW - timedelta(days=KEEP + 10 if gon_id <= 1000 else 1)
            name = f"Person-{gon_id:05d}-{'gone' if gon_id <= 1000 else 'kept'}"
            store.save_gon(
                GonRecord(
                    gon_id=gon_id,
                    order_id=gon_id,
                    stage="confirmed",
                    customer=name,
                    ss_payload=f'{{"shipTo": {{"name": "{name}", '
                    f'"street1": "{gon_id} {name} Street"}}}}',
                    confirmed_at=clock.at,
                )
            )
    monkeypatch.undo()
    await Retain()(context(store))
    assert len(store.gons()) == 200
    store.close()
    data = b"".join(
        Path(f"{path}{s}").read_bytes() for s in ("", "-wal") if Path(f"{path}{s}").exists()
    )
    assert data.count(b"-kept") >= 200  # the control: what stays is found
    assert b"-gone" not in data


@pytest.mark.parametrize("action", ["none", "set_status"])
async def test_confirmed_notes_brightpearl_still_lists_stay_until_they_leave_its_search(
    tmp_path, action
):
    """The issue's scenario: with ``shipped_action`` none or set_status a confirmed note stays
    unshipped in Brightpearl, in Discover's search for ``lookback_days``. With ``keep_days``
    below that, retention keeps it anyway (never rediscovered, never sent again); once it is
    older than both (and out of the search window) it goes, and it does not come back."""
    from bp_tui.sandbox.brightpearl.shapes import bp_time

    from .conftest import make_env

    overrides = {
        "brightpearl": {"shipped_action": action},
        "sync": {"keep_days": 2, "lookback_days": 30},
    }
    if action == "set_status":
        overrides["brightpearl"]["shipped_status_id"] = 5
    env = make_env(tmp_path, orders=60, seed=1, config_overrides=overrides)
    try:
        assert env.config.history_warning() is not None  # what doctor shows for these settings
        await env.connector.run_cycle()
        env.label(6)
        first = await env.connector.run_cycle()
        assert first.confirmed == 6
        store = env.connector.store
        confirmed = {g for g, r in store.gons().items() if r.stage == "confirmed"}
        assert len(confirmed) == 6
        listed = {
            r.goods_out_note_id
            for r in await env.connector.bp.search_goods_out(
                shipped=False, created_after=datetime.now(UTC) - timedelta(days=30)
            )
        }
        assert confirmed <= listed  # Brightpearl still lists them as unshipped

        def age(days: int) -> None:
            written_again_at(store, datetime.now(UTC) - timedelta(days=days), confirmed)

        age(10)  # older than keep_days, younger than lookback_days
        keys, shw = ss_keys(env), shw_counts(env)
        for _ in range(2):
            again = await env.connector.run_cycle()
            assert again.removed == 0 and again.imported == again.failed == 0
        assert {g for g, r in store.gons().items() if r.stage == "confirmed"} == confirmed
        assert ss_keys(env) == keys and shw_counts(env) == shw
        # older than both: created 40 days ago in Brightpearl (out of the search), confirmed 31 days
        # ago
        for gon_id in confirmed:
            env.bp.gons[gon_id]["createdOn"] = bp_time(datetime.now(UTC) - timedelta(days=40))
        age(31)
        gone = await env.connector.run_cycle()
        assert gone.removed == 6 and not set(store.gons()) & confirmed
        for _ in range(2):
            later = await env.connector.run_cycle()
            assert later.imported == later.failed == later.removed == 0
        assert not set(store.gons()) & confirmed and ss_keys(env) == keys
    finally:
        await env.aclose()


async def test_a_stop_request_interrupts_a_long_batch_which_is_rolled_back_whole(
    tmp_path, monkeypatch
):
    """A batch that would take seconds (each row's delete slowed) is interrupted within a
    fraction of a second of the stop request: its notes all stay (rolled back, labels and parts
    with them), the batches before stay done, and the counts stay exact."""
    import time

    from bp_tui.errors import StopRequested

    store, _ages = build(tmp_path, monkeypatch, notes=600)
    due = len(store.retention.expired_gons(NOW - timedelta(days=KEEP), 10_000))
    assert due > 30
    monkeypatch.setattr(retain_module, "BATCH", 10)
    real_worker = StateStore.worker

    def slow_worker(self):  # type: ignore[no-untyped-def]
        other = real_worker(self)
        other.db.create_function("slowly", 0, lambda: time.sleep(0.05))  # 10 rows: 0.5 s a batch
        other.db.execute(
            "CREATE TEMP TRIGGER slow_delete AFTER DELETE ON main.gons BEGIN SELECT slowly(); END"
        )
        return other

    monkeypatch.setattr(StateStore, "worker", slow_worker)
    ctx = context(store)
    asked: list[float] = []

    def should_stop() -> bool:
        if ctx.summary.removed >= 10 and not asked:
            asked.append(time.monotonic() + 0.15)  # asked 0.15 s into the second batch
        return bool(asked) and time.monotonic() >= asked[0]

    ctx.should_stop = should_stop
    with pytest.raises(StopRequested):
        await Retain()(ctx)
    assert time.monotonic() - asked[0] < 0.3  # not the rest of the 0.5 s batch
    assert ctx.summary.removed == 10
    gons = set(store.gons())
    assert len(store.retention.expired_gons(NOW - timedelta(days=KEEP), 10_000)) == due - 10
    orphans = store.db.execute(
        "SELECT COUNT(*) FROM shipments WHERE gon_id NOT IN (SELECT gon_id FROM gons)"
    )
    assert orphans.fetchone()[0] == 0 and gons
    assert store.queue.stage_counts() == stages_counted(store)
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()
