"""API economy: requests of one import cycle vs the batched floor and vs a naive client.

Floor (the fewest requests the documented batch sizes allow for this account):
  Brightpearl = 1 login + ceil(search rows / 500) + ceil(eligible / 500) GON GETs
                + ceil(orders / 200) order GETs + ceil(products / 50) product GETs (weights)
  ShipStation = ceil(sent / 100) createorders + 3 reads (labels created, labels voided since the
                watermark, fulfillments) + max(1, ceil(changed / 500)) pages of the orders changed
                in ShipStation since the watermark, read before anything is sent (splits, merges;
                here: none yet)
                + the reads before re-sends (none in a first cycle): a GET each up to 10, else
                  the open orders listed by status, 500 a page (the formula counts the GETs, an
                  upper bound)
Naive baseline (one call per order, products cached, same search and the same reads):
  Brightpearl = 1 login + ceil(search rows / 500) + eligible GON GETs + eligible order GETs
                + products
  ShipStation = sent single-order creates + 3 + max(1, ceil(changed / 500))
The naive client (``naive_import``) is run for real against the sandbox at the smallest N, and
its measured count is checked against the formula; larger N use the formula.

ShipStation API V2 (``run(sizes, ss_api="v2")``) has no upsert; new notes are created with no
look-up (a note ShipStation already holds is learnt from the changed-shipments read), so its
floor is
  ShipStation V2 = ceil(sent / 100) creates + the same reads (labels created, voided labels,
                   fulfillments, changed shipments by 500) + the default warehouse, read once
(Brightpearl as above), and its naive baseline (formula) a look-up and a single create per order
plus the same reads.

The port's other cycles, on both APIs (each its own account; ``changed`` is every order on the
account, all made seconds before, so inside the changed-orders cursor's 15-minute overlap):
  quiet_cycle  a cycle with nothing new (and no failed note due again: the seed's broken notes
               are left out) after the first cycle read a day of L labels (other channels' orders
               in our store, spread over the 23 hours up to now): target <= 4 ShipStation calls
  resend       E imported notes edited in Brightpearl (delivery address), every second one
               (topped up from the others when fewer than 2E were imported):
               V1 floor = reads + max(1, ceil(open in status / 500)) per open status (3) +
                          ceil(E / 100) upserts
               V2 floor = reads + ceil(pending / 500) pages + E PUTs (V2 has no batch update)
  lost_state   the state file lost while ShipStation holds the N orders of a first cycle; the next
               cycle adopts them from the changed-orders read: 0 duplicates, floor = reads (the
               changed pages now ceil(held / 500)) + ceil(refused / 100) creates (the notes
               ShipStation refused the first time, sent again) + the V2 warehouse
"""

from __future__ import annotations

import math
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.accounts import build_account, orders_of, products_of, search_rows
from bench.throughput import mappable
from bp_tui.brightpearl.client import BrightpearlClient
from bp_tui.core.reasons import MappingError
from bp_tui.core.records import utcnow
from bp_tui.shipstation.client import OPEN_STATUSES, ShipStationClient
from bp_tui.sync.mapping import MapOptions, map_gon, order_key


async def naive_import(
    bp: BrightpearlClient, ss: ShipStationClient, account_code: str, store_id: int
) -> int:
    """Import every printed, unshipped GON one call at a time; returns the orders sent."""
    rows = await bp.search_goods_out(shipped=False, created_after=utcnow() - timedelta(days=30))
    options = MapOptions(account_code=account_code, store_id=store_id)
    weights: dict[int, float | None] = {}
    sent = 0
    for row in rows:
        if not row.order_id or not row.printed:
            continue
        gon = (await bp.get_goods_out_notes([row.goods_out_note_id]))[row.goods_out_note_id]
        order = (await bp.get_orders([gon.order_id]))[gon.order_id]
        for parts in gon.rows.values():
            for part in parts:
                if part.product_id and part.product_id not in weights:
                    found = await bp.get_products([part.product_id])
                    weights[part.product_id] = (
                        found[part.product_id].weight if part.product_id in found else None
                    )
        try:
            payload = map_gon(gon, order, options, weights)
        except MappingError:
            continue
        await ss.create_orders([payload])
        sent += 1
    since = utcnow() - timedelta(days=1)
    await ss.list_shipments(create_date_start=since, include_items=True)
    await ss.list_shipments(void_date_start=since, include_items=False)
    await ss.list_fulfillments(create_date_start=since)
    await ss.list_modified_orders(modify_date_start=since, store_id=store_id or None)
    return sent


def ss_reads(changed: int, resends: int = 0) -> int:
    """ShipStation reads of a cycle: labels created, labels voided, fulfillments, the pages of
    the orders changed since the watermark, and one order read before each re-send."""
    return 3 + max(1, math.ceil(changed / 500)) + resends


def floor_calls(
    rows: int,
    eligible: int,
    orders: int,
    products: int,
    sent: int,
    changed: int,
    resends: int = 0,
    ss_api: str = "v1",
) -> dict[str, int]:
    bp = (
        1
        + math.ceil(rows / 500)
        + math.ceil(eligible / 500)
        + math.ceil(orders / 200)
        + math.ceil(products / 50)
    )
    warehouse = (
        1 if ss_api == "v2" else 0
    )  # V2: the account's default warehouse, read once and kept
    return {
        "brightpearl": bp,
        "shipstation": math.ceil(sent / 100) + ss_reads(changed, resends) + warehouse,
    }


def naive_calls(
    rows: int, eligible: int, products: int, sent: int, changed: int, ss_api: str = "v1"
) -> dict[str, int]:
    per_order = 2 if ss_api == "v2" else 1
    return {
        "brightpearl": 1 + math.ceil(rows / 500) + 2 * eligible + products,
        "shipstation": per_order * sent + ss_reads(changed),
    }


async def measure(n: int, *, run_naive: bool, ss_api: str = "v1") -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-economy-") as tmp:
        account = build_account(Path(tmp) / "engine", n, ss_api=ss_api)
        env = account.env
        rows = search_rows(env)
        orders = len(orders_of(env, account.eligible))
        products = len(products_of(env, account.eligible))
        changed = len(
            env.ss.orders
        )  # the orders changed in the window are read before anything is sent
        try:
            summary = await account.connector.run_cycle()
        finally:
            await env.aclose()
        rejected = sum(1 for e in summary.errors if "ShipStation" in e)
        unmappable = summary.failed - rejected
        sent = n - unmappable
        floor = floor_calls(
            rows, n, orders, products, sent, changed, resends=summary.updated, ss_api=ss_api
        )
        naive = naive_calls(rows, n, products, sent, changed, ss_api)
        result: dict[str, Any] = {
            "ss_api": ss_api,
            "eligible": n,
            "search_rows": rows,
            "orders": orders,
            "products": products,
            "sent": sent,
            "ss_orders_changed": changed,
            "imported": summary.imported,
            "failed": summary.failed,
            "calls": dict(summary.api_calls),
            "floor": floor,
            "naive": naive,
            "naive_method": "formula",
        }
        if run_naive:
            other = build_account(Path(tmp) / "naive", n)
            try:
                conn = other.connector
                naive_sent = await naive_import(
                    conn.bp,
                    conn.ss,
                    conn.config.brightpearl.account_code,
                    conn.config.shipstation.store_id,
                )
                measured = {
                    "brightpearl": conn.bp.requests_sent,
                    "shipstation": conn.ss.requests_sent,
                }
            finally:
                await other.env.aclose()
            result["naive_measured"] = measured
            result["naive_sent"] = naive_sent
            result["naive_method"] = (
                "measured (formula checked)" if measured == naive else "measured"
            )
            result["naive"] = measured
    total = sum(result["calls"].values())
    result["ratio_floor"] = round(total / sum(result["floor"].values()), 3)
    result["ratio_naive"] = round(total / sum(result["naive"].values()), 4)
    return result


async def run(sizes: list[int], ss_api: str = "v1") -> list[dict[str, Any]]:
    """V1: the naive client is run for real at the smallest size; V2: formula only."""
    return [
        await measure(n, run_naive=(i == 0 and ss_api == "v1"), ss_api=ss_api)
        for i, n in enumerate(sizes)
    ]


# ---- the port's other cycles (issue 20) ---------------------------------------------------------

QUIET_TARGET = (
    4  # ShipStation calls of a cycle with nothing new: changed orders, labels, voids, fulfillments
)


def shipstation_requests(env: Any, since: int) -> dict[str, int]:
    """The ShipStation requests since ``since`` in the sandbox's log, by method and path (ids as
    {id})."""
    counts: dict[str, int] = {}
    for _t, method, target, _status in env.ss.request_log[since:]:
        path = re.sub(r"/(se-)?\d+(?=/|$)", "/{id}", target.split("?")[0])
        counts[f"{method} {path}"] = counts.get(f"{method} {path}", 0) + 1
    return dict(sorted(counts.items()))


def other_channel_order(store_id: int, n: int) -> dict[str, Any]:
    """An order another sales channel put in the same ShipStation store (not one of ours)."""
    return {
        "orderKey": f"amazon-{n}",
        "orderNumber": f"A-{n}",
        "orderDate": "2026-01-01T10:00:00.0000000",
        "orderStatus": "awaiting_shipment",
        "billTo": {"name": "Buyer"},
        "shipTo": {
            "name": "Buyer",
            "street1": "1 Road",
            "city": "Leeds",
            "postalCode": "LS1 1AA",
            "country": "GB",
        },
        "items": [
            {"lineItemKey": "1", "sku": "X", "name": "Thing", "quantity": 1, "unitPrice": 1.0}
        ],
        "advancedOptions": {"storeId": store_id or None},
    }


async def quiet_cycle(notes: int, labels: int, ss_api: str = "v1") -> dict[str, Any]:
    """A day of ``labels`` labels (other channels' orders in our store, spread evenly over the 23
    hours ending now, so the last minutes hold some), then ``notes`` imported by a first cycle that
    also reads that day; then a cycle with nothing new."""
    with tempfile.TemporaryDirectory(prefix="bench-quiet-") as tmp:
        account = build_account(Path(tmp) / "engine", notes, ss_api=ss_api)
        env = account.env
        code = env.config.brightpearl.account_code
        for (
            gid
        ) in account.eligible:  # the seed's broken notes would fail and be retried after their
            if not mappable(
                env, order_key(code, gid)
            ):  # backoff (30 s here): work, not a quiet cycle
                env.bp.gons[gid]["status"]["shipped"] = True
        try:
            end = datetime.now(UTC)
            step = timedelta(hours=23) / labels
            store = env.config.shipstation.store_id
            for n in range(labels):
                order = env.ss.upsert_order(other_channel_order(store, n))
                env.ss.create_label(order["orderId"], when=end - (labels - 1 - n) * step)
            day = await env.connector.run_cycle()
            since = len(env.ss.request_log)
            quiet = await env.connector.run_cycle()
            requests = shipstation_requests(env, since)
        finally:
            await env.aclose()
    work = quiet.imported + quiet.updated + quiet.failed + quiet.confirmed + len(quiet.errors)
    return {
        "ss_api": ss_api,
        "notes": notes,
        "imported": day.imported,
        "labels_per_day": labels,
        "day_cycle_calls": dict(day.api_calls),
        "calls": dict(quiet.api_calls),
        "requests": requests,
        "quiet_work": work,
        "target": QUIET_TARGET,
        "ok": quiet.api_calls["shipstation"] <= QUIET_TARGET and work == 0,
    }


def _open_counts(env: Any, ss_api: str) -> dict[str, int]:
    """Orders ShipStation lists as open, by the status the re-send read lists them under."""
    if ss_api == "v2":
        return {
            "pending": sum(
                1 for o in env.ss.orders.values() if o["orderStatus"] == "awaiting_shipment"
            )
        }
    return {
        s: sum(1 for o in env.ss.orders.values() if o["orderStatus"] == s) for s in OPEN_STATUSES
    }


def resend_floor(changed: int, open_counts: dict[str, int], edits: int, ss_api: str) -> int:
    """V1: the open orders by status (a page each at least) + upserts of 100; V2: the pending
    shipments' pages + one PUT per edited note (V2 has no batch update)."""
    if ss_api == "v2":
        return ss_reads(changed) + math.ceil(open_counts["pending"] / 500) + edits
    pages = sum(max(1, math.ceil(c / 500)) for c in open_counts.values())
    return ss_reads(changed) + pages + math.ceil(edits / 100)


async def resend(notes: int, edits: int, ss_api: str = "v1") -> dict[str, Any]:
    """``notes`` imported; every second imported note's order gets a new delivery address in
    Brightpearl (``edits`` of them); the next cycle's calls against the floor."""
    with tempfile.TemporaryDirectory(prefix="bench-resend-") as tmp:
        account = build_account(Path(tmp) / "engine", notes, ss_api=ss_api)
        env = account.env
        try:
            first = await env.connector.run_cycle()
            store = env.connector.store
            recs = (store.gon(g) for g in sorted(account.eligible))
            imported = [r for r in recs if r and r.stage == "imported"]
            chosen = imported[::2][:edits]  # spread over the pages; topped up if too few
            chosen += imported[1::2][: edits - len(chosen)]
            if len(chosen) < edits:
                raise RuntimeError(f"only {len(chosen)} notes to edit, wanted {edits}")
            for rec in chosen:
                env.bp.update_order(
                    rec.order_id, delivery={"addressLine1": f"{rec.gon_id} Corrected Road"}
                )
            open_counts = _open_counts(env, ss_api)
            changed = len(env.ss.orders)
            since = len(env.ss.request_log)
            cycle = await env.connector.run_cycle()
            requests = shipstation_requests(env, since)
            street = {r.gon_id: env.ss.orders[r.ss_order_id]["shipTo"]["street1"] for r in chosen}
            applied = sum(1 for g, s in street.items() if s == f"{g} Corrected Road")
        finally:
            await env.aclose()
    floor = resend_floor(changed, open_counts, edits, ss_api)
    ss_calls = cycle.api_calls["shipstation"]
    return {
        "ss_api": ss_api,
        "notes": notes,
        "imported": first.imported,
        "edited": edits,
        "updated": cycle.updated,
        "applied_in_shipstation": applied,
        "open": open_counts,
        "ss_orders_changed": changed,
        "calls": dict(cycle.api_calls),
        "requests": requests,
        "floor_shipstation": floor,
        "ratio_floor": round(ss_calls / floor, 3),
        "ok": applied == edits and ss_calls <= 1.1 * floor,
    }


async def lost_state(notes: int, ss_api: str = "v1") -> dict[str, Any]:
    """A first cycle of ``notes``, then the state file lost; the next cycle's calls and
    duplicates."""
    with tempfile.TemporaryDirectory(prefix="bench-lost-") as tmp:
        account = build_account(Path(tmp) / "engine", notes, ss_api=ss_api)
        env = account.env
        try:
            first = await env.connector.run_cycle()
            held = len(env.ss.orders)
            rejected = sum(
                1 for e in first.errors if "ShipStation" in e
            )  # sent, refused: sent again
            await env.lose_state()
            since = len(env.ss.request_log)
            again = await env.connector.run_cycle()
            requests = shipstation_requests(env, since)
            keys: dict[str, int] = {}
            for order in env.ss.orders.values():
                keys[order["orderKey"]] = keys.get(order["orderKey"], 0) + 1
            duplicates = len(env.ss.orders) - held + sum(c - 1 for c in keys.values() if c > 1)
            by_key = {o["orderKey"]: o["orderId"] for o in env.ss.orders.values()}
            code = env.config.brightpearl.account_code
            adopted = sum(
                1
                for g in account.eligible
                if (rec := env.connector.store.gon(g)) is not None
                and rec.ss_order_id is not None
                and rec.ss_order_id == by_key.get(order_key(code, g))
            )
        finally:
            await env.aclose()
    floor = ss_reads(held) + math.ceil(rejected / 100) + (1 if ss_api == "v2" else 0)
    ss_calls = again.api_calls["shipstation"]
    return {
        "ss_api": ss_api,
        "notes": notes,
        "held_in_shipstation": held,
        "refused_first_time": rejected,
        "imported_again": again.imported,
        "adopted": adopted,
        "duplicates": duplicates,
        "calls": dict(again.api_calls),
        "requests": requests,
        "floor_shipstation": floor,
        "ratio_floor": round(ss_calls / floor, 3),
        "ok": duplicates == 0 and ss_calls <= 1.1 * floor,
    }
