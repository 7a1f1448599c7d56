"""The dashboard with several profiles: it opens on their overview, Enter opens one (its queue,
setup and troubleshooting, with its name in the top line), F5 comes back; with one profile it
opens as it always did."""

from __future__ import annotations

from pathlib import Path

import pytest

import bp_tui.service.overview as overview
from bp_tui.cli.dashboard_cmd import demo_connector_factory
from bp_tui.sandbox.environment import build_environment
from bp_tui.state.profiles import Profile
from bp_tui.ui import BpApp
from bp_tui.ui.profile_session import ProfileSession
from bp_tui.ui.widgets.navbar import NavBar
from bp_tui.ui.widgets.profile_table import ProfileTable
from tests.ui.conftest import frozen_clock, make_app, plain, settle

NAMES = ("north-shop", "south-shop")


def sessions_in(folder: Path, names: tuple[str, ...] = NAMES) -> list[ProfileSession]:
    found = []
    for n, name in enumerate(names):
        env = build_environment(folder / name, orders=12 if n == 0 else 6, seed=1 + n)
        found.append(
            ProfileSession(
                Profile(name, env.config_path, env.state_path),
                env.config,
                connector=env.connector,
                connector_factory=demo_connector_factory(env),
                demo=env,
            )
        )
    return found


def app_of(sessions: list[ProfileSession]) -> BpApp:
    first = sessions[0].profile
    return BpApp(
        config=None,
        config_path=first.config_path,
        state_path=first.state_path,
        profiles=sessions,
        clock=frozen_clock,
        auto_sync=False,
        progress_linger_seconds=0,
    )


def rows(app: BpApp) -> list[list[str]]:
    table = app.screen.query_one(ProfileTable)
    return [[str(cell) for cell in table.get_row_at(r)] for r in range(table.row_count)]


async def sync_all(pilot) -> None:  # type: ignore[no-untyped-def]
    """Each profile's first cycle (as `sync --watch --all-profiles` would run them), then a
    re-read."""
    for session in pilot.app.sessions.values():
        await session.connector.run_cycle()
    await pilot.press("r")
    await pilot.pause()


async def test_opens_on_the_overview_and_enter_opens_a_profile(tmp_path):
    sessions = sessions_in(tmp_path)
    app = app_of(sessions)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.current_mode == "overview" and app.connector is None  # nothing opened yet
        shown = rows(app)
        assert [r[0] for r in shown] == list(NAMES)
        assert all(
            r[1] == "not synced yet" and r[3] == "never" and r[4] == "0" for r in shown
        )  # no incident
        await sync_all(pilot)
        shown = rows(app)
        assert all("✗" in r[1] and r[3] != "never" for r in shown)  # the seeded bad records fail
        assert shown[0][1] != shown[1][1]  # each line is its own profile's state

        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "queue" and app.profile_name == "north-shop"
        assert app.connector is sessions[0].connector
        assert "profile north-shop" in plain(app.screen.query_one(NavBar))
        await pilot.press("f4")
        await pilot.pause()
        assert app.current_mode == "troubleshoot"
        assert "profile north-shop" in plain(app.screen.query_one(NavBar))
        await pilot.press("f5")
        await pilot.pause()
        assert app.current_mode == "overview"
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.current_mode == "queue" and app.profile_name == "south-shop"
        assert (
            app.connector is sessions[1].connector
            and app.state_path == sessions[1].profile.state_path
        )
        assert "profile south-shop" in plain(app.screen.query_one(NavBar))
        await pilot.press("f3")
        await pilot.pause()
        assert app.current_mode == "setup" and "profile south-shop" in plain(
            app.screen.query_one(NavBar)
        )
        await pilot.press("f2")
        await pilot.pause()
        table = app.screen.query_one("#queue-table")
        assert table.row_count == sum(
            app.connector.stage_counts().values()
        )  # the south shop's notes only


async def test_switching_is_refused_while_a_sync_runs_and_a_broken_profile_says_why(tmp_path):
    sessions = sessions_in(tmp_path)
    sessions[1].problem = "config.toml: TOML syntax: bad (fix or move the file first)"
    app = app_of(sessions)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.current_mode == "overview" and app.profile_name is None
        assert any("TOML syntax" in str(n.message) for n in app._notifications)
        await pilot.press("up", "enter")
        await pilot.pause()
        assert app.profile_name == "north-shop"
        app.status = app.status.but(running=True)
        await pilot.press("f5")
        await pilot.pause()
        assert app.open_profile("south-shop") is False  # a sync of the shown profile is running
        assert app.profile_name == "north-shop"
        app.status = app.status.but(running=False)
        await pilot.press("f2")
        await pilot.pause()
        assert (
            app.open_profile("north-shop") and app.current_mode == "queue"
        )  # the same: nothing rebuilt
        sessions[1].problem = ""
        assert app.open_profile("south-shop")  # straight from another profile's queue
        await pilot.pause()
        assert app.current_mode == "queue" and app.connector is sessions[1].connector


async def test_open_incidents_come_from_the_hook(tmp_path, monkeypatch):
    monkeypatch.setattr(overview, "count_open_incidents", lambda store: 2)
    app = app_of(sessions_in(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await sync_all(pilot)
        assert [r[4] for r in rows(app)] == ["⚠ 2", "⚠ 2"]


async def test_one_profile_opens_as_always_and_f5_does_nothing(env):
    app = make_app(env)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.current_mode == "queue" and not app.has_overview
        bar = plain(app.screen.query_one(NavBar))
        assert "Profiles" not in bar and "profile" not in bar
        await pilot.press("f5")
        await pilot.pause()
        assert app.current_mode == "queue"


async def test_a_profile_name_is_shown_even_alone(env):
    app = make_app(env, profile_name="acme")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "profile acme" in plain(app.screen.query_one(NavBar))


@pytest.mark.parametrize("size", [(80, 24)])
async def test_the_overview_fits_80_columns(tmp_path, size):
    app = app_of(sessions_in(tmp_path, ("a-very-long-profile-name-32-char", "b")))
    async with app.run_test(size=size) as pilot:
        await sync_all(pilot)
        table = app.screen.query_one(ProfileTable)
        assert table.virtual_size.width <= size[0]
        assert table.row_count == 2
