"""Snapshots of every screen at 80x24 (the minimum) and 120x36, over the seeded sandbox.

Update after a deliberate change: ``pytest tests/ui/test_snapshots.py --snapshot-update``,
after looking at snapshot_report.html.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import FROZEN, make_app
from tests.ui.conftest import settle as settle_workers

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]
# Paths in the snapshots must not depend on the test's temporary folder.
SHOWN_CONFIG_PATH = Path("/home/ops/.config/bp-tui/config.toml")


@pytest.fixture(autouse=True)
def _frozen_doctor_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clock check prints local time; freeze it like the app clock."""
    import bp_tui.troubleshoot.doctor as doctor

    class FrozenDatetime(doctor.datetime):  # type: ignore[name-defined,misc]
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def]
            return FROZEN if tz is not None else FROZEN.replace(tzinfo=None)

    monkeypatch.setattr(doctor, "datetime", FrozenDatetime)


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Workers done, and toasts (which carry timings) cleared."""
    await settle_workers(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


async def scrolled(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until the screen's deferred scroll (to the check results) has happened: its
    position is the same over three frames (on a busy machine it comes a few frames late)."""
    container = pilot.app.screen.query_one("VerticalScroll")
    seen: list[float] = []
    for _ in range(60):
        await pilot.pause(0.05)
        seen.append(container.scroll_y)
        if len(seen) >= 3 and seen[-1] == seen[-2] == seen[-3]:
            return


def app_for(env):  # type: ignore[no-untyped-def]
    app = make_app(env)
    app.config_path = SHOWN_CONFIG_PATH
    return app


async def after_sync(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.press("s")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_queue(snap_compare, env, size):
    assert snap_compare(app_for(env), terminal_size=size, run_before=after_sync)


@pytest.mark.parametrize("size", SIZES)
def test_queue_filtered_to_failed(snap_compare, env, size):
    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await after_sync(pilot)
        while pilot.app.screen.stage_filter != "failed":
            await pilot.press("f")
        await pilot.pause()

    assert snap_compare(app_for(env), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_queue_help(snap_compare, env, size):
    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await after_sync(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app_for(env), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_diagnosis(snap_compare, env, size):
    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await after_sync(pilot)
        await pilot.press("d")
        await settle(pilot)

    assert snap_compare(app_for(env), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_setup_first_run(snap_compare, tmp_path, size):
    app = make_app(config_path=tmp_path / "config.toml")
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_setup_with_connection_test(snap_compare, env, size):
    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("ctrl+t")
        await settle(pilot)
        await scrolled(pilot)

    assert snap_compare(app_for(env), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_troubleshoot_checks(snap_compare, env, size):
    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(app_for(env), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_troubleshoot_known_problems(snap_compare, env, size):
    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("k")
        await pilot.pause()

    assert snap_compare(app_for(env), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_troubleshoot_why_not_importing(snap_compare, env, size):
    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("w", *"50002", "enter")
        await settle(pilot)

    assert snap_compare(app_for(env), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_troubleshoot_recent_errors(snap_compare, env, size):
    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await after_sync(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()

    assert snap_compare(app_for(env), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_overview_of_two_profiles(snap_compare, tmp_path, size):
    """Several profiles: the dashboard opens on their overview, one line each."""
    from tests.ui.test_overview import app_of, sessions_in, sync_all

    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await sync_all(pilot)
        await settle(pilot)

    assert snap_compare(app_of(sessions_in(tmp_path)), terminal_size=size, run_before=run_before)
