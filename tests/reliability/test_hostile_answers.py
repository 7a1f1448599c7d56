"""Proxies and broken gateways answer in the API's place: 302s, empty 200s, HTML maintenance
pages, JSON of the wrong shape, an nginx 404 page to goods-out note reads and ``{"response":
"ok"}`` after a write, at random, on every endpoint of both APIs, before and after the write
reached the API. Nothing may be concluded from such an answer: repeated cycles reach
exactly the end state of a clean run, no order is cancelled whose note still exists, nothing is
recorded as confirmed that Brightpearl lacks, and a cycle that met such an answer says so."""

from __future__ import annotations

import pytest

from bp_tui.core import reasons
from bp_tui.errors import ApiError, ApiProblem, ApiUnavailable
from bp_tui.sandbox.faults import GATEWAY_KINDS

from .helpers import ChaosEnv, chaos_env, eligible_gon_ids, note_counts, shw_counts

TARGETED = ("html_404", "ok_after_write")

# A phase ends with a cycle that met no injected answer and changed nothing: at 25 % per request
# and the ~11 requests of a steady V2 cycle (10 on V1) about one cycle in 25 is clean.
MAX_CYCLES = 100


async def run_cycle(ce: ChaosEnv, conn) -> tuple[bool, object]:
    conn.retry()  # time passes between cycles: failed notes are due again
    try:
        return True, await conn.run_cycle()
    except ApiProblem as exc:
        ce.errors.append(str(exc))
        return False, None


def end_state(ce: ChaosEnv, conn) -> dict:
    """What the two APIs and the state hold, by goods-out note id (ShipStation ids differ
    between runs, so orders are named by their orderKey)."""
    env = ce.env
    orders = {o["orderKey"]: o for o in env.ss.orders.values()}
    return {
        "orders": sorted((k, o["orderStatus"], len(o["items"])) for k, o in orders.items()),
        "shw": sorted(shw_counts(env).items()),
        "references": sorted(
            (g, n.get("shipping", {}).get("reference") or "") for g, n in env.bp.gons.items()
        ),
        "stages": sorted((g, r.stage) for g, r in conn.store.gons().items()),
        "notes": sorted(note_counts(env).values()),
        # a deletion read once waits for its second read: a phase has not settled before that
        "deletions_read_once": sorted(
            g for g, r in conn.store.gons().items() if r.reason.startswith(reasons.DELETION_SEEN)
        ),
    }


def check_nothing_concluded(ce: ChaosEnv, conn) -> None:
    env, store = ce.env, conn.store
    cancelled_keys = {
        o["orderKey"] for o in env.ss.orders.values() if o["orderStatus"] == "cancelled"
    }
    for gid, rec in store.gons().items():
        if rec.ss_order_key in cancelled_keys:
            assert gid not in env.bp.gons, f"order of GON {gid} cancelled although the note exists"
        if rec.stage == "confirmed":
            assert shw_counts(env)[gid] == 1 or env.bp.gons[gid]["status"]["shipped"], (
                f"GON {gid} recorded confirmed but Brightpearl has no shipped event"
            )


def unaccounted(ce: ChaosEnv, conn) -> list[str]:
    env, store = ce.env, conn.store
    failed = {g for g, r in store.gons(stages=("failed",)).items() if r.reason}
    keys = {o["orderKey"] for o in env.ss.orders.values()}
    account = env.config.brightpearl.account_code
    shw = shw_counts(env)
    out = [
        f"GON {g} not imported"
        for g in eligible_gon_ids(env)
        if f"bp-{account}-gon-{g}" not in keys and g not in failed
    ]
    for shipment in env.ss.shipments.values():
        order = env.ss.orders.get(shipment["orderId"])
        if shipment["voided"] or order is None:
            continue
        gid = int(order["orderKey"].rsplit("-", 1)[1])
        if gid in env.bp.gons and shw[gid] == 0 and gid not in failed:
            out.append(f"GON {gid} labelled, not confirmed")
    return out


async def drive(ce: ChaosEnv, deletions: int, labels: int, check: bool) -> dict:
    """Import, delete some notes in Brightpearl, label the rest, confirm: each phase run until
    the state stops changing (a clean run needs one cycle a phase)."""
    conn = ce.connector()
    clean_ones = 0
    try:

        async def settle_phase() -> None:
            nonlocal clean_ones
            previous = None
            for _ in range(MAX_CYCLES):
                before = sum(ce.bp_chaos.injected.values()) + sum(ce.ss_chaos.injected.values())
                finished, summary = await run_cycle(ce, conn)
                injected = (
                    sum(ce.bp_chaos.injected.values()) + sum(ce.ss_chaos.injected.values()) - before
                )
                if check:
                    check_nothing_concluded(ce, conn)
                if finished:
                    # a cycle that ends without an error has done everything due, or failed it
                    # with a reason (exit 1): nothing was lost to an unusable answer taken as
                    # success
                    clean_ones += 1
                    assert unaccounted(ce, conn) == [], ce.errors[-3:]
                state = end_state(ce, conn)
                if (
                    finished
                    and not injected
                    and state == previous
                    and not conn.store.audit.open_intents()
                ):
                    return
                previous = state
            raise AssertionError(f"no convergence: {ce.errors[-3:]}")

        await settle_phase()
        imported = sorted(k for k, o in ((o["orderKey"], o) for o in ce.env.ss.orders.values()))
        for key in imported[:deletions]:
            ce.env.bp.delete_gon(int(key.rsplit("-", 1)[1]))
        await settle_phase()
        for order in sorted(ce.env.open_orders(), key=lambda o: o["orderKey"])[:labels]:
            ce.env.ss.create_label(order["orderId"])
        await settle_phase()
        return {"state": end_state(ce, conn), "clean_cycles": clean_ones}
    finally:
        await conn.aclose()


@pytest.mark.parametrize("ss_api", ["v1", "v2"])
@pytest.mark.parametrize("seed", range(3))
async def test_gateway_answers_converge_to_the_clean_end_state(tmp_path, seed, ss_api):
    clean = chaos_env(
        tmp_path / "clean", orders=24, seed=seed, rate=0.0, kinds=GATEWAY_KINDS, ss_api=ss_api
    )
    expected = await drive(clean, deletions=3, labels=8, check=False)
    hostile = chaos_env(
        tmp_path / "hostile", orders=24, seed=seed, rate=0.25, kinds=GATEWAY_KINDS, ss_api=ss_api
    )
    got = await drive(hostile, deletions=3, labels=8, check=True)
    injected = hostile.bp_chaos.injected + hostile.ss_chaos.injected
    assert sum(injected.values()) > 10 and len(injected) >= 4, injected
    assert got["state"] == expected["state"]
    assert got["clean_cycles"] >= 3  # the exit-0 check above ran
    assert hostile.violations == 0


@pytest.mark.parametrize("ss_api", ["v1", "v2"])
@pytest.mark.parametrize("seed", range(3))
async def test_a_404_page_and_ok_after_a_write_cancel_nothing_wrongly_and_post_nothing_twice(
    tmp_path, seed, ss_api
):
    """Only the 404-HTML and ``{"response": "ok"}``-after-write rules, often: no order is cancelled
    whose note exists (checked after every cycle), no note, event or order twice, and the end
    state is the clean run's."""
    clean = chaos_env(
        tmp_path / "clean", orders=24, seed=seed, rate=0.0, kinds=TARGETED, ss_api=ss_api
    )
    expected = await drive(clean, deletions=3, labels=8, check=False)
    hostile = chaos_env(
        tmp_path / "hostile", orders=24, seed=seed, rate=0.3, kinds=TARGETED, ss_api=ss_api
    )
    got = await drive(hostile, deletions=3, labels=8, check=True)
    injected = hostile.bp_chaos.injected + hostile.ss_chaos.injected
    assert injected["html_404"] >= 3 and injected["ok_after_write"] >= 3, injected
    assert got["state"] == expected["state"]
    env = hostile.env
    assert all(n == 1 for n in note_counts(env).values()) and all(
        n <= 1 for n in shw_counts(env).values()
    )
    keys = [o["orderKey"] for o in env.ss.orders.values()]
    assert len(keys) == len(set(keys))
    cancelled = {o["orderKey"] for o in env.ss.orders.values() if o["orderStatus"] == "cancelled"}
    assert len(cancelled) == 3  # the three notes deleted, no other


async def test_every_answer_a_redirect_cancels_nothing_and_confirms_nothing(tmp_path):
    """A proxy answering every request with a 302: the first call fails, nothing else happens."""
    ce = chaos_env(tmp_path, orders=12, seed=5, rate=0.0)
    conn = ce.connector()
    try:
        await conn.run_cycle()
        for order in ce.env.open_orders()[:3]:
            ce.env.ss.create_label(order["orderId"])
        before = end_state(ce, conn)
        ce.bp_chaos.plan.rate = ce.ss_chaos.plan.rate = 1.0
        ce.bp_chaos.plan.kinds = ce.ss_chaos.plan.kinds = ("redirect",)
        with pytest.raises(ApiUnavailable) as info:
            await conn.run_cycle()
        assert info.value.status == 302 and "redirect" in str(info.value)
        assert end_state(ce, conn) == before
    finally:
        await conn.aclose()


@pytest.mark.parametrize("kind", ["redirect", "empty", "html", "wrong_shape"])
async def test_doctor_fails_reachability_on_an_answer_that_is_not_the_documented_one(
    tmp_path, kind
):
    ce = chaos_env(tmp_path, orders=4, seed=1, rate=1.0, kinds=(kind,))
    conn = ce.connector()
    try:
        checks = {c.id: c for c in await conn.doctor()}
    finally:
        await conn.aclose()
    assert checks["bp_reach"].ok is False and "check the base URL" in checks["bp_reach"].fix
    # ShipStation has its own reachability check (ss_reach); what answers is not the API, so the
    # key is not blamed (ss_auth is not run).
    assert checks["ss_reach"].ok is False and "check the base URL" in checks["ss_reach"].fix
    assert "ss_auth" not in checks
    assert not any(
        c.ok for c in checks.values() if c.id.startswith(("bp_", "ss_")) and c.id != "bp_staff"
    )


@pytest.mark.parametrize("ss_api", ["v1", "v2"])
async def test_notes_that_left_the_search_behind_a_404_gateway_are_never_cancelled(
    tmp_path, ss_api
):
    """The issue's case: imported notes leave the unshipped search (shipped in Brightpearl, or
    open but older than lookback_days) while a gateway answers every goods-out note read with an
    nginx 404 page. No order is cancelled and no note moves to cancelled, the cycle says why, and
    diagnose does not call them deleted; once the gateway is gone, the shipped ones are marked
    shipped in ShipStation and the old open ones stay open."""
    ce = chaos_env(tmp_path, orders=16, seed=2, rate=0.0, kinds=("html_404",), ss_api=ss_api)
    env = ce.env
    conn = ce.connector()
    try:
        await conn.run_cycle()
        imported = sorted(conn.store.gons(stages=("imported",)))
        failing = sorted(conn.store.gons(stages=("failed",)))
        assert len(imported) >= 8
        shipped, old = imported[:4], imported[4:8]
        for gid in (
            shipped
        ):  # shipped by hand, the tracking number typed in (V2 marks shipped only with one)
            env.bp.gons[gid]["shipping"]["reference"] = f"HAND-{gid}"
            env.bp.apply_events(
                gid,
                [
                    {
                        "eventCode": "SHW",
                        "occured": "2026-01-01T10:00:00.000+00:00",
                        "eventOwnerId": 4,
                    }
                ],
            )
        for gid in old + failing:  # still open in Brightpearl, but out of the search's window
            env.bp.gons[gid]["createdOn"] = "2020-01-01T00:00:00.000+00:00"
        ce.bp_chaos.plan.rate = 1.0
        for _ in range(3):
            conn.retry()
            with pytest.raises(ApiError) as info:
                await conn.run_cycle()
            assert info.value.status == 404 and "gateway or proxy" in str(info.value)
        assert ce.bp_chaos.injected["html_404"] >= 3
        assert all(o["orderStatus"] != "cancelled" for o in env.ss.orders.values())
        assert not conn.store.gons(stages=("cancelled",))
        with pytest.raises(
            ApiError, match="gateway or proxy"
        ):  # diagnose says what answered, not "deleted"
            await conn.diagnose(old[0])
        ce.bp_chaos.plan.rate = 0.0  # the gateway goes away
        for _ in range(2):
            await conn.run_cycle()
        stages = conn.store.gons(imported + failing)
        by_key = {o["orderKey"]: o["orderStatus"] for o in env.ss.orders.values()}
        assert all(
            (stages[g].stage, by_key[stages[g].ss_order_key]) == ("confirmed", "shipped")
            for g in shipped
        )
        assert all(
            stages[g].stage == "imported" and by_key[stages[g].ss_order_key] != "cancelled"
            for g in old
        )
        assert all(stages[g].stage != "cancelled" for g in failing)
        assert all(o["orderStatus"] != "cancelled" for o in env.ss.orders.values())
    finally:
        await conn.aclose()
