"""What real accounts do (issue 13), end to end over the sandboxes: a Brightpearl account in its
own time zone, split and merged ShipStation orders, return labels, late voids, and edits on
both sides of an order."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import pytest

from bp_tui.core import reasons
from bp_tui.shipstation.dates import to_api_datetime
from bp_tui.sync.mapping import order_key

from .conftest import make_env, shw_counts, ss_keys


async def test_an_account_in_utc_minus_6_misses_no_order_edit(tmp_path):
    env = make_env(tmp_path, orders=20, seed=2, bp_timezone="UTC-6")
    try:
        await env.connector.run_cycle()
        target = env.open_orders()[0]
        rec = env.connector.store.gon_by_ss_order(target["orderId"])
        env.bp.update_order(rec.order_id, delivery={"addressLine1": "6 Central Avenue"})
        summary = await env.connector.run_cycle()
        assert summary.updated == 1
        assert env.ss.orders[target["orderId"]]["shipTo"]["street1"] == "6 Central Avenue"
    finally:
        await env.aclose()


USER_EDITS = {  # what a ShipStation user sets on an open order in the web UI
    "carrierCode": "fedex",
    "serviceCode": "fedex_2day",
    "packageCode": "package",
    "weight": {"value": 40, "units": "ounces"},
    "dimensions": {"units": "inches", "length": 12, "width": 9, "height": 5},
    "internalNotes": "fragile: double box",
    "customerNotes": "leave at the back door",
    "tagIds": [53974],
    "holdUntilDate": "2026-04-01",
    "insuranceOptions": {"provider": "carrier", "insureShipment": True, "insuredValue": 120},
    "advancedOptions": {"customField2": "picked by Jo", "customField3": "bay 4"},
}


async def test_a_resend_changes_only_bp_tuis_fields_and_keeps_what_a_shipstation_user_set(env):
    await env.connector.run_cycle()
    target = env.open_orders()[0]
    rec = env.connector.store.gon_by_ss_order(target["orderId"])
    env.ss.edit_order(target["orderId"], **USER_EDITS)
    env.bp.update_order(rec.order_id, delivery={"addressLine1": "12 New Road"})
    before = len(env.ss.request_log)
    summary = await env.connector.run_cycle()
    assert summary.updated == 1
    after = env.ss.orders[target["orderId"]]
    assert after["shipTo"]["street1"] == "12 New Road"  # bp-tui's field changed
    for key, value in USER_EDITS.items():
        if key != "advancedOptions":
            assert after[key] == value, key
    assert after["advancedOptions"]["customField2"] == "picked by Jo"
    assert after["advancedOptions"]["customField3"] == "bay 4"
    assert after["advancedOptions"]["customField1"] == target["advancedOptions"]["customField1"]
    assert after["orderStatus"] == "on_hold"  # the hold stays
    calls = [(m, p.split("?")[0]) for _t, m, p, _s in env.ss.request_log[before:]]
    if env.ss_api == "v2":  # the read is the GET of the shipment, the write its PUT
        read, write = (
            ("GET", f"/v2/shipments/se-{target['orderId']}"),
            ("PUT", f"/v2/shipments/se-{target['orderId']}"),
        )
    else:
        read, write = ("GET", f"/orders/{target['orderId']}"), ("POST", "/orders/createorders")
    assert calls.index(read) < calls.index(write)
    assert calls.count(read) == 1  # read once: V2's adapter updates from the engine's read
    assert len(ss_keys(env)) == len(env.ss.orders)  # an update, never a new order
    # nothing changed since: no read, no re-send
    before = len(env.ss.request_log)
    assert (await env.connector.run_cycle()).updated == 0
    assert [
        p
        for _t, m, p, _s in env.ss.request_log[before:]
        if m in ("POST", "PUT") or p.startswith(("/orders/", "/v2/shipments/"))
    ] == []


async def test_a_resend_to_an_order_that_is_no_longer_open_is_read_and_not_sent(env):
    await env.connector.run_cycle()
    target = env.open_orders()[0]
    rec = env.connector.store.gon_by_ss_order(target["orderId"])
    env.ss.mark_shipped(target["orderId"], tracking_number="", carrier_code="other")
    env.bp.update_order(rec.order_id, delivery={"addressLine1": "Too Late Lane"})
    before = len(env.ss.request_log)
    summary = await env.connector.run_cycle(import_only=True)
    assert summary.updated == 0
    assert ("POST", "/orders/createorders") not in [
        (m, p) for _t, m, p, _s in env.ss.request_log[before:]
    ]
    after = env.connector.store.gon(rec.gon_id)
    assert (
        after.stage == "imported"
        and "is shipped" in after.reason
        and "refused the update" in after.reason
    )


async def test_a_note_that_failed_at_confirm_is_confirmed_later_never_imported_again(env):
    """Its order is in ShipStation (shipped): the retry writes the label back; it does not send
    the note to ShipStation again (which refused it, and kept the note failed for ever)."""
    await env.connector.run_cycle()
    order = env.open_orders()[0]
    label = env.ss.create_label(order["orderId"])
    rec = env.connector.store.gon_by_ss_order(order["orderId"])
    env.bp.fail_next("POST", f"goods-out/{rec.gon_id}/event", status=400)  # refused once
    first = await env.connector.run_cycle()
    assert env.connector.store.gon(rec.gon_id).stage == "failed" and first.failing >= 1
    env.connector.retry([rec.gon_id])
    before = len(env.ss.request_log)
    again = await env.connector.run_cycle()
    sent = [p for _t, m, p, _s in env.ss.request_log[before:] if m == "POST"]
    assert sent == []  # nothing sent to ShipStation
    after = env.connector.store.gon(rec.gon_id)
    assert after.stage == "confirmed", (after.stage, after.reason)
    assert env.bp.gons[rec.gon_id]["shipping"]["reference"] == label["trackingNumber"]
    assert shw_counts(env)[rec.gon_id] == 1 and again.confirmed == 1


async def test_each_note_names_its_own_label_and_the_others_only_as_also(env):
    await env.connector.run_cycle()
    order = env.open_orders()[0]
    env.ss.create_label(
        order["orderId"],
        tracking_number="TRACK-A-111",
        carrier_code="ups",
        service_code="ups_ground",
    )
    env.ss.create_label(
        order["orderId"],
        tracking_number="TRACK-B-222",
        carrier_code="fedex",
        service_code="fedex_2day",
    )
    await env.connector.run_cycle()
    rec = env.connector.store.gon_by_ss_order(order["orderId"])
    notes = [n["text"] for n in env.bp.notes[rec.order_id] if "[bp-tui note:" in n["text"]]
    assert len(notes) == 2
    first = next(t for t in notes if "tracking TRACK-A-111" in t)
    second = next(t for t in notes if "tracking TRACK-B-222" in t)
    assert "carrier ups, service ups_ground" in first and "also: TRACK-B-222" in first
    assert "carrier fedex, service fedex_2day" in second and "also: TRACK-A-111" in second
    assert "fedex" not in first and "ups" not in second.split("also:")[0]


# ---- split orders -------------------------------------------------------------------------------


def _splittable(env) -> dict:
    return next(o for o in env.open_orders() if sum(i["quantity"] for i in o["items"]) >= 2)


def _bp_notes(env, order_id: int) -> list[str]:
    return [n["text"] for n in env.bp.notes.get(order_id, []) if "[bp-tui note:" in n["text"]]


async def test_a_split_order_is_confirmed_once_every_part_is_labelled_with_every_tracking_number(
    env,
):
    await env.connector.run_cycle()
    original = _splittable(env)
    rec = env.connector.store.gon_by_ss_order(original["orderId"])
    part = env.ss.split_order(original["orderId"])
    second = env.ss.create_label(part["orderId"], tracking_number="PART-TWO-222")
    summary = await env.connector.run_cycle()
    waiting = env.connector.store.gon(rec.gon_id)
    assert (
        waiting.stage == "imported"
        and waiting.reason == "split into 2 in ShipStation: 1 of 2 labelled"
    )
    assert summary.confirmed == 0 and shw_counts(env)[rec.gon_id] == 0
    assert not env.bp.gons[rec.gon_id]["status"]["shipped"] and not _bp_notes(env, rec.order_id)
    (diagnosis,) = await env.connector.diagnose(rec.gon_id)
    assert "split into 2 in ShipStation: 1 of 2 labelled" in diagnosis.verdict
    assert sum(1 for name, _ in diagnosis.facts if name == "part") == 2
    row = next(
        r for r in env.connector.queue_rows() if r.gon_id == rec.gon_id
    )  # the detail view's parts
    assert {(p.ss_order_id, p.tracking) for p in row.parts} == {
        (original["orderId"], ""),
        (part["orderId"], "PART-TWO-222"),
    }
    first = env.ss.create_label(original["orderId"], tracking_number="PART-ONE-111")
    summary = await env.connector.run_cycle()
    done = env.connector.store.gon(rec.gon_id)
    assert done.stage == "confirmed" and summary.confirmed == 1
    assert done.reason == "split into 2 in ShipStation: 2 of 2 labelled"
    assert (
        env.bp.gons[rec.gon_id]["shipping"]["reference"] == "PART-TWO-222, PART-ONE-111"
    )  # as labelled
    assert shw_counts(env)[rec.gon_id] == 1
    notes = _bp_notes(env, rec.order_id)
    assert len(notes) == 2
    assert any("tracking PART-ONE-111" in t and "also: PART-TWO-222" in t for t in notes)
    assert any("tracking PART-TWO-222" in t and "also: PART-ONE-111" in t for t in notes)
    assert first["orderKey"] == second["orderKey"] == order_key("demo", rec.gon_id)
    # nothing more on later cycles
    audit = env.connector.store.audit.count()
    await env.connector.run_cycle()
    assert env.connector.store.audit.count() == audit and shw_counts(env)[rec.gon_id] == 1


async def test_a_cancelled_part_counts_as_done(env):
    await env.connector.run_cycle()
    original = _splittable(env)
    rec = env.connector.store.gon_by_ss_order(original["orderId"])
    part = env.ss.split_order(original["orderId"])
    env.ss.create_label(original["orderId"], tracking_number="ONLY-PART-1")
    await env.connector.run_cycle()
    assert env.connector.store.gon(rec.gon_id).stage == "imported"
    env.ss.orders[part["orderId"]]["orderStatus"] = "cancelled"  # a user cancels the other part
    env.ss.orders[part["orderId"]]["modifyDate"] = to_api_datetime(datetime.now(UTC))
    await env.connector.run_cycle()
    done = env.connector.store.gon(rec.gon_id)
    assert done.stage == "confirmed" and "1 cancelled" in done.reason
    assert env.bp.gons[rec.gon_id]["shipping"]["reference"] == "ONLY-PART-1"


async def test_an_edit_in_brightpearl_is_not_sent_to_a_split_order(env):
    await env.connector.run_cycle()
    original = _splittable(env)
    rec = env.connector.store.gon_by_ss_order(original["orderId"])
    part = env.ss.split_order(original["orderId"])
    await env.connector.run_cycle()  # learns the split
    env.bp.update_order(rec.order_id, delivery={"addressLine1": "1 Split Street"})
    before = len(env.ss.request_log)
    assert (await env.connector.run_cycle()).updated == 0
    assert ("POST", "/orders/createorders") not in [
        (m, p) for _t, m, p, _s in env.ss.request_log[before:]
    ]
    assert "split into 2" in env.connector.store.gon(rec.gon_id).reason
    assert {o["orderId"] for o in env.ss.split_parts(original["orderKey"])} == {
        original["orderId"],
        part["orderId"],
    }


# ---- merged orders ------------------------------------------------------------------------------


async def _two_merged(env) -> tuple[int, int, dict, dict]:
    """Two notes of two orders to one recipient, imported, then combined in ShipStation."""
    order_a = env.bp.add_order(rows=[(1001, 1)])
    order_b = env.bp.add_order(rows=[(1002, 2)])
    gon_a = env.bp.add_gon(order_a, state="printed")
    gon_b = env.bp.add_gon(order_b, state="printed")
    await env.connector.run_cycle()
    survivor = env.ss.order_by_key(order_key("demo", gon_a))
    merged = env.ss.order_by_key(order_key("demo", gon_b))
    env.ss.merge_orders(survivor["orderId"], [merged["orderId"]])
    return gon_a, gon_b, survivor, merged


async def test_a_label_on_the_merged_order_confirms_every_note_merged_into_it(tmp_path):
    env = make_env(tmp_path, orders=0)
    try:
        gon_a, gon_b, survivor, merged = await _two_merged(env)
        await env.connector.run_cycle()
        b = env.connector.store.gon(gon_b)
        assert (
            b.stage == "imported"
            and b.reason == f"merged into order {survivor['orderNumber']} in ShipStation"
        )
        (diagnosis,) = await env.connector.diagnose(gon_b)
        assert f"merged into order {survivor['orderNumber']}" in diagnosis.verdict
        label = env.ss.create_label(survivor["orderId"], tracking_number="MERGED-777")
        summary = await env.connector.run_cycle()
        assert summary.confirmed == 2
        for gid in (gon_a, gon_b):
            assert env.connector.store.gon(gid).stage == "confirmed"
            assert env.bp.gons[gid]["shipping"]["reference"] == label["trackingNumber"]
            assert shw_counts(env)[gid] == 1
            notes = _bp_notes(env, env.bp.gons[gid]["orderId"])
            assert (
                len(notes) == 1 and f"GON {gid}" in notes[0] and "tracking MERGED-777" in notes[0]
            )
        assert (
            env.connector.store.gon(gon_b).reason
            == f"merged into order {survivor['orderNumber']} in ShipStation"
        )
        assert env.ss.order_by_key(order_key("demo", gon_b)) is None  # never re-created
        audit = env.connector.store.audit.count()
        await env.connector.run_cycle()
        assert env.connector.store.audit.count() == audit
    finally:
        await env.aclose()


async def test_a_merged_away_order_key_is_never_sent_again(tmp_path):
    env = make_env(tmp_path, orders=0)
    try:
        gon_a, gon_b, survivor, merged = await _two_merged(env)
        await env.connector.run_cycle()  # learns the merge
        env.bp.update_order(
            env.bp.gons[gon_b]["orderId"], delivery={"addressLine1": "1 Merge Road"}
        )
        env.bp.update_order(
            env.bp.gons[gon_a]["orderId"], delivery={"addressLine1": "1 Merge Road"}
        )
        summary = await env.connector.run_cycle()
        assert summary.updated == 0
        assert env.ss.order_by_key(order_key("demo", gon_b)) is None
        assert len(env.ss.orders) == 1  # the survivor only
        assert "merged into order" in env.connector.store.gon(gon_b).reason
        assert "split or merged" in env.connector.store.gon(gon_a).reason
        env.bp.delete_gon(
            gon_b
        )  # deleted in Brightpearl: no cancel of a key that would make a new order
        await (
            env.connector.run_cycle()
        )  # the deletion's first proof; the second is on this next cycle
        summary = await env.connector.run_cycle()
        assert summary.cancelled == 0 and len(env.ss.orders) == 1
        b = env.connector.store.gon(gon_b)
        assert b.stage == "attention" and "merged into order" in b.reason
    finally:
        await env.aclose()


# ---- return labels and late voids ---------------------------------------------------------------


async def test_a_return_label_is_never_written_back_nor_a_replacement(env):
    await env.connector.run_cycle()
    shipped, waiting = env.open_orders()[:2]
    label = env.ss.create_label(shipped["orderId"])
    await env.connector.run_cycle()
    rec = env.connector.store.gon_by_ss_order(shipped["orderId"])
    assert env.connector.store.gon(rec.gon_id).stage == "confirmed"
    returned = env.ss.create_return_label(shipped["orderId"], tracking_number="RETURN-555")
    early = env.ss.create_return_label(waiting["orderId"], tracking_number="RETURN-666")
    summary = await env.connector.run_cycle()
    after = env.connector.store.gon(rec.gon_id)
    assert (
        after.stage == "confirmed"
        and after.reason == "return label RETURN-555 ignored (a return is not a shipment)"
    )
    assert summary.attention == 0 and summary.confirmed == 0
    other = env.connector.store.gon_by_ss_order(waiting["orderId"])
    assert other.stage == "imported"  # a return label ships nothing
    assert not env.bp.gons[other.gon_id]["status"]["shipped"]
    for gid in (rec.gon_id, other.gon_id):
        texts = " ".join(n["text"] for n in env.bp.notes.get(env.bp.gons[gid]["orderId"], []))
        assert "RETURN-" not in texts
    assert env.bp.gons[rec.gon_id]["shipping"]["reference"] == label["trackingNumber"]
    assert shw_counts(env)[rec.gon_id] == 1
    (diagnosis,) = await env.connector.diagnose(rec.gon_id)
    assert "return label RETURN-555 ignored" in diagnosis.verdict
    assert returned["isReturnLabel"] and early["isReturnLabel"]


async def test_a_void_weeks_after_the_label_puts_the_note_in_attention_with_one_note(env):
    await env.connector.run_cycle()
    order = env.open_orders()[0]
    label = env.ss.create_label(order["orderId"], tracking_number="OLD-LABEL-1")
    await env.connector.run_cycle()
    rec = env.connector.store.gon_by_ss_order(order["orderId"])
    assert env.connector.store.gon(rec.gon_id).stage == "confirmed"
    env.ss.void_late(label["shipmentId"], days=21)  # bought three weeks ago, voided now
    summary = await env.connector.run_cycle()
    after = env.connector.store.gon(rec.gon_id)
    assert after.stage == "attention" and "voided" in after.reason and summary.attention == 1
    voids = [t for t in (n["text"] for n in env.bp.notes[rec.order_id]) if "VOIDED" in t]
    assert len(voids) == 1 and "OLD-LABEL-1" in voids[0]
    await env.connector.run_cycle()
    assert len([n for n in env.bp.notes[rec.order_id] if "VOIDED" in n["text"]]) == 1
    assert shw_counts(env)[rec.gon_id] == 1


# ---- all of it, at random, as the demo's real-world heartbeat does ------------------------------


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("ss_api", ["v1", "v2"])
async def test_the_real_world_heartbeat_converges_exactly_once(tmp_path, seed, ss_api):
    env = make_env(tmp_path, orders=40, seed=seed + 3, real_world=True, ss_api=ss_api)
    env.rng = random.Random(seed)
    try:
        await env.connector.run_cycle()
        for _ in range(30):
            await env.tick()
            await env.connector.run_cycle()
        await env.connector.run_cycle()
        assert {e["event"] for e in env.events} >= (
            {"split", "merge"} if ss_api == "v1" else {"split"}
        )
        originals = Counter(
            o["orderKey"] for o in env.ss.orders.values() if not o["advancedOptions"]["parentId"]
        )
        assert max(originals.values()) == 1
        merged_away = {o["orderKey"] for o in env.ss.merged_orders.values()}
        assert not merged_away & set(originals)  # a merged-away order is never created again
        assert max(shw_counts(env).values()) <= 1
        markers = Counter(
            n["text"].rsplit("[bp-tui ", 1)[1]
            for ns in env.bp.notes.values()
            for n in ns
            if "[bp-tui " in n["text"]
        )
        assert max(markers.values(), default=1) == 1
        store = env.connector.store
        assert not store.audit.open_intents()
        for label in env.ss.shipments.values():
            if label["voided"] or label["isReturnLabel"] or label["orderId"] not in env.ss.orders:
                continue
            for gon_id in store.owners_of_ss_orders([label["orderId"]]).get(label["orderId"], ()):
                rec = store.gon(gon_id)
                parts = store.parts_of([gon_id]).get(gon_id, [])
                waiting = [
                    p
                    for p in parts
                    if p.kind == "split" and p.status not in ("shipped", "cancelled")
                ]
                if rec.stage == "imported":
                    assert waiting, (
                        gon_id,
                        rec.reason,
                    )  # only a split order still being labelled waits
                else:
                    assert rec.stage in ("confirmed", "attention"), (gon_id, rec.stage, rec.reason)
        returned = {s["trackingNumber"] for s in env.ss.shipments.values() if s["isReturnLabel"]}
        written = {g["shipping"]["reference"] for g in env.bp.gons.values()}
        assert not any(t in ref for t in returned for ref in written)
        rows = env.connector.queue_rows()
        assert all(
            r.reason for r in rows if r.stage in ("failed", "attention", "waiting", "cancelled")
        )
    finally:
        await env.aclose()


@pytest.mark.parametrize("ss_api", ["v1", "v2"])
async def test_the_demo_heartbeat_shows_one_of_each_case_within_its_first_ticks(tmp_path, ss_api):
    env = make_env(tmp_path, orders=40, seed=4, real_world=True, ss_api=ss_api)
    try:
        await env.connector.run_cycle()
        for _ in range(6):
            await env.tick()
            await env.connector.run_cycle()
        wanted = {"split", "merge", "return_label", "late_void"} - (
            {"merge"} if ss_api == "v2" else set()
        )
        assert {e["event"] for e in env.events} == wanted
        rows = env.connector.queue_rows()
        reasons = " | ".join(r.reason for r in rows)
        assert (
            "split into 2 in ShipStation" in reasons
            and "return label" in reasons
            and "voided" in reasons
        )
        if ss_api == "v1":
            assert "merged into order" in reasons
    finally:
        await env.aclose()


async def test_a_bulk_edit_reads_the_open_orders_by_page_not_one_by_one(tmp_path):
    env = make_env(tmp_path, orders=60, seed=1)
    try:
        await env.connector.run_cycle()
        targets = env.open_orders()[:30]
        assert len(targets) == 30
        env.ss.edit_order(targets[0]["orderId"], **USER_EDITS)
        for order in targets:
            rec = env.connector.store.gon_by_ss_order(order["orderId"])
            env.bp.update_order(
                rec.order_id, delivery={"addressLine1": f"{order['orderId']} Bulk Road"}
            )
        before = len(env.ss.request_log)
        summary = await env.connector.run_cycle()
        assert summary.updated == 30
        paths = [p for _t, m, p, _s in env.ss.request_log[before:] if m == "GET"]
        assert not [p for p in paths if p.split("?")[0].startswith("/orders/")]  # no GET per order
        assert len([p for p in paths if "orderStatus=" in p]) == 3  # one page of each open status
        first = env.ss.orders[targets[0]["orderId"]]
        assert first["shipTo"]["street1"] == f"{targets[0]['orderId']} Bulk Road"
        assert (first["serviceCode"], first["internalNotes"]) == (
            USER_EDITS["serviceCode"],
            USER_EDITS["internalNotes"],
        )
    finally:
        await env.aclose()


async def test_a_label_and_a_shipment_in_brightpearl_before_the_next_sync_is_one_shipment(env):
    """A packer buys the label in ShipStation and someone ships the note in Brightpearl before
    bp-tui's next cycle: ShipStation refusing the mark-as-shipped is not taken for bp-tui's own
    earlier mark, and the label is written back as the shipment, not as a replacement."""
    await env.connector.run_cycle()
    order = env.open_orders()[0]
    rec = env.connector.store.gon_by_ss_order(order["orderId"])
    label = env.ss.create_label(order["orderId"], tracking_number="LABEL-1")
    env.bp.ship_outside(rec.gon_id)
    summary = await env.connector.run_cycle()
    after = env.connector.store.gon(rec.gon_id)
    assert after.stage == "confirmed" and summary.attention == 0
    assert after.tracking == label["trackingNumber"] and "marked shipped" not in after.reason
    texts = [n["text"] for n in env.bp.notes.get(rec.order_id, []) if "[bp-tui" in n["text"]]
    assert len(texts) == 1 and "LABEL-1" in texts[0] and "eplacement" not in texts[0]
    assert shw_counts(env)[rec.gon_id] == 1
    again = await env.connector.run_cycle()
    assert again.attention == 0 and env.connector.store.gon(rec.gon_id).stage == "confirmed"


async def test_a_refused_mark_is_never_taken_for_ours_on_a_later_cycle(env, monkeypatch):
    """The same, but the label cannot be read in that cycle (ShipStation down for the read): the
    refused mark is on record as refused, so the next cycle still writes the label back as the
    shipment instead of confirming the note as marked by bp-tui."""
    from bp_tui.errors import ApiUnavailable
    from bp_tui.sync.read_shipments import ReadShipments

    await env.connector.run_cycle()
    order = env.open_orders()[0]
    rec = env.connector.store.gon_by_ss_order(order["orderId"])
    env.ss.create_label(order["orderId"], tracking_number="LABEL-1")
    env.bp.ship_outside(rec.gon_id, reference="HAND-1")

    async def down(self, ctx):
        raise ApiUnavailable("shipstation", 503, "Service Unavailable")

    monkeypatch.setattr(ReadShipments, "__call__", down)
    with pytest.raises(ApiUnavailable):
        await env.connector.run_cycle()
    waiting = env.connector.store.gon(rec.gon_id)
    assert waiting.stage == "imported" and waiting.reason == reasons.SHIPPED_BOTH_SIDES
    monkeypatch.undo()
    summary = await env.connector.run_cycle()
    after = env.connector.store.gon(rec.gon_id)
    assert after.stage == "confirmed" and summary.attention == 0
    assert after.tracking == "LABEL-1" and "marked shipped" not in after.reason
    texts = [n["text"] for n in env.bp.notes.get(rec.order_id, []) if "[bp-tui" in n["text"]]
    assert len(texts) == 1 and "eplacement" not in texts[0]


async def test_an_earlier_mark_without_an_answer_is_not_sent_while_the_order_cannot_be_read(
    env, monkeypatch
):
    from bp_tui.errors import ApiError, ApiUnavailable

    await env.connector.run_cycle()
    order = env.open_orders()[0]
    rec = env.connector.store.gon_by_ss_order(order["orderId"])
    env.bp.ship_outside(rec.gon_id, reference="HAND-1")
    sent = []

    async def no_answer(*args, **kwargs):
        sent.append(args)
        raise ApiUnavailable("shipstation", 503, "Service Unavailable")

    monkeypatch.setattr(env.connector.ss, "mark_as_shipped", no_answer)
    with pytest.raises(ApiUnavailable):
        await env.connector.run_cycle()  # sent; whether it was done, nobody knows

    async def unreadable(order_id):
        raise ApiError("shipstation", 400, "cannot read it now")

    monkeypatch.setattr(env.connector.ss, "get_order", unreadable)
    summary = await env.connector.run_cycle()
    assert len(sent) == 1  # not sent again blind
    assert any(f"GON {rec.gon_id}: shipped in Brightpearl" in e for e in summary.errors)
    assert env.connector.store.gon(rec.gon_id).stage == "imported"
    monkeypatch.undo()
    summary = await env.connector.run_cycle()  # read: still open, so now it is sent
    assert summary.confirmed == 1 and env.ss.orders[order["orderId"]]["orderStatus"] == "shipped"


async def test_a_label_dated_by_a_clock_behind_ours_after_a_quiet_read_is_read(tmp_path, ss_api):
    """ShipStation's clock 20 minutes behind ours (or ours fast): a label bought just after a
    read that found none is dated before our "now". The cursor stays at the platform's own
    dates, so the label is still read and written back."""
    from datetime import timedelta

    env = make_env(tmp_path, orders=0, ss_api=ss_api)
    try:
        gid = env.bp.add_printed_gon()
        await env.connector.run_cycle()  # imports; the label read finds nothing
        await env.connector.run_cycle()  # a quiet cycle
        rec = env.connector.store.gon(gid)
        assert rec.stage == "imported"
        env.ss.create_label(rec.ss_order_id, when=datetime.now(UTC) - timedelta(minutes=20))
        await env.connector.run_cycle()
        assert env.connector.store.gon(gid).stage == "confirmed"
    finally:
        await env.aclose()
