"""What real accounts do (issue 13), end to end over the sandboxes: a Brightpearl account in its
own time zone, split and merged ShipStation orders, return labels, late voids, and edits on
both sides of an order."""

from __future__ import annotations

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
    "carrierCode": "fedex", "serviceCode": "fedex_2day", "packageCode": "package",
    "weight": {"value": 40, "units": "ounces"},
    "dimensions": {"units": "inches", "length": 12, "width": 9, "height": 5},
    "internalNotes": "fragile: double box", "customerNotes": "leave at the back door",
    "tagIds": [53974], "holdUntilDate": "2026-04-01",
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
    calls = [(m, p) for _t, m, p, _s in env.ss.request_log[before:]]
    assert calls.index(("GET", f"/orders/{target['orderId']}")) < calls.index(("POST", "/orders/createorders"))
    assert len(ss_keys(env)) == len(env.ss.orders)  # an update, never a new order
    # nothing changed since: no read, no re-send
    before = len(env.ss.request_log)
    assert (await env.connector.run_cycle()).updated == 0
    assert [p for _t, m, p, _s in env.ss.request_log[before:] if m == "POST" or p.startswith("/orders/")] == []


async def test_a_resend_to_an_order_that_is_no_longer_open_is_read_and_not_sent(env):
    await env.connector.run_cycle()
    target = env.open_orders()[0]
    rec = env.connector.store.gon_by_ss_order(target["orderId"])
    env.ss.mark_shipped(target["orderId"], tracking_number="", carrier_code="other")
    env.bp.update_order(rec.order_id, delivery={"addressLine1": "Too Late Lane"})
    before = len(env.ss.request_log)
    summary = await env.connector.run_cycle(import_only=True)
    assert summary.updated == 0
    assert ("POST", "/orders/createorders") not in [(m, p) for _t, m, p, _s in env.ss.request_log[before:]]
    after = env.connector.store.gon(rec.gon_id)
    assert after.stage == "imported" and "is shipped" in after.reason and "refused the update" in after.reason


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
    env.ss.create_label(order["orderId"], tracking_number="TRACK-A-111", carrier_code="ups",
                        service_code="ups_ground")
    env.ss.create_label(order["orderId"], tracking_number="TRACK-B-222", carrier_code="fedex",
                        service_code="fedex_2day")
    await env.connector.run_cycle()
    rec = env.connector.store.gon_by_ss_order(order["orderId"])
    notes = [n["text"] for n in env.bp.notes[rec.order_id] if "[bp-tui note:" in n["text"]]
    assert len(notes) == 2
    first = next(t for t in notes if "tracking TRACK-A-111" in t)
    second = next(t for t in notes if "tracking TRACK-B-222" in t)
    assert "carrier ups, service ups_ground" in first and "also: TRACK-B-222" in first
    assert "carrier fedex, service fedex_2day" in second and "also: TRACK-A-111" in second
    assert "fedex" not in first and "ups" not in second.split("also:")[0]
