"""Troubleshooting screen, command palette, demo ticking and the dashboard commands."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from textual.widgets import DataTable, Input, ListView, Static, TabbedContent

from bp_tui.cli import dashboard_cmd
from bp_tui.cli.main import build_parser, main
from bp_tui.config import secret_values
from bp_tui.ui.commands import palette_entries
from bp_tui.ui.problems import KNOWN_PROBLEMS
from bp_tui.ui.screens.troubleshoot import TroubleshootScreen
from tests.ui.conftest import make_app, plain, settle


async def open_troubleshoot(pilot) -> TroubleshootScreen:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.press("f4")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, TroubleshootScreen)
    return screen


async def test_run_checks_lists_each_check_with_mark_and_fix(env):
    app = make_app(env)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_troubleshoot(pilot)
        await pilot.press("t")
        await settle(pilot)
        ids = [r.id for r in screen.check_results]
        assert {"config", "bp_reach", "bp_auth", "ss_auth"} <= set(ids)
        text = plain(screen.query_one("#doctor-checks", Static))
        assert "✓ ok" in text and "ShipStation credentials accepted" in text
        for result in screen.check_results:
            assert result.title in text


async def test_known_problems_are_an_interactive_list(env):
    app = make_app(env)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_troubleshoot(pilot)
        await pilot.press("k")
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "tab-known"
        listing = screen.query_one("#known-list", ListView)
        assert listing.has_focus and len(listing.children) == len(KNOWN_PROBLEMS)
        first = plain(screen.query_one("#known-detail", Static))
        assert "Printed" in first and "How to tell" in first and "The check we run" in first
        await pilot.press("down")
        await pilot.pause()
        second = plain(screen.query_one("#known-detail", Static))
        assert KNOWN_PROBLEMS[1].title in second and second != first


async def test_why_isnt_this_order_importing(env):
    waiting = next(g for g, n in env.bp.gons.items() if n["orderId"] and not n["status"]["printed"])
    app = make_app(env)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_troubleshoot(pilot)
        await pilot.press("t")  # checks run against the sandbox; then ask about one GON
        await settle(pilot)
        await pilot.press("w")
        await pilot.pause()
        why = screen.query_one("#why-input", Input)
        assert why.has_focus
        await pilot.press(*str(waiting), "enter")
        await settle(pilot)
        text = plain(screen.query_one("#why-result", Static))
        assert f"GON {waiting}" in text and "Verdict:" in text
        assert "print" in text.lower()


async def test_recent_errors_grouped_by_reason_after_a_sync(env):
    app = make_app(env)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await settle(pilot)
        screen = await open_troubleshoot(pilot)
        await pilot.press("x")
        await pilot.pause()
        table = screen.query_one("#errors-table", DataTable)
        expected = env.connector.recent_errors()
        assert expected and table.row_count == len(expected)
        reason, count, gons = expected[0]
        assert table.get_row_at(0)[:2] == [reason, str(count)]
        assert str(gons[0]) in table.get_row_at(0)[2]


async def test_export_support_bundle_without_secrets(env):
    app = make_app(env)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_troubleshoot(pilot)
        await pilot.press("e")
        await pilot.pause()
        bundles = list(env.state_path.parent.glob("bp-tui-support-*.json"))
        assert len(bundles) == 1
        assert stat.S_IMODE(bundles[0].stat().st_mode) == 0o600
        text = bundles[0].read_text()
        assert json.loads(text)["versions"]["bp-tui"]
        for secret in secret_values(env.config):
            assert secret not in text
        assert str(bundles[0]) in plain(screen.query_one("#bundle-result", Static))


async def test_palette_has_an_entry_for_every_action(env):
    app = make_app(env)
    async with app.run_test() as pilot:
        await pilot.pause()
        titles = {title for title, *_ in palette_entries(app.screen)}
        for title in (
            "Queue: Sync now",
            "Queue: Import only",
            "Queue: Confirm only",
            "Queue: Retry",
            "Queue: Retry all failed",
            "Queue: Diagnose",
            "Queue: Pause/resume",
            "Queue: Search",
            "Queue: Filter",
            "Queue: Sort",
            "Queue: Detail",
            "App: Help",
            "App: Setup",
            "App: Troubleshoot",
            "App: Quit",
        ):
            assert title in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Troubleshoot", "enter")
        await pilot.pause()
        await pilot.pause()
        assert app.current_mode == "troubleshoot"


async def test_demo_tick_makes_labels_appear(env):
    app = make_app(env, demo=env, demo_tick_seconds=60)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await settle(pilot)
        open_before, shipments_before = len(env.open_orders()), len(env.ss.shipments)
        assert open_before > 0
        app._demo_tick()  # noqa: SLF001 - what the interval timer calls
        await settle(pilot)
        assert len(env.open_orders()) < open_before
        assert len(env.ss.shipments) > shipments_before


def test_no_command_opens_the_dashboard_and_demo_is_a_command():
    parser = build_parser()
    assert parser.parse_args([]).func is dashboard_cmd.cmd_dashboard
    assert parser.parse_args(["demo"]).func is dashboard_cmd.cmd_demo
    assert parser.parse_args(["config", "path"]).func is not dashboard_cmd.cmd_dashboard


def test_dashboard_refuses_a_bad_config_file(tmp_path: Path, capsys):
    path = tmp_path / "config.toml"
    path.write_text("[brightpearl]\naccount_code = 'acme'\nwat = 1\n")
    assert main(["--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "brightpearl.wat: unknown key" in err
    assert path.read_text() == "[brightpearl]\naccount_code = 'acme'\nwat = 1\n"


async def test_the_screen_names_the_shipstation_api_in_use(tmp_path: Path):
    from bp_tui.sandbox.environment import build_environment

    env = build_environment(tmp_path / "env", orders=4, ss_api="v2")
    app = make_app(env)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_troubleshoot(pilot)
        info = plain(screen.query_one("#trouble-info", Static))
        assert "ShipStation API V2" in info and "Brightpearl auth password" in info
        assert f"config {env.config_path}" in " ".join(
            info.split()
        )  # wrapped at 80 columns, not cut
        await pilot.press("t")
        await settle(pilot)
        reach = next(r for r in screen.check_results if r.id == "ss_reach")
        assert reach.ok and reach.detail == "API V2 at https://shipstation.sandbox"
        assert "API V2 at" in plain(screen.query_one("#doctor-checks", Static))
    await env.aclose()


def test_every_check_a_known_problem_names_is_one_doctor_runs():
    import re

    import bp_tui.troubleshoot.doctor as doctor

    source = Path(doctor.__file__).read_text()
    ids = set(
        re.findall(r'"((?:bp|ss)_[a-z_]+|config|clock)"', source)
    )  # the check ids doctor.py spells
    assert {
        "bp_reach",
        "bp_oauth_refresh",
        "ss_auth",
        "bp_budget",
        "clock",
    } <= ids  # the scan works
    for problem in KNOWN_PROBLEMS:
        assert set(problem.check_ids) <= ids, (problem.title, set(problem.check_ids) - ids)


def test_known_problems_cover_oauth():
    titles = [p.title for p in KNOWN_PROBLEMS]
    assert "Brightpearl access was revoked (OAuth)" in titles
    assert "Wrong OAuth client secret" in titles
    assert "OAuth state mismatch when pasting the address" in titles
    revoked = KNOWN_PROBLEMS[titles.index("Brightpearl access was revoked (OAuth)")]
    assert "bp-tui auth login" in revoked.fix and "Connect" in revoked.fix
