"""The sync engine end to end over the in-process sandboxes of both APIs."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bp_tui.errors import SyncLocked
from bp_tui.state import SyncLock
from bp_tui.sync.mapping import order_key

from .conftest import eligible_gon_ids, make_env, shw_counts, ss_keys

BAD_GONS_REASONS = {
    "delivery address has no first address line",
    "delivery address has no country",
    "the goods-out note has no rows",
    "ShipStation rejected it: Invalid country code 'UK'",
}


async def test_imports_exactly_the_eligible_notes_once(env):
    eligible = eligible_gon_ids(env)
    summary = await env.connector.run_cycle()
    rows = {r.gon_id: r for r in env.connector.queue_rows()}
    failed = {g for g, r in rows.items() if r.stage == "failed"}
    imported = {g for g, r in rows.items() if r.stage == "imported"}
    assert imported | failed == eligible
    assert {rows[g].reason for g in failed} == BAD_GONS_REASONS
    assert summary.imported == len(imported) and summary.failed == len(failed)
    keys = ss_keys(env)
    assert set(keys) == {order_key("demo", g) for g in imported}
    assert max(keys.values()) == 1
    # not printed, transfers: waiting with a reason, never sent
    waiting = [r for r in rows.values() if r.stage == "waiting"]
    assert waiting and all(r.reason for r in waiting)
    assert summary.skipped["transfer"] == 1
    # second run: no new orders, nothing re-sent
    again = await env.connector.run_cycle()
    assert again.imported == 0 and again.updated == 0
    assert ss_keys(env) == keys
    assert (
        again.api_calls["shipstation"] == 4
    )  # labels created, labels voided, fulfillments, orders changed


@pytest.mark.parametrize(
    "ss_api", ["v1"]
)  # V1 fields; V2's mapping: tests/shipstation_v2/test_engine_v2.py
async def test_mapping_follows_the_spec(env):
    await env.connector.run_cycle()
    gid, gon = next(
        (g, n)
        for g, n in sorted(env.bp.gons.items())
        if n["status"]["printed"]
        and not n["status"]["shipped"]
        and n["orderId"]
        and env.ss.order_by_key(order_key("demo", g))
    )
    order = env.bp.orders[gon["orderId"]]
    sent = env.ss.order_by_key(order_key("demo", gid))
    seq = gon.get("sequence", 1)
    assert sent["orderNumber"] == (str(gon["orderId"]) if seq <= 1 else f"{gon['orderId']}-{seq}")
    assert sent["orderStatus"] == "awaiting_shipment"
    delivery = order["parties"]["delivery"]
    assert sent["shipTo"]["name"] == delivery["addressFullName"]
    assert sent["shipTo"]["street1"] == delivery["addressLine1"]
    assert sent["shipTo"]["city"] == (delivery.get("addressLine3") or None)
    assert sent["shipTo"]["country"] == delivery["countryIsoCode"]
    assert sent["customerEmail"] == order["parties"]["customer"]["email"]
    assert sent["advancedOptions"]["customField1"] == str(gon["warehouseId"])
    assert sent["advancedOptions"]["source"] == "Brightpearl"
    assert sent["advancedOptions"]["storeId"] == env.ss.brightpearl_store_id
    by_key = {i["lineItemKey"]: i for i in sent["items"]}
    assert set(by_key) == {str(r) for r in gon["orderRows"]}
    for row_id, parts in gon["orderRows"].items():
        item = by_key[str(row_id)]
        row = order["orderRows"][str(row_id)]
        assert item["quantity"] == sum(p["quantity"] for p in parts)
        assert item["sku"] == row["productSku"]
        assert item["unitPrice"] == pytest.approx(float(row["productPrice"]["value"]))
    placed = datetime.fromisoformat(order["placedOn"])
    pacific = placed.astimezone(ZoneInfo("America/Los_Angeles")).replace(tzinfo=None)
    assert sent["orderDate"].startswith(pacific.isoformat(timespec="seconds"))


async def test_second_gon_of_an_order_gets_a_suffixed_number(env):
    order_id = env.bp.add_order(rows=[(1001, 2), (1002, 1)])
    rows = list(env.bp.orders[order_id]["orderRows"])
    first = env.bp.add_gon(order_id, {int(rows[0]): 2}, state="printed")
    second = env.bp.add_gon(order_id, {int(rows[1]): 1}, state="printed")
    await env.connector.run_cycle()
    assert env.ss.order_by_key(order_key("demo", first))["orderNumber"] == str(order_id)
    assert env.ss.order_by_key(order_key("demo", second))["orderNumber"] == f"{order_id}-2"


async def test_labels_are_confirmed_once_with_tracking(env):
    await env.connector.run_cycle()
    labels = env.label(8)
    before_shw = shw_counts(env)
    summary = await env.connector.run_cycle()
    assert summary.confirmed == 8
    shw = shw_counts(env)
    for label in labels:
        gon_id = env.connector.store.gon_by_ss_order(label["orderId"]).gon_id
        gon = env.bp.gons[gon_id]
        assert gon["status"]["shipped"] is True
        assert gon["shipping"]["reference"] == label["trackingNumber"]
        assert shw[gon_id] == 1 and before_shw[gon_id] == 0
        notes = [
            n for n in env.bp.notes.get(gon["orderId"], []) if label["trackingNumber"] in n["text"]
        ]
        assert len(notes) == 1 and f"GON {gon_id}" in notes[0]["text"]
    # run again: no new writes to either API
    audit_before = env.connector.store.audit.count()
    again = await env.connector.run_cycle()
    assert again.confirmed == 0 and again.imported == 0
    assert env.connector.store.audit.count() == audit_before
    assert shw_counts(env) == shw


async def test_several_labels_all_tracking_numbers(env):
    await env.connector.run_cycle()
    order = env.open_orders()[0]
    env.ss.create_label(order["orderId"], tracking_number="TRACK-A-111")
    env.ss.create_label(order["orderId"], tracking_number="TRACK-B-222")
    await env.connector.run_cycle()
    gon_id = env.connector.store.gon_by_ss_order(order["orderId"]).gon_id
    assert env.bp.gons[gon_id]["shipping"]["reference"] == "TRACK-A-111, TRACK-B-222"
    assert shw_counts(env)[gon_id] == 1


async def test_voided_before_confirm_is_not_written(env):
    await env.connector.run_cycle(import_only=True)
    order = env.open_orders()[0]
    label = env.ss.create_label(order["orderId"])
    env.ss.void_label(label["shipmentId"])
    await env.connector.run_cycle()
    rec = env.connector.store.gon_by_ss_order(order["orderId"])
    assert rec.stage == "imported" and "voided" in rec.reason
    assert env.bp.gons[rec.gon_id]["status"]["shipped"] is False
    # a new label afterwards is confirmed normally
    new = env.ss.create_label(order["orderId"])
    await env.connector.run_cycle()
    assert env.connector.store.gon(rec.gon_id).stage == "confirmed"
    assert env.bp.gons[rec.gon_id]["shipping"]["reference"] == new["trackingNumber"]


async def test_void_after_confirm_and_replacement_label_need_attention(env):
    await env.connector.run_cycle()
    order = env.open_orders()[0]
    label = env.ss.create_label(order["orderId"])
    await env.connector.run_cycle()
    rec = env.connector.store.gon_by_ss_order(order["orderId"])
    assert rec.stage == "confirmed"
    env.ss.void_label(label["shipmentId"])
    replacement = env.ss.create_label(order["orderId"], tracking_number="REPLACEMENT-999")
    summary = await env.connector.run_cycle()
    rec = env.connector.store.gon(rec.gon_id)
    assert rec.stage == "attention" and rec.reason
    assert summary.attention >= 1
    texts = [n["text"] for n in env.bp.notes[rec.order_id]]
    assert sum("VOIDED" in t and label["trackingNumber"] in t for t in texts) == 1
    assert sum("REPLACEMENT-999" in t for t in texts) == 1
    assert shw_counts(env)[rec.gon_id] == 1  # never a second SHW
    assert env.bp.gons[rec.gon_id]["shipping"]["reference"] == label["trackingNumber"]
    # one note per such label, however often we run
    await env.connector.run_cycle()
    texts = [n["text"] for n in env.bp.notes[rec.order_id]]
    assert sum("REPLACEMENT-999" in t for t in texts) == 1
    assert replacement["trackingNumber"] == "REPLACEMENT-999"


async def test_marked_shipped_fulfillment_is_confirmed(env):
    await env.connector.run_cycle()
    order = env.open_orders()[0]
    env.ss.mark_shipped(order["orderId"], tracking_number="MANUAL-42", carrier_code="Airtranss")
    summary = await env.connector.run_cycle()
    assert summary.confirmed == 1
    rec = env.connector.store.gon_by_ss_order(order["orderId"])
    assert env.bp.gons[rec.gon_id]["status"]["shipped"]
    assert env.bp.gons[rec.gon_id]["shipping"]["reference"] == "MANUAL-42"


async def test_order_status_only_when_every_gon_shipped(tmp_path, ss_api):
    env = make_env(
        tmp_path,
        orders=0,
        ss_api=ss_api,
        config_overrides={
            "brightpearl": {"shipped_action": "mark_shipped_and_set_status", "shipped_status_id": 5}
        },
    )
    try:
        order_id = env.bp.add_order(rows=[(1001, 1), (1002, 1)])
        rows = list(env.bp.orders[order_id]["orderRows"])
        g1 = env.bp.add_gon(order_id, {int(rows[0]): 1}, state="printed")
        g2 = env.bp.add_gon(order_id, {int(rows[1]): 1}, state="printed")
        await env.connector.run_cycle()
        key1, key2 = (env.ss.order_by_key(order_key("demo", g)) for g in (g1, g2))
        initial = env.bp.orders[order_id]["orderStatus"]["orderStatusId"]
        env.ss.create_label(key1["orderId"])
        await env.connector.run_cycle()
        assert env.bp.gons[g1]["status"]["shipped"] and not env.bp.gons[g2]["status"]["shipped"]
        assert env.bp.orders[order_id]["orderStatus"]["orderStatusId"] == initial
        env.ss.create_label(key2["orderId"])
        await env.connector.run_cycle()
        assert env.bp.orders[order_id]["orderStatus"]["orderStatusId"] == 5
    finally:
        await env.aclose()


async def test_gon_deleted_after_import_is_cancelled(env):
    await env.connector.run_cycle()
    order = env.open_orders()[0]
    rec = env.connector.store.gon_by_ss_order(order["orderId"])
    env.bp.delete_gon(rec.gon_id)
    assert (
        await env.connector.run_cycle()
    ).cancelled == 0  # a first proof: read again on the next cycle
    summary = await env.connector.run_cycle()
    assert summary.cancelled == 1
    assert env.ss.orders[order["orderId"]]["orderStatus"] == "cancelled"
    assert env.connector.store.gon(rec.gon_id).stage == "cancelled"


async def test_dry_run_writes_nothing(env):
    summary = await env.connector.run_cycle(dry_run=True)
    assert summary.dry_run and summary.imported > 0 and summary.would_write
    assert env.ss.orders == {}
    assert env.connector.store.queue.stage_counts() == {}
    await env.connector.run_cycle()
    env.label(3)
    stages = env.connector.store.queue.stage_counts()
    shw = shw_counts(env)
    dry = await env.connector.run_cycle(dry_run=True)
    assert dry.confirmed == 3
    assert shw_counts(env) == shw
    assert env.connector.store.queue.stage_counts() == stages


async def test_failed_note_is_retried_after_fix(env):
    await env.connector.run_cycle()
    bad = next(
        r for r in env.connector.queue_rows() if r.reason == "delivery address has no country"
    )
    order = env.bp.orders[bad.order_id]
    order["parties"]["delivery"]["countryIsoCode"] = "FR"
    order["parties"]["delivery"]["country"] = "France"
    summary = await env.connector.run_cycle()
    assert env.connector.store.gon(bad.gon_id).stage == "failed"  # still in backoff
    assert summary.skipped.get("backoff", 0) >= 1
    assert env.connector.retry([bad.gon_id]) == 1
    summary = await env.connector.run_cycle()
    assert env.connector.store.gon(bad.gon_id).stage == "imported"
    # new in ShipStation, though attempted before: imported (docs/contract.md), not re-sent
    assert summary.imported == 1 and summary.updated == 0


async def test_second_sync_on_same_state_is_refused(env):
    lock = SyncLock(env.state_path)
    lock.acquire()
    try:
        with pytest.raises(SyncLocked) as info:
            await env.connector.run_cycle()
        assert "another sync is running (pid" in str(info.value)
    finally:
        lock.release()
    await env.connector.run_cycle()


async def test_api_calls_within_1_1x_of_the_batched_floor(tmp_path, ss_api):
    env = make_env(tmp_path, orders=2300, seed=5, ss_api=ss_api)
    try:
        for gon in env.bp.gons.values():
            if gon["orderId"] and not gon["status"]["shipped"]:
                gon["status"]["printed"] = True
        eligible = eligible_gon_ids(env)
        assert len(eligible) >= 2000
        # the orders changed in ShipStation in the window are read before anything is sent
        changed = sum(
            1
            for o in env.ss.orders.values()
            if o["advancedOptions"]["storeId"] == env.ss.brightpearl_store_id
        )
        summary = await env.connector.run_cycle()
        orders = {env.bp.gons[g]["orderId"] for g in eligible}
        products = {
            p["productId"]
            for g in eligible
            for parts in env.bp.gons[g]["orderRows"].values()
            for p in parts
        }
        sent = summary.imported + summary.updated
        # ShipStation reads: labels created, labels voided, fulfillments, the orders changed in the
        # window (paged by 500: here none yet), and one order read before each re-send.
        floor = (
            math.ceil(len(eligible) / 500) * 2
            + math.ceil(len(orders) / 200)
            + math.ceil(len(products) / 50)
            + math.ceil(sent / 100)
            + 3
            + max(1, math.ceil(changed / 500))
            + summary.updated
        )
        if ss_api == "v2":
            floor += sent  # V2 has no upsert: one look-up by external_shipment_id per new note
        total = summary.api_calls["brightpearl"] + summary.api_calls["shipstation"]
        assert total <= 1.1 * floor, (total, floor, summary.api_calls)
    finally:
        await env.aclose()


async def test_note_shipped_in_brightpearl_is_marked_shipped_in_shipstation(tmp_path, ss_api):
    env = make_env(
        tmp_path,
        orders=20,
        ss_api=ss_api,
        config_overrides={"shipstation": {"notify_customer": True}},
    )
    try:
        await env.connector.run_cycle()
        first, second = env.open_orders()[:2]
        rec = env.connector.store.gon_by_ss_order(first["orderId"])
        env.bp.gons[rec.gon_id]["shipping"]["reference"] = "HANDWRITTEN-1"
        env.bp.ship_outside(rec.gon_id)
        other = env.connector.store.gon_by_ss_order(second["orderId"])
        env.bp.ship_outside(other.gon_id)
        env.ss.orders[second["orderId"]]["orderStatus"] = (
            "cancelled"  # someone cancelled it in ShipStation
        )
        summary = await env.connector.run_cycle()
        rec = env.connector.store.gon(rec.gon_id)
        assert rec.stage == "confirmed" and "marked shipped" in rec.reason
        assert env.ss.orders[first["orderId"]]["orderStatus"] == "shipped"
        assert env.ss.notifications == [(first["orderId"], True, False)]
        fulfillment = next(
            f for f in env.ss.fulfillments.values() if f["orderId"] == first["orderId"]
        )
        assert fulfillment["trackingNumber"] == "HANDWRITTEN-1"
        other = env.connector.store.gon(other.gon_id)
        assert other.stage == "attention" and "outside ShipStation" in other.reason
        assert summary.attention == 1
        # our own mark-as-shipped is not mistaken for a replacement label; nothing more is written
        before = len(env.bp.request_log)
        again = await env.connector.run_cycle()
        assert env.connector.store.gon(rec.gon_id).stage == "confirmed"
        assert again.attention == 0 and len(env.ss.fulfillments) == 1
        reads = [p for _t, m, p, _s in env.bp.request_log[before:] if "/goods-note/goods-out/" in p]
        assert reads == []  # shipped notes are not re-read every cycle
        assert not [n for n in env.bp.notes.get(rec.order_id, []) if "[bp-tui" in n["text"]]
    finally:
        await env.aclose()


@pytest.mark.parametrize(
    "ss_api", ["v1"]
)  # V1 fields; V2's weights: tests/shipstation_v2/test_engine_v2.py
async def test_weights_and_non_stock_rows(tmp_path, ss_api):
    env = make_env(
        tmp_path,
        orders=0,
        config_overrides={"products": {"skip_non_stock_rows": False, "weight_unit": "ounces"}},
    )
    try:
        stock = next(
            p
            for p, d in env.bp.products.items()
            if d["stock"]["stockTracked"] and d["stock"]["weight"]["magnitude"]
        )
        non_stock = next(p for p, d in env.bp.products.items() if not d["stock"]["stockTracked"])
        order_id = env.bp.add_order(rows=[(stock, 2), (non_stock, 1)])
        gid = env.bp.add_gon(order_id, state="printed")
        await env.connector.run_cycle()
        items = env.ss.order_by_key(order_key("demo", gid))["items"]
        by_product = {i["productId"]: i for i in items if i.get("productId")}
        weight = env.bp.products[stock]["stock"]["weight"]["magnitude"]
        assert by_product[stock]["weight"]["value"] == pytest.approx(float(weight))
        assert by_product[stock]["weight"]["units"] == "ounces"
        assert len(items) == 2  # the non-stock row rides along with the first note
        assert any(i["quantity"] == 1 and i.get("productId") != stock for i in items)
    finally:
        await env.aclose()


async def test_non_stock_rows_skipped_by_default(env):
    await env.connector.run_cycle()
    for gid, gon in env.bp.gons.items():
        sent = env.ss.order_by_key(order_key("demo", gid))
        if sent:
            assert {i["lineItemKey"] for i in sent["items"]} == {str(r) for r in gon["orderRows"]}


@pytest.mark.parametrize("action", ["set_status", "none"])
async def test_actions_that_do_not_mark_the_note_shipped(tmp_path, action, ss_api):
    env = make_env(
        tmp_path,
        orders=0,
        ss_api=ss_api,
        config_overrides={
            "brightpearl": {
                "shipped_action": action,
                "shipped_status_id": 5 if action == "set_status" else 0,
            }
        },
    )
    try:
        order_id = env.bp.add_order(rows=[(1001, 1)])
        gid = env.bp.add_gon(order_id, state="printed")
        await env.connector.run_cycle()
        env.label(1)
        summary = await env.connector.run_cycle()
        assert summary.confirmed == 1
        assert env.connector.store.gon(gid).stage == "confirmed"
        assert env.bp.gons[gid]["status"]["shipped"] is False  # steps 1-2 skipped
        assert env.bp.gons[gid]["shipping"]["reference"] == ""
        status = env.bp.orders[order_id]["orderStatus"]["orderStatusId"]
        notes = env.bp.notes.get(order_id, [])
        if action == "set_status":
            assert status == 5 and len([n for n in notes if "[bp-tui note:" in n["text"]]) == 1
        else:
            assert status != 5 and not [n for n in notes if "[bp-tui" in n["text"]]
    finally:
        await env.aclose()


async def test_address_corrected_in_brightpearl_updates_the_open_order(env):
    await env.connector.run_cycle()
    orders = env.open_orders()
    target, shipped = orders[0], orders[1]
    rec = env.connector.store.gon_by_ss_order(target["orderId"])
    quiet = await env.connector.run_cycle()  # nothing changed: no re-send
    assert quiet.updated == 0
    env.bp.update_order(rec.order_id, delivery={"addressLine1": "99 Corrected Road"})
    summary = await env.connector.run_cycle()
    assert summary.updated == 1
    assert env.ss.orders[target["orderId"]]["shipTo"]["street1"] == "99 Corrected Road"
    assert ss_keys(env)[order_key("demo", rec.gon_id)] == 1
    # an edit that does not change what ShipStation holds is not sent
    env.bp.update_order(rec.order_id, delivery={"addressLine1": "99 Corrected Road"})
    assert (await env.connector.run_cycle()).updated == 0
    # an order already shipped in ShipStation is not updated; the reason says so
    label = env.ss.create_label(shipped["orderId"])
    other = env.connector.store.gon_by_ss_order(shipped["orderId"])
    env.bp.update_order(other.order_id, delivery={"addressLine1": "Too Late Lane"})
    await env.connector.run_cycle(import_only=True)
    after = env.connector.store.gon(other.gon_id)
    assert after.stage == "imported" and "refused the update" in after.reason
    assert env.ss.orders[shipped["orderId"]]["shipTo"]["street1"] != "Too Late Lane"
    await env.connector.run_cycle()
    assert env.connector.store.gon(other.gon_id).stage == "confirmed"
    assert env.bp.gons[other.gon_id]["shipping"]["reference"] == label["trackingNumber"]


async def test_warehouse_names_are_loaded_once_and_kept_in_the_state(env):
    from bp_tui.service.connector import Connector

    await env.connector.run_cycle()
    assert {r.warehouse for r in env.connector.queue_rows()} <= {
        str(w) for w in env.bp.warehouses
    } | {""}
    await env.connector.load_names()
    names = {w["name"] for w in env.bp.warehouses.values()}
    assert {r.warehouse for r in env.connector.queue_rows() if r.warehouse_id} <= names
    later = Connector(env.config, env.state_path)  # a new start, before any call
    try:
        assert {r.warehouse for r in later.queue_rows() if r.warehouse_id} <= names
    finally:
        await later.aclose()


async def test_demo_ticks_move_notes_through_every_stage(tmp_path, ss_api):
    env = make_env(tmp_path, orders=60, seed=1, ss_api=ss_api)
    try:
        seen: set[str] = set()
        await env.connector.run_cycle()
        for _ in range(40):
            await env.tick()
            await env.connector.run_cycle()
            seen |= set(env.connector.store.queue.stage_counts())
        assert {"waiting", "imported", "confirmed", "failed", "attention", "cancelled"} <= seen
        assert max(ss_keys(env).values()) == 1 and max(shw_counts(env).values()) == 1
    finally:
        await env.aclose()


async def test_lost_answers_of_mark_shipped_and_cancel_are_recognised(env):
    """The write happened but its answer was lost: the re-try is refused as "not open", and a
    re-read of the order shows our own earlier write, so nothing needs attention."""
    await env.connector.run_cycle()
    first, second = env.open_orders()[:2]
    shipped = env.connector.store.gon_by_ss_order(first["orderId"])
    deleted = env.connector.store.gon_by_ss_order(second["orderId"])
    env.bp.ship_outside(shipped.gon_id)
    env.ss.mark_shipped(first["orderId"], tracking_number="", carrier_code="other")  # the lost mark
    env.bp.delete_gon(deleted.gon_id)
    env.ss.orders[second["orderId"]]["orderStatus"] = "cancelled"  # the lost cancel
    first_cycle = await env.connector.run_cycle()  # the deletion's first proof
    summary = await env.connector.run_cycle()  # and its second
    assert first_cycle.attention == 0
    assert env.connector.store.gon(shipped.gon_id).stage == "confirmed"
    assert env.connector.store.gon(deleted.gon_id).stage == "cancelled"
    assert summary.attention == 0
    assert len([f for f in env.ss.fulfillments.values() if f["orderId"] == first["orderId"]]) == 1
