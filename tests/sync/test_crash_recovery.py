"""A crash at any point, followed by new runs, ends exactly-once.

The crash is simulated in-process at the transport: at a random request the "process
dies", either before the request reaches the API or after the API did the work but
before the answer arrives (the nasty case). The dying run's state file is then reopened
by a fresh connector, as a restarted process would.
"""

from __future__ import annotations

import random
from collections import Counter

import httpx
import pytest

from bp_tui.sandbox.environment import SandboxEnvironment
from bp_tui.service.connector import Connector
from bp_tui.sync.mapping import order_key

from .conftest import FAST_CLIENTS, eligible_gon_ids, make_env, shw_counts, ss_keys


class Crash(BaseException):
    """The process died (BaseException: nothing in the engine may swallow it)."""


class CrashingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, counter: list[int], crash_at: int, after: bool):
        self.inner, self.counter, self.crash_at, self.after = inner, counter, crash_at, after

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.counter[0] += 1
        if self.counter[0] == self.crash_at and not self.after:
            raise Crash()
        response = await self.inner.handle_async_request(request)
        if self.counter[0] == self.crash_at:
            await response.aread()
            raise Crash()
        return response


def connector(env: SandboxEnvironment, counter: list[int] | None = None, crash_at: int = 0,
              after: bool = False) -> Connector:
    bp: httpx.AsyncBaseTransport = httpx.ASGITransport(app=env.bp.app)
    ss: httpx.AsyncBaseTransport = httpx.ASGITransport(app=env.ss.app)
    if counter is not None:
        bp = CrashingTransport(bp, counter, crash_at, after)
        ss = CrashingTransport(ss, counter, crash_at, after)
    return Connector(env.config, env.state_path, bp_transport=bp, ss_transport=ss, client_options=dict(FAST_CLIENTS),
                     ss_options=env.ss_options)


def note_counts(env: SandboxEnvironment) -> Counter:
    counts: Counter = Counter()
    for notes in env.bp.notes.values():
        for note in notes:
            if "[bp-tui " in note["text"]:
                counts[note["text"].rsplit("[bp-tui ", 1)[1]] += 1
    return counts


async def crash_once(env: SandboxEnvironment, rng: random.Random, labels: int) -> None:
    """One cycle that dies at a random request; between cycles packers print labels."""
    env.label(labels)
    counter = [0]
    conn = connector(env, counter, crash_at=rng.randint(1, 40), after=rng.random() < 0.6)
    try:
        await conn.run_cycle()
    except Crash:
        pass
    finally:
        conn.store.close()  # the process is gone; its clients die with it


@pytest.mark.parametrize("seed", range(12))
async def test_crashes_at_random_points_end_exactly_once(tmp_path, seed, ss_api):
    rng = random.Random(seed)
    env = make_env(tmp_path, orders=25, seed=seed + 10, ss_api=ss_api)
    eligible = eligible_gon_ids(env)
    try:
        for _ in range(4):
            await crash_once(env, rng, labels=rng.randint(0, 4))
        final = connector(env)
        for _ in range(3):  # converge
            await final.run_cycle()
        stages = {r.gon_id: r for r in final.queue_rows()}
        # every eligible note is in ShipStation exactly once, or failed with a reason
        keys = ss_keys(env)
        assert max(keys.values(), default=1) == 1
        for gid in eligible:
            assert order_key("demo", gid) in keys or (stages[gid].stage == "failed" and stages[gid].reason)
        # every labelled note confirmed exactly once, with at most one note per label
        shw = shw_counts(env)
        for order in env.ss.orders.values():
            labelled = [s for s in env.ss.shipments.values() if s["orderId"] == order["orderId"] and not s["voided"]]
            if not labelled:
                continue
            rec = final.store.gon_by_ss_order(order["orderId"])
            assert rec.stage == "confirmed", (rec.gon_id, rec.stage, rec.reason)
            assert shw[rec.gon_id] == 1
        assert max(note_counts(env).values(), default=1) == 1
        assert not final.store.open_intents()
        # nothing stuck without a reason
        assert all(r.reason for r in stages.values() if r.stage in ("failed", "attention", "waiting"))
        await final.aclose()
    finally:
        await env.aclose()


@pytest.mark.parametrize("seed", range(8))
async def test_crashes_amid_voids_replacements_deletions_end_exactly_once(tmp_path, seed):
    """Same as above while the account keeps changing as in the demo: labels voided and
    replaced, orders marked shipped by hand, notes deleted in Brightpearl."""
    rng = random.Random(100 + seed)
    env = make_env(tmp_path, orders=25, seed=seed + 30)
    env.rng = random.Random(seed)
    try:
        for _ in range(5):
            await env.tick()
            await crash_once(env, rng, labels=rng.randint(0, 3))
        final = connector(env)
        for _ in range(3):
            await env.tick()
            await final.run_cycle()
        await final.run_cycle()
        assert max(ss_keys(env).values(), default=1) == 1
        assert max(shw_counts(env).values(), default=0) <= 1
        assert max(note_counts(env).values(), default=1) == 1
        assert not final.store.open_intents()
        for order in env.ss.orders.values():
            live = [s for s in env.ss.shipments.values() if s["orderId"] == order["orderId"] and not s["voided"]]
            if live:
                rec = final.store.gon_by_ss_order(order["orderId"])
                assert rec.stage in ("confirmed", "attention"), (rec.gon_id, rec.stage, rec.reason)
        rows = final.queue_rows()
        assert all(r.reason for r in rows if r.stage in ("failed", "attention", "waiting", "cancelled"))
        await final.aclose()
    finally:
        await env.aclose()
