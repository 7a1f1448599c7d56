"""`sync --once` exits 1 while a note stays failed, also while it only waits for its retry, so a
cron or systemd check does not flap 1, 0, 1; the JSON summary says how many are failing."""

from __future__ import annotations

import asyncio
import json

from bp_tui.cli import main, sync_cmd
from bp_tui.sandbox.environment import in_process
from bp_tui.service.connector import Connector
from tests.sync.conftest import FAST_CLIENTS, make_env


def test_exit_code_follows_failing_notes_not_only_this_runs_failures(tmp_path, monkeypatch, capsys):
    env = make_env(tmp_path, orders=0)
    order_id = env.bp.add_order(rows=[(1001, 1)])
    env.bp.orders[order_id]["parties"]["delivery"]["countryIsoCode"] = ""  # cannot be mapped
    gon = env.bp.add_gon(order_id, state="printed")
    good = env.bp.add_gon(env.bp.add_order(rows=[(1001, 2)]), state="printed")

    def open_connector(args, **kwargs):  # a new process each time, on the same state file
        return Connector(
            env.config,
            env.state_path,
            bp_transport=in_process(env.bp.app),
            ss_transport=in_process(env.ss.app),
            client_options=dict(FAST_CLIENTS),
        )

    monkeypatch.setattr(sync_cmd, "open_connector", open_connector)

    def run_once() -> tuple[int, dict]:
        code = main(["sync", "--once", "--json"])
        return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    try:
        first, second = run_once(), run_once()  # fails; then waits for its retry (backoff)
        assert first[0] == 1 and first[1]["failed"] == 1 and first[1]["failing"] == 1
        assert second[0] == 1 and second[1]["failed"] == 0 and second[1]["failing"] == 1
        assert second[1]["skipped"].get("backoff") == 1
        env.bp.orders[order_id]["parties"]["delivery"]["countryIsoCode"] = "GB"  # fixed
        env.connector.retry([gon])  # due now, as `r` in the queue does
        fixed = run_once()
        assert fixed[0] == 0 and fixed[1]["failed"] == 0 and fixed[1]["failing"] == 0
        assert fixed[1]["imported"] == 1 and fixed[1]["updated"] == 0
        assert env.connector.store.gon(gon).stage == "imported"  # new in ShipStation: imported
        assert env.connector.store.gon(good).stage == "imported"
    finally:
        asyncio.run(env.aclose())


def test_text_summary_says_how_many_are_failing(monkeypatch, capsys):
    from bp_tui.core.types import CycleSummary
    from tests.cli.test_inert_output import Stub, use

    use(monkeypatch, sync_cmd, Stub(summary=CycleSummary(failed=0, failing=2)))
    assert main(["sync", "--once"]) == 1
    assert "failed 0 (failing now 2)" in capsys.readouterr().out
    use(monkeypatch, sync_cmd, Stub(summary=CycleSummary()))
    assert main(["sync", "--once", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["failing"] == 0
