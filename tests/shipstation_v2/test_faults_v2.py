"""Whole sync cycles over ShipStation V2 under injected faults (V2's own error envelope and
429 + Retry-After) until they converge: every note in ShipStation once, every label confirmed
once."""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx
import pytest

from bp_tui.sandbox.environment import build_environment
from bp_tui.sandbox.faults import BRIGHTPEARL, DeadlineTransport, FaultPlan, attach
from bp_tui.sandbox.shipstation_v2.faults import SHIPSTATION_V2
from bp_tui.service.connector import Connector
from tests.reliability.helpers import (
    CLIENT_TIMEOUT,
    ChaosEnv,
    assert_exactly_once,
    cycle,
    eligible_gon_ids,
    fast_clients,
    tally,
)

MAX_CYCLES = 40


@dataclass
class ChaosEnvV2(ChaosEnv):
    def connector(self) -> Connector:
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


def chaos_env_v2(
    tmp_path,
    *,
    orders: int,
    seed: int,
    rate: float = 0.2,
    ss_rate: float | None = None,
    kinds: tuple[str, ...] | None = None,
) -> ChaosEnvV2:
    env = build_environment(
        tmp_path / "env",
        orders=orders,
        seed=seed,
        bp_limit=100_000,
        ss_limit=100_000,
        window_s=1.0,
        client_options=fast_clients(),
        ss_api="v2",
    )
    plan = dict(rate=rate, slow_s=CLIENT_TIMEOUT * 2, throttle_s=0.02)
    if kinds is not None:
        plan["kinds"] = kinds
    bp = attach(env.bp, FaultPlan(seed=seed * 2 + 1, **plan), BRIGHTPEARL)
    ss = attach(
        env.ss,
        FaultPlan(seed=seed * 2 + 2, **{**plan, "rate": rate if ss_rate is None else ss_rate}),
        SHIPSTATION_V2,
    )
    return ChaosEnvV2(env, bp, ss)


async def converge(ce: ChaosEnvV2, conn: Connector, eligible: set[int]) -> int:
    ran = 0
    while ran < MAX_CYCLES:
        counts = tally(ce.env, conn.store, eligible)
        if counts["lost"] == 0 and not conn.store.audit.open_intents():
            break
        await cycle(ce, conn)
        ran += 1
    return ran


@pytest.mark.parametrize("seed", range(4))
async def test_v2_cycles_under_faults_end_exactly_once(tmp_path, seed):
    """20 % of Brightpearl's answers and 30 % of ShipStation V2's misbehave."""
    rng = random.Random(seed)
    ce = chaos_env_v2(tmp_path, orders=40, seed=seed, ss_rate=0.3)
    eligible = eligible_gon_ids(ce.env)
    conn = ce.connector()
    try:
        for _ in range(8):  # packers print labels between cycles while the network misbehaves
            ce.env.label(rng.randint(1, 4))
            await cycle(ce, conn)
        assert await converge(ce, conn, eligible) < MAX_CYCLES, ce.errors[-5:]
        assert sum(ce.ss_chaos.injected.values()) > 5
        assert_exactly_once(ce, conn, eligible)
        assert ce.violations == 0  # every 429's Retry-After was waited out
    finally:
        await conn.aclose()


@pytest.mark.parametrize("kind", ["error_after", "drop_after", "slow_after", "malformed"])
async def test_v2_writes_done_with_their_answer_lost(tmp_path, kind):
    ce = chaos_env_v2(tmp_path, orders=20, seed=11, rate=0.4, kinds=(kind,))
    eligible = eligible_gon_ids(ce.env)
    conn = ce.connector()
    try:
        for _ in range(3):
            ce.env.label(3)
            await cycle(ce, conn)
        assert await converge(ce, conn, eligible) < MAX_CYCLES, ce.errors[-5:]
        assert ce.ss_chaos.injected[kind] > 3
        assert_exactly_once(ce, conn, eligible)
    finally:
        await conn.aclose()
