"""`sync --once --confirm-cancel`: the cancellations the guard held (more than sync.max_cancels,
or every open order) go ahead; without it they wait, and the note says how to confirm."""

from __future__ import annotations

import asyncio
import json

from bp_tui.cli import main, sync_cmd
from bp_tui.core import reasons
from bp_tui.sandbox.environment import in_process
from bp_tui.service.connector import Connector
from tests.sync.conftest import FAST_CLIENTS, make_env


def test_confirm_cancel_lets_the_held_cancellations_through(tmp_path, monkeypatch, capsys):
    env = make_env(tmp_path, orders=0)
    gons = [env.bp.add_printed_gon() for _ in range(2)]

    def open_connector(args, **kwargs):  # a new process each time, on the same state file
        return Connector(
            env.config,
            env.state_path,
            bp_transport=in_process(env.bp.app),
            ss_transport=in_process(env.ss.app),
            client_options=dict(FAST_CLIENTS),
        )

    monkeypatch.setattr(sync_cmd, "open_connector", open_connector)

    def run(*extra: str) -> dict:
        main(["sync", "--once", "--json", *extra])
        return json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    try:
        assert run()["imported"] == 2
        for gid in gons:
            env.bp.delete_gon(gid)
        assert run()["cancelled"] == 0  # the first read of each deletion
        held = run()  # the second: every open order, so held
        assert held["cancelled"] == 0 and held["attention"] == 2
        rec = env.connector.store.gon(gons[0])
        assert rec.reason.startswith(reasons.CANCELS_HELD)
        assert "bp-tui sync --once --confirm-cancel" in rec.reason
        assert run("--confirm-cancel")["cancelled"] == 2
        assert {o["orderStatus"] for o in env.ss.orders.values()} == {"cancelled"}
    finally:
        asyncio.run(env.aclose())
