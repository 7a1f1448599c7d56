"""Shared pieces of the reliability tests: a chaotic environment and the exactly-once check."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bp_tui.apiclient import Backoff
from bp_tui.errors import ApiProblem
from bp_tui.sandbox.environment import SandboxEnvironment, build_environment
from bp_tui.sandbox.faults import (
    BRIGHTPEARL,
    SHIPSTATION,
    Chaos,
    DeadlineTransport,
    FaultPlan,
    attach,
)
from bp_tui.sandbox.shipstation_v2.faults import SHIPSTATION_V2
from bp_tui.service.connector import Connector
from bp_tui.sync.mapping import order_key

CLIENT_TIMEOUT = 0.15


def fast_clients(seed: int = 3) -> dict:
    return {
        "backoff": Backoff(attempts=4, base=0.001, cap=0.005, rng=random.Random(seed)),
        "timeout": CLIENT_TIMEOUT,
    }


@dataclass
class ChaosEnv:
    env: SandboxEnvironment
    bp_chaos: Chaos
    ss_chaos: Chaos
    errors: list[str] = field(default_factory=list)
    client_options: dict = field(default_factory=fast_clients)

    def connector(self) -> Connector:
        """A fresh process's connector on the same state file, through the faulty sandboxes."""
        env = self.env
        return Connector(
            env.config,
            env.state_path,
            config_path=env.config_path,
            bp_transport=DeadlineTransport(httpx.ASGITransport(app=env.bp.app)),
            ss_transport=DeadlineTransport(httpx.ASGITransport(app=env.ss.app)),
            client_options=dict(self.client_options),
            ss_options=env.ss_options,
        )

    def faults(self, on: bool) -> None:
        self.bp_chaos.enabled = self.ss_chaos.enabled = on

    @property
    def violations(self) -> int:
        return (
            self.bp_chaos.violations
            + self.ss_chaos.violations
            + self.env.bp.violations
            + self.env.ss.violations
        )


def chaos_env(
    tmp_path: Path,
    *,
    orders: int,
    seed: int,
    rate: float = 0.2,
    kinds: tuple[str, ...] | None = None,
    window_s: float = 1.0,
    **kw,
) -> ChaosEnv:
    env = build_environment(
        tmp_path / "env",
        orders=orders,
        seed=seed,
        bp_limit=100_000,
        ss_limit=100_000,
        window_s=window_s,
        client_options=fast_clients(),
        **kw,
    )
    plan = dict(rate=rate, slow_s=CLIENT_TIMEOUT * 2, throttle_s=0.02)
    if kinds is not None:
        plan["kinds"] = kinds
    bp = attach(env.bp, FaultPlan(seed=seed * 2 + 1, **plan), BRIGHTPEARL)
    ss = attach(
        env.ss,
        FaultPlan(seed=seed * 2 + 2, **plan),
        SHIPSTATION_V2 if env.ss_api == "v2" else SHIPSTATION,
    )
    return ChaosEnv(env, bp, ss)


async def cycle(ce: ChaosEnv, conn: Connector) -> bool:
    """One cycle; an API failure ends it early, as it would a real run. True when it finished."""
    conn.retry()  # time passes between cycles: failed notes are due again
    try:
        await conn.run_cycle()
        return True
    except ApiProblem as exc:
        ce.errors.append(str(exc))
        return False


def eligible_gon_ids(env: SandboxEnvironment) -> set[int]:
    return {
        gid
        for gid, g in env.bp.gons.items()
        if g["orderId"] and g["status"]["printed"] and not g["status"]["shipped"]
    }


def shw_counts(env: SandboxEnvironment) -> Counter:
    return Counter(
        {
            gid: sum(1 for e in g["events"] if e["eventCode"] == "SHW")
            for gid, g in env.bp.gons.items()
        }
    )


def note_counts(env: SandboxEnvironment) -> Counter:
    """bp-tui notes per idempotency marker (one marker per shipment and kind)."""
    counts: Counter = Counter()
    for notes in env.bp.notes.values():
        for note in notes:
            if "[bp-tui " in note["text"]:
                counts[note["text"].rsplit("[bp-tui ", 1)[1]] += 1
    return counts


def tally(env: SandboxEnvironment, store, eligible: set[int]) -> dict[str, int]:
    """What ended where, counted on the vendors' side (the state is only cross-checked)."""
    keys = Counter(o["orderKey"] for o in env.ss.orders.values())
    shw = shw_counts(env)
    labelled = {s["orderId"] for s in env.ss.shipments.values() if not s["voided"]}
    gon_of_ss = {o["orderId"]: int(o["orderKey"].rsplit("-", 1)[1]) for o in env.ss.orders.values()}
    failed = {g for g, r in store.gons(stages=("failed",)).items() if r.reason}
    confirmed = sum(1 for oid in labelled if shw[gon_of_ss[oid]] == 1)
    return {
        "eligible": len(eligible),
        "imported": sum(
            1 for g in eligible if keys[order_key(env.config.brightpearl.account_code, g)] >= 1
        ),
        "failed_with_reason": len(failed & eligible),
        "labelled": len(labelled),
        "confirmed": confirmed,
        "duplicates": sum(n - 1 for n in keys.values() if n > 1)
        + sum(n - 1 for n in shw.values() if n > 1)
        + sum(n - 1 for n in note_counts(env).values() if n > 1),
        "lost": sum(
            1
            for g in eligible
            if keys[order_key(env.config.brightpearl.account_code, g)] == 0 and g not in failed
        )
        + sum(1 for oid in labelled if shw[gon_of_ss[oid]] == 0),
    }


def assert_exactly_once(ce: ChaosEnv, conn: Connector, eligible: set[int]) -> dict[str, int]:
    env = ce.env
    store = conn.store
    counts = tally(env, store, eligible)
    assert counts["duplicates"] == 0, counts
    assert counts["lost"] == 0, (counts, ce.errors[-5:])
    # every eligible note is in ShipStation exactly once, or failed with its reason
    keys = Counter(o["orderKey"] for o in env.ss.orders.values())
    rows = {r.gon_id: r for r in conn.queue_rows()}
    for gid in eligible:
        key = order_key(env.config.brightpearl.account_code, gid)
        assert keys[key] == 1 or (rows[gid].stage == "failed" and rows[gid].reason), (
            gid,
            rows.get(gid),
        )
    # every labelled order: its note confirmed, one SHW, one note per label at most
    shw = shw_counts(env)
    for shipment in env.ss.shipments.values():
        if shipment["voided"]:
            continue
        rec = store.gon_by_ss_order(shipment["orderId"])
        assert rec is not None and rec.stage == "confirmed", (rec, ce.errors[-5:])
        assert shw[rec.gon_id] == 1
    assert max(note_counts(env).values(), default=1) == 1
    assert not store.audit.open_intents()
    # nothing stuck without a reason
    stuck = [
        r for r in rows.values() if r.stage in ("failed", "attention", "waiting") and not r.reason
    ]
    assert not stuck, stuck
    return counts
