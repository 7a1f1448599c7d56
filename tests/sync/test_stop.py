"""A stop request (SIGTERM on `sync --watch`, quitting the dashboard) ends a rate-limit wait
at once: the cycle stops before sending anything more, and the state stays consistent."""

from __future__ import annotations

import asyncio
import time

import pytest

from bp_tui.errors import StopRequested
from tests.sync.conftest import make_env


async def test_stop_request_ends_a_rate_limit_wait_within_a_second(tmp_path):
    env = make_env(tmp_path, orders=30, seed=2)
    try:
        conn = env.connector
        conn.ss.gate.block_for(60.0)  # ShipStation said "wait a minute" just before the cycle
        task = asyncio.create_task(conn.run_cycle())
        await asyncio.sleep(0.5)
        assert not task.done()  # waiting at the gate, as the server asked
        sent_before = conn.ss.requests_sent
        asked = time.monotonic()
        conn.request_stop()
        with pytest.raises(StopRequested):
            await asyncio.wait_for(task, timeout=2.0)
        assert time.monotonic() - asked < 1.0
        assert conn.ss.requests_sent == sent_before  # nothing sent after the stop
        assert (
            not conn.store.audit.open_intents()
        )  # the import that did not go is settled, not left open
        assert env.ss.orders == {}
    finally:
        await env.aclose()


async def test_after_a_stop_the_next_run_imports_everything_once(tmp_path):
    env = make_env(tmp_path, orders=30, seed=2)
    try:
        conn = env.connector
        conn.ss.gate.block_for(3.0)  # short: the next run waits out the rest
        task = asyncio.create_task(conn.run_cycle())
        await asyncio.sleep(0.3)
        conn.request_stop()
        with pytest.raises(StopRequested):
            await task
        conn.stop_requested = False
        summary = await conn.run_cycle()
        assert summary.imported > 0
        keys = [o["orderKey"] for o in env.ss.orders.values()]
        assert len(keys) == len(set(keys))
    finally:
        await env.aclose()
