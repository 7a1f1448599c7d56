"""API answers with missing fields, wrong types, huge strings, unicode and emoji, over-long
tracking and order numbers: the cycle goes on, nothing is cut or lost, each failure has a reason."""

from __future__ import annotations

from bp_tui.sync.mapping import order_key

from .helpers import assert_exactly_once, chaos_env, cycle, eligible_gon_ids


def printed_gons(env):
    return [
        g
        for g, n in env.bp.gons.items()
        if n["orderId"] and n["status"]["printed"] and not n["status"]["shipped"]
    ]


async def test_odd_answers_import_intact_or_fail_with_reason(tmp_path):
    ce = chaos_env(tmp_path, orders=20, seed=21, rate=0.0)
    env = ce.env
    gids = printed_gons(env)
    huge, emoji, untyped, missing = gids[0], gids[1], gids[2], gids[3]
    big_name = "Ünïcødé " + "x" * 20_000
    env.bp.orders[env.bp.gons[huge]["orderId"]]["parties"]["delivery"]["addressFullName"] = big_name
    fancy = '🎉 Zoë 山田 — O\'Brien "quoted" \\ back'
    env.bp.orders[env.bp.gons[emoji]["orderId"]]["parties"]["delivery"]["addressFullName"] = fancy
    env.bp.gons[untyped]["warehouseId"] = "two"  # wrong type from the API
    env.bp.orders[env.bp.gons[missing]["orderId"]]["parties"].pop("delivery")  # missing field
    eligible = eligible_gon_ids(env)
    conn = ce.connector()
    try:
        assert await cycle(ce, conn), ce.errors
        by_key = {o["orderKey"]: o for o in env.ss.orders.values()}
        assert by_key[order_key("demo", huge)]["shipTo"]["name"] == big_name  # never cut
        assert by_key[order_key("demo", emoji)]["shipTo"]["name"] == fancy
        rows = {r.gon_id: r for r in conn.queue_rows()}
        assert rows[missing].stage == "failed" and "delivery" in rows[missing].reason
        assert rows[untyped].stage in ("imported", "failed") and (
            rows[untyped].stage == "imported" or rows[untyped].reason
        )
        env.label(50)
        assert await cycle(ce, conn), ce.errors
        assert_exactly_once(ce, conn, eligible)
    finally:
        await conn.aclose()


async def test_over_long_tracking_numbers_are_never_cut_and_all_in_the_note(tmp_path):
    ce = chaos_env(tmp_path, orders=10, seed=22, rate=0.0)
    env = ce.env
    conn = ce.connector()
    try:
        assert await cycle(ce, conn), ce.errors
        orders = env.open_orders()
        long_one = "9" * 80
        env.ss.create_label(orders[0]["orderId"], tracking_number=long_one)
        many = [f"TRK{i:030d}" for i in range(2)]  # 33 chars each: both together do not fit in 64
        env.ss.create_label(orders[1]["orderId"], tracking_number=many[0])
        env.ss.orders[orders[1]["orderId"]]["orderStatus"] = "awaiting_shipment"  # a second parcel
        env.ss.create_label(orders[1]["orderId"], tracking_number=many[1])
        assert await cycle(ce, conn), ce.errors
        gon_a = conn.store.gon_by_ss_order(orders[0]["orderId"])
        gon_b = conn.store.gon_by_ss_order(orders[1]["orderId"])
        ref_a = env.bp.gons[gon_a.gon_id]["shipping"]["reference"]
        ref_b = env.bp.gons[gon_b.gon_id]["shipping"]["reference"]
        assert ref_a in ("", long_one) and len(ref_a) <= 64  # left out, not cut
        assert ref_b == many[0]  # whole numbers only, as many as fit
        notes_a = " ".join(n["text"] for n in env.bp.notes[gon_a.order_id])
        notes_b = " ".join(n["text"] for n in env.bp.notes[gon_b.order_id])
        assert long_one in notes_a
        assert many[0] in notes_b and many[1] in notes_b
        assert gon_a.stage == gon_b.stage == "confirmed"
    finally:
        await conn.aclose()


async def test_long_order_numbers_round_trip(tmp_path):
    ce = chaos_env(tmp_path, orders=6, seed=23, rate=0.0)
    env = ce.env
    gid = printed_gons(env)[0]
    env.bp.gons[gid]["sequence"] = 123456789012  # a long "{orderId}-{sequence}" order number
    conn = ce.connector()
    try:
        assert await cycle(ce, conn), ce.errors
        order = next(o for o in env.ss.orders.values() if o["orderKey"] == order_key("demo", gid))
        assert order["orderNumber"] == f"{env.bp.gons[gid]['orderId']}-123456789012"
        assert conn.store.gon(gid).ss_order_number == order["orderNumber"]
    finally:
        await conn.aclose()
