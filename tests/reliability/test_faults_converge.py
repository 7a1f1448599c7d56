"""Whole sync cycles under 20 % injected faults, in both sandboxes, until they converge."""

from __future__ import annotations

import random

import pytest

from .helpers import assert_exactly_once, chaos_env, cycle, eligible_gon_ids, tally

MAX_CYCLES = 40


def converged(ce, conn, eligible) -> bool:
    counts = tally(ce.env, conn.store, eligible)
    return counts["lost"] == 0 and not conn.store.audit.open_intents()


@pytest.mark.parametrize("ss_api", ["v1", "v2"])
@pytest.mark.parametrize("seed", range(6))
async def test_cycles_under_20_percent_faults_end_exactly_once(tmp_path, seed, ss_api):
    rng = random.Random(seed)
    ce = chaos_env(tmp_path, orders=30, seed=seed, ss_api=ss_api)
    eligible = eligible_gon_ids(ce.env)
    conn = ce.connector()
    try:
        for _ in range(6):  # packers print labels between cycles while the network misbehaves
            ce.env.label(rng.randint(1, 5))
            await cycle(ce, conn)
        ran = 0
        while not converged(ce, conn, eligible) and ran < MAX_CYCLES:
            await cycle(ce, conn)
            ran += 1
        assert ran < MAX_CYCLES, ce.errors[-5:]
        assert sum(ce.bp_chaos.injected.values()) + sum(ce.ss_chaos.injected.values()) > 10
        assert_exactly_once(ce, conn, eligible)
        assert ce.violations == 0
    finally:
        await conn.aclose()


@pytest.mark.parametrize("ss_api", ["v1", "v2"])
@pytest.mark.parametrize("kind", ["error_after", "drop_after", "slow_after", "malformed"])
async def test_each_nasty_kind_alone_at_high_rate(tmp_path, kind, ss_api):
    """The write is done and the answer lost, for 40 % of requests: still exactly once."""
    ce = chaos_env(tmp_path, orders=20, seed=11, rate=0.4, kinds=(kind,), ss_api=ss_api)
    eligible = eligible_gon_ids(ce.env)
    conn = ce.connector()
    try:
        for _ in range(3):
            ce.env.label(4)
            await cycle(ce, conn)
        ran = 0
        while not converged(ce, conn, eligible) and ran < MAX_CYCLES:
            await cycle(ce, conn)
            ran += 1
        assert ce.bp_chaos.injected[kind] + ce.ss_chaos.injected[kind] > 3
        assert_exactly_once(ce, conn, eligible)
    finally:
        await conn.aclose()
