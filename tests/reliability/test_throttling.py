"""Under 429 / 503 bursts and the real rate windows, the clients never send while told to wait."""

from __future__ import annotations

from .helpers import assert_exactly_once, chaos_env, cycle, eligible_gon_ids


async def test_throttle_bursts_and_tight_windows_have_no_violations(tmp_path):
    ce = chaos_env(tmp_path, orders=20, seed=5, rate=0.25, kinds=("throttle",))
    env = ce.env
    # tight real windows too: 25 Brightpearl / 8 ShipStation requests per 1 s
    env.bp.window.limit, env.bp.window.window_s = 25, 0.3
    env.ss.limiter.limit, env.ss.limiter.window_s, env.ss.window_s = 8, 1.0, 1.0
    eligible = eligible_gon_ids(env)
    conn = ce.connector()
    try:
        for _ in range(3):
            env.label(4)
            env.ss.consume_rate_limit(8)  # other apps on the same keys spent the window
            env.bp.consume_requests(25)
            await cycle(
                ce, conn
            )  # may give up after many throttles in a row: the next cycle goes on
        for _ in range(10):
            if await cycle(ce, conn):
                break
        assert ce.bp_chaos.injected["throttle"] > 3 and ce.ss_chaos.injected["throttle"] >= 1, (
            ce.errors,
            len(env.ss.request_log),
        )
        statuses = [s for *_, s in env.ss.request_log]
        assert statuses.count(429) > 0 and env.bp.window.throttled > 0  # the real windows bit too
        assert_exactly_once(ce, conn, eligible)
        assert ce.violations == 0, (
            ce.bp_chaos.violations,
            ce.ss_chaos.violations,
            env.bp.violations,
            env.ss.violations,
            statuses.count(429),
        )
    finally:
        await conn.aclose()
