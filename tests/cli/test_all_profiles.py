"""`sync --all-profiles`: two profiles in one process, each with its own connector, state, lock
and rate limits; a broken one (revoked grant, an API that hangs) neither stops nor slows the
other."""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx
import pytest

from bp_tui.cli import exitcodes
from bp_tui.cli.all_profiles import run_all
from bp_tui.sandbox.environment import build_environment
from bp_tui.service.connector import Connector


def sync_args(**changes: object) -> argparse.Namespace:
    values = dict(
        once=True,
        watch=False,
        import_only=False,
        confirm_only=False,
        dry_run=False,
        json=True,
        wait=False,
        all_profiles=True,
    )
    values.update(changes)
    return argparse.Namespace(**values)


def oauth_env(path, seed):  # type: ignore[no-untyped-def]
    env = build_environment(
        path, orders=25, seed=seed, bp_limit=100_000, ss_limit=100_000, bp_auth="oauth"
    )
    asyncio.run(env.oauth_login())
    return env


def summaries(out: str) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for line in out.splitlines():
        if line.startswith("{"):
            doc = json.loads(line)
            found.setdefault(doc["profile"], []).append(doc)
    return found


def test_a_revoked_grant_leaves_the_other_profile_syncing_unslowed(tmp_path, capsys):
    alone = oauth_env(tmp_path / "alone", seed=2)
    codes = asyncio.run(run_all({"alone": alone.connector}, sync_args()))
    alone_s = summaries(capsys.readouterr().out)["alone"][0]["duration_s"]

    broken, good = oauth_env(tmp_path / "broken", seed=1), oauth_env(tmp_path / "good", seed=2)
    assert broken.bp.oauth.revoke() == 1
    codes = asyncio.run(run_all({"broken": broken.connector, "good": good.connector}, sync_args()))
    captured = capsys.readouterr()
    assert codes["broken"] == exitcodes.UNREACHABLE
    assert "[broken] error:" in captured.err and "[good] error" not in captured.err
    done = summaries(captured.out)
    assert "broken" not in done  # it never got to a summary
    good_run = done["good"][0]
    assert good_run["imported"] > 10
    assert codes["good"] == (exitcodes.PARTIAL if good_run["failed"] else exitcodes.OK)
    assert good_run["duration_s"] <= alone_s * 2 + 1.0, (good_run["duration_s"], alone_s)
    # separate states: the broken profile's file holds no note, the good one's holds them all
    assert len(good.bp.gons) == len(alone.bp.gons)
    good_store = Connector(good.config, good.state_path).store
    broken_store = Connector(broken.config, broken.state_path).store
    try:
        assert sum(good_store.queue.stage_counts().values()) > 10
        assert sum(broken_store.queue.stage_counts().values()) == 0
        assert broken_store.meta.last_run() is not None and good_store.meta.last_run() is not None
    finally:
        good_store.close()
        broken_store.close()


def test_each_profile_has_its_own_limits(tmp_path):
    one, two = oauth_env(tmp_path / "one", seed=1), oauth_env(tmp_path / "two", seed=2)
    assert one.connector.bp.gate is not two.connector.bp.gate
    assert one.connector.ss.gate is not two.connector.ss.gate
    assert one.bp.oauth.revoke() == 1
    asyncio.run(run_all({"one": one.connector, "two": two.connector}, sync_args()))
    # the good profile spent its own budget; the broken one's gate saw only its refused call(s)
    assert (
        two.connector.bp.gate.remaining is not None and one.connector.bp.gate.remaining is not None
    )
    assert two.connector.bp.gate.remaining < one.connector.bp.gate.remaining


def test_watch_keeps_cycling_the_good_profile_while_the_other_fails(tmp_path, capsys):
    broken, good = oauth_env(tmp_path / "broken", seed=1), oauth_env(tmp_path / "good", seed=2)
    broken.bp.oauth.revoke()
    for env in (broken, good):
        env.connector.config.sync.interval_seconds = 0.2  # type: ignore[assignment]

    async def main() -> dict[str, int]:
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_all(
                {"broken": broken.connector, "good": good.connector},
                sync_args(once=False, watch=True),
                stop,
            )
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if good.connector.store.meta.run_count() >= 3:
                break
            await asyncio.sleep(0.05)
        stop.set()
        return await task

    codes = asyncio.run(main())
    captured = capsys.readouterr()
    assert len(summaries(captured.out)["good"]) >= 2
    assert captured.err.count("[broken] error:") >= 2  # tried again at each interval, not given up
    assert codes["broken"] == exitcodes.UNREACHABLE


class Hanging(httpx.AsyncBaseTransport):
    """An API that accepts the connection and never answers until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        await self.release.wait()
        raise httpx.ConnectError("released", request=request)


def test_a_hanging_profile_does_not_slow_the_other(tmp_path, capsys):
    alone = oauth_env(tmp_path / "alone", seed=2)
    asyncio.run(run_all({"alone": alone.connector}, sync_args()))
    alone_s = summaries(capsys.readouterr().out)["alone"][0]["duration_s"]
    good = oauth_env(tmp_path / "good", seed=2)
    stuck = build_environment(tmp_path / "stuck", orders=5, seed=1)

    async def main() -> tuple[float, dict[str, int]]:
        hang = Hanging()
        stuck_conn = Connector(stuck.config, stuck.state_path, bp_transport=hang, ss_transport=hang)
        stop = asyncio.Event()
        started = time.monotonic()
        task = asyncio.create_task(
            run_all({"stuck": stuck_conn, "good": good.connector}, sync_args(), stop)
        )
        while good.connector.store.meta.last_run() is None or good.connector.running:
            assert time.monotonic() - started < 60
            await asyncio.sleep(0.02)
        took = time.monotonic() - started
        assert hang.calls >= 1 and not task.done()  # the stuck one is still waiting
        stop.set()
        hang.release.set()
        return took, await asyncio.wait_for(task, 30)

    took, codes = asyncio.run(main())
    assert took <= alone_s * 2 + 1.0, (took, alone_s)
    assert summaries(capsys.readouterr().out)["good"][0]["imported"] > 10
    assert codes["stuck"] in (
        exitcodes.OK,
        exitcodes.UNREACHABLE,
    )  # stopped, or gave up after the release


@pytest.mark.parametrize("broken_first", [True, False])
def test_an_unexpected_error_in_one_profile_is_reported_and_contained(
    tmp_path, capsys, broken_first
):
    good = oauth_env(tmp_path / "good", seed=2)
    bad = oauth_env(tmp_path / "bad", seed=1)

    async def explode(**_: object) -> None:
        raise RuntimeError("boom")

    bad.connector.run_cycle = explode  # type: ignore[method-assign]
    pairs = [("bad", bad.connector), ("good", good.connector)]
    codes = asyncio.run(run_all(dict(pairs if broken_first else pairs[::-1]), sync_args()))
    captured = capsys.readouterr()
    assert "[bad] error: RuntimeError: boom" in captured.err
    assert codes["bad"] == exitcodes.PARTIAL
    assert summaries(captured.out)["good"][0]["imported"] > 10


def test_each_profile_has_its_own_sync_lock(tmp_path, capsys):
    from bp_tui.state.lock import SyncLock

    busy, free = oauth_env(tmp_path / "busy", seed=1), oauth_env(tmp_path / "free", seed=2)
    held = SyncLock(busy.state_path)
    held.acquire()  # another process syncs the busy profile
    try:
        codes = asyncio.run(run_all({"busy": busy.connector, "free": free.connector}, sync_args()))
    finally:
        held.release()
    captured = capsys.readouterr()
    assert codes["busy"] == exitcodes.PARTIAL and "[busy] another sync is running" in captured.err
    assert summaries(captured.out)["free"][0]["imported"] > 10
