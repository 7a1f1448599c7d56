"""Time to import under the real rate limits, and GON-printed-to-ShipStation latency with --watch.

Import: the sandbox at the vendors' real windows (Brightpearl 200 requests / rolling 60 s,
ShipStation 40 / fixed 60 s) with the real client pacing (no fast retries). "Another app" on
the same account has already spent part of both budgets when we start and keeps spending
while we run (a background task). Measured: wall time from the cycle's first request to the
moment the last order exists in the sandbox ShipStation (polled every 10 ms), and the whole
cycle (which also reads shipments for the confirm step).

Watch latency: ``sync --watch`` sleeps ``interval_seconds`` (default 120) after each cycle ends.
A GON printed at a uniformly random moment waits for the next cycle's discovery search, then
until that cycle creates its order. With C = a steady-state cycle's duration and T = the time
from a cycle's start to the new order existing in ShipStation (both measured here, under the
same limits, with a few newly printed GONs after the first big import):
  worst   = C + interval + T  (printed just after a search ran: the rest of that cycle, the
            sleep, then the next cycle up to its create)
  average = (C + interval) / 2 + T
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.accounts import BenchAccount, build_account
from bp_tui.sync.mapping import order_key

BP_LIMIT, SS_LIMIT, WINDOW_S = 200, 40, 60.0
SS_V2_LIMIT = 200  # V2: 200 requests a minute (the client keeps itself to 190)
DEFAULT_INTERVAL_S = 120


async def other_app(
    account: BenchAccount, bp_per_min: int, ss_per_min: int, stop: asyncio.Event
) -> None:
    """Spend requests of both shared budgets at a steady rate, like another integration would."""
    step = 0.5
    bp_each, ss_each = bp_per_min * step / 60.0, ss_per_min * step / 60.0
    bp_due = ss_due = 0.0
    while not stop.is_set():
        bp_due += bp_each
        ss_due += ss_each
        if bp_due >= 1:
            account.env.bp.consume_requests(int(bp_due))
            bp_due -= int(bp_due)
        if ss_due >= 1:
            spend_shipstation(account, int(ss_due))
            ss_due -= int(ss_due)
        try:
            await asyncio.wait_for(stop.wait(), timeout=step)
        except TimeoutError:
            pass


def spend_shipstation(account: BenchAccount, count: int) -> None:
    """Another app's ShipStation requests: V1's window, or V2's (its own limiter in the sandbox)."""
    face = getattr(account.env.ss, "v2", None)
    if face is not None:
        face.limiter.consume(count)
    else:
        account.env.ss.consume_rate_limit(count)


async def timed_cycle(account: BenchAccount, keys: set[str]) -> dict[str, Any]:
    """Run one cycle; return its duration and when the last of ``keys`` appeared in ShipStation."""
    ss = account.env.ss
    done = asyncio.Event()
    seen_at: list[float] = []
    started = time.perf_counter()

    async def watch() -> None:
        while not done.is_set():
            if all(ss.order_by_key(k) is not None for k in keys):
                seen_at.append(time.perf_counter())
                return
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    summary = await account.connector.run_cycle()
    cycle_s = time.perf_counter() - started
    await asyncio.sleep(0.02)
    done.set()
    await watcher
    return {
        "cycle_s": round(cycle_s, 2),
        "last_order_s": round(seen_at[0] - started, 2) if seen_at else None,
        "imported": summary.imported,
        "api_calls": dict(summary.api_calls),
        "bp_waited_s": round(account.connector.bp.gate.waited_s, 2),
        "ss_waited_s": round(account.connector.ss.gate.waited_s, 2),
    }


async def run(
    n: int = 1000,
    *,
    other_bp: int = 100,
    other_ss: int = 20,
    new_gons: int = 5,
    interval_s: int = DEFAULT_INTERVAL_S,
    ss_api: str = "v1",
) -> dict[str, Any]:
    """``ss_api="v2"``: ShipStation through V2 at its 200 a minute (sliding, the client's own
    limiter at 190); the other app's ShipStation requests then count in V2's window."""
    ss_limit = SS_V2_LIMIT if ss_api == "v2" else SS_LIMIT
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        account = build_account(
            Path(tmp),
            n,
            bp_limit=BP_LIMIT,
            ss_limit=ss_limit,
            window_s=WINDOW_S,
            client_options={},
            ss_api=ss_api,
        )
        env = account.env
        # Held back: printed only after the big import, for the steady-state cycle.
        held = sorted(account.eligible)[-new_gons:] if new_gons else []
        for gid in held:
            env.bp.gons[gid]["status"]["printed"] = False
        code = env.config.brightpearl.account_code
        keys = {order_key(code, g) for g in account.eligible - set(held)}
        keys = {k for k in keys if mappable(env, k)}
        # The other app has been running for a while: half its minute's use is already in the
        # windows.
        env.bp.consume_requests(other_bp // 2)
        spend_shipstation(account, other_ss // 2)
        stop = asyncio.Event()
        background = asyncio.create_task(other_app(account, other_bp, other_ss, stop))
        try:
            first = await timed_cycle(account, keys)
            for gid in held:
                env.bp.set_gon_state(gid, printed=True)
            steady = await timed_cycle(account, {order_key(code, g) for g in held})
        finally:
            stop.set()
            await background
            await env.aclose()
    c, t = steady["cycle_s"], steady["last_order_s"] or steady["cycle_s"]
    return {
        "ss_api": ss_api,
        "eligible": n,
        "other_app_per_min": {"brightpearl": other_bp, "shipstation": other_ss},
        "limits": {
            "brightpearl": f"{BP_LIMIT}/{WINDOW_S:.0f}s rolling",
            "shipstation": f"{ss_limit}/{WINDOW_S:.0f}s" + (" sliding" if ss_api == "v2" else ""),
        },
        "import": first,
        "steady_cycle": steady,
        "interval_s": interval_s,
        "watch_latency_s": {
            "worst": round(c + interval_s + t, 1),
            "average": round((c + interval_s) / 2 + t, 1),
        },
        "sandbox_violations": {"brightpearl": env.bp.violations, "shipstation": env.ss.violations},
    }


def mappable(env: Any, key: str) -> bool:
    """Leave out the seeded account's deliberately broken notes (they fail with a reason, never
    arrive)."""
    gon = env.bp.gons[int(key.rsplit("-", 1)[1])]
    order = env.bp.orders[gon["orderId"]]
    delivery = order["parties"].get("delivery") or {}
    return (
        bool(gon["orderRows"])
        and bool(delivery.get("addressLine1"))
        and delivery.get("countryIsoCode") not in (None, "", "UK")
    )


async def resend_v2(
    notes: int = 1_000,
    edits: int = 500,
    *,
    other_ss: int = 50,
    other_bp: int = 100,
    scale: float = 10.0,
) -> dict[str, Any]:
    """V2 re-sends under V2's limit, the window scaled down ``scale`` times (60 s / scale; the
    other app's rates scaled with it), so minutes take seconds: ``edits`` of ``notes`` imported
    notes edited in Brightpearl, the re-send cycle timed. Real time = the client's waits x
    ``scale`` + the rest (the machine's work, not scaled); wall x ``scale`` bounds it above."""
    window = WINDOW_S / scale
    with tempfile.TemporaryDirectory(prefix="bench-resend-v2-") as tmp:
        account = build_account(
            Path(tmp),
            notes,
            bp_limit=BP_LIMIT,
            ss_limit=SS_V2_LIMIT,
            window_s=window,
            client_options={},
            ss_api="v2",
        )
        env = account.env
        try:
            await env.connector.run_cycle()
            store = env.connector.store
            recs = [
                r
                for r in (store.gon(g) for g in sorted(account.eligible))
                if r and r.stage == "imported"
            ]
            chosen = recs[::2][:edits]
            chosen += recs[1::2][: edits - len(chosen)]
            for rec in chosen:
                env.bp.update_order(
                    rec.order_id, delivery={"addressLine1": f"{rec.gon_id} Corrected Road"}
                )
            await asyncio.sleep(window)  # the import's calls leave the window
            env.bp.consume_requests(other_bp // 2)
            spend_shipstation(account, other_ss // 2)
            stop = asyncio.Event()
            background = asyncio.create_task(
                other_app(account, int(other_bp * scale), int(other_ss * scale), stop)
            )
            since = len(env.ss.request_log)
            started = time.perf_counter()
            try:
                cycle = await env.connector.run_cycle()
            finally:
                took = time.perf_counter() - started
                stop.set()
                await background
            refused = sum(1 for _t, _m, _p, status in env.ss.request_log[since:] if status == 429)
            street = {r.gon_id: env.ss.orders[r.ss_order_id]["shipTo"]["street1"] for r in chosen}
            applied = sum(1 for g, s in street.items() if s == f"{g} Corrected Road")
            waited = env.connector.ss.gate.waited_s
        finally:
            await env.aclose()
    return {
        "notes": notes,
        "edited": len(chosen),
        "updated": cycle.updated,
        "applied_in_shipstation": applied,
        "scale": scale,
        "window_s": window,
        "other_app_per_min": {"brightpearl": other_bp, "shipstation": other_ss},
        "cycle_s": round(took, 2),
        "wall_x_scale_s": round(took * scale, 1),
        "real_s": round(waited * scale + max(0.0, took - waited), 1),
        "ss_calls": cycle.api_calls["shipstation"],
        "answered_429": refused,
        "ss_waited_s": round(waited, 2),
        "errors": len(cycle.errors),
    }
