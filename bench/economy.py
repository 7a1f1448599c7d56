"""API economy: requests of one import cycle vs the batched floor of SPEC.md and vs a naive client.

Floor (the fewest requests SPEC.md's batched calls allow for this account):
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
  Brightpearl = 1 login + ceil(search rows / 500) + eligible GON GETs + eligible order GETs + products
  ShipStation = sent single-order creates + 3 + max(1, ceil(changed / 500))
The naive client (``naive_import``) is run for real against the sandbox at the smallest N, and
its measured count is checked against the formula; larger N use the formula.

ShipStation API V2 (``run(sizes, ss_api="v2")``) has no upsert and no batch look-up, so its floor is
  ShipStation V2 = sent look-ups by external_shipment_id + ceil(sent / 100) creates + the same reads
                   (labels created, voided labels, fulfillments, changed shipments by 500)
(Brightpearl as above), and its naive baseline (formula) a look-up and a single create per order
plus the same reads.
"""

from __future__ import annotations

import math
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.accounts import build_account, orders_of, products_of, search_rows
from bp_tui.brightpearl.client import BrightpearlClient
from bp_tui.shipstation.client import ShipStationClient
from bp_tui.state.store import utcnow
from bp_tui.core.reasons import MappingError
from bp_tui.sync.mapping import MapOptions, map_gon


async def naive_import(bp: BrightpearlClient, ss: ShipStationClient, account_code: str, store_id: int) -> int:
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
                    weights[part.product_id] = found[part.product_id].weight if part.product_id in found else None
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


def floor_calls(rows: int, eligible: int, orders: int, products: int, sent: int, changed: int,
                resends: int = 0, ss_api: str = "v1") -> dict[str, int]:
    bp = 1 + math.ceil(rows / 500) + math.ceil(eligible / 500) + math.ceil(orders / 200) + math.ceil(products / 50)
    lookups = sent if ss_api == "v2" else 0  # V2 has no upsert: one look-up by external_shipment_id per new note
    return {"brightpearl": bp, "shipstation": lookups + math.ceil(sent / 100) + ss_reads(changed, resends)}


def naive_calls(rows: int, eligible: int, products: int, sent: int, changed: int,
                ss_api: str = "v1") -> dict[str, int]:
    per_order = 2 if ss_api == "v2" else 1
    return {"brightpearl": 1 + math.ceil(rows / 500) + 2 * eligible + products,
            "shipstation": per_order * sent + ss_reads(changed)}


async def measure(n: int, *, run_naive: bool, ss_api: str = "v1") -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-economy-") as tmp:
        account = build_account(Path(tmp) / "engine", n, ss_api=ss_api)
        env = account.env
        rows = search_rows(env)
        orders = len(orders_of(env, account.eligible))
        products = len(products_of(env, account.eligible))
        changed = len(env.ss.orders)  # the orders changed in the window are read before anything is sent
        try:
            summary = await account.connector.run_cycle()
        finally:
            await env.aclose()
        rejected = sum(1 for e in summary.errors if "ShipStation" in e)
        unmappable = summary.failed - rejected
        sent = n - unmappable
        floor = floor_calls(rows, n, orders, products, sent, changed, resends=summary.updated, ss_api=ss_api)
        naive = naive_calls(rows, n, products, sent, changed, ss_api)
        result: dict[str, Any] = {
            "ss_api": ss_api,
            "eligible": n, "search_rows": rows, "orders": orders, "products": products, "sent": sent,
            "ss_orders_changed": changed,
            "imported": summary.imported, "failed": summary.failed,
            "calls": dict(summary.api_calls), "floor": floor, "naive": naive,
            "naive_method": "formula",
        }
        if run_naive:
            other = build_account(Path(tmp) / "naive", n)
            try:
                conn = other.connector
                naive_sent = await naive_import(conn.bp, conn.ss, conn.config.brightpearl.account_code,
                                                conn.config.shipstation.store_id)
                measured = {"brightpearl": conn.bp.requests_sent, "shipstation": conn.ss.requests_sent}
            finally:
                await other.env.aclose()
            result["naive_measured"] = measured
            result["naive_sent"] = naive_sent
            result["naive_method"] = "measured (formula checked)" if measured == naive else "measured"
            result["naive"] = measured
    total = sum(result["calls"].values())
    result["ratio_floor"] = round(total / sum(result["floor"].values()), 3)
    result["ratio_naive"] = round(total / sum(result["naive"].values()), 4)
    return result


async def run(sizes: list[int], ss_api: str = "v1") -> list[dict[str, Any]]:
    """V1: the naive client is run for real at the smallest size; V2: formula only."""
    return [await measure(n, run_naive=(i == 0 and ss_api == "v1"), ss_api=ss_api) for i, n in enumerate(sizes)]
