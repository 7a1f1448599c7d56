"""`bp-tui demo` over a state with a long history due for retention, for the hang-up tests.

``python -m tests.ui.retain_demo WORKDIR HISTORY``: copies HISTORY (a state file made by
``build_history``: confirmed notes, each with a label, confirmed 200 days ago) to WORKDIR's
state (unless it is that file), seeds the sandbox there and imports its printed notes on top,
then opens the dashboard as ``bp-tui demo`` does: its first automatic sync ends with retention
removing the old notes, batch after batch. The state stays in WORKDIR for the test to read; the
exit code is the app's return code.

The old notes are written with a few SQL statements, not through the store's methods, and the
indexes built after them: half a million notes that way take seconds, not many minutes. Their
text columns (reference, customer, tracking) are spread in an order unrelated to their ids, as
real ones are, so that the indexes retention updates are as scattered as in a real file.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bp_tui.cli.dashboard_cmd import demo_connector_factory
from bp_tui.sandbox.environment import build_environment, in_process
from bp_tui.service.connector import Connector
from bp_tui.state import StateStore
from bp_tui.ui import BpApp

FIRST_ID = 50_000_000  # old notes' ids start here (the sandbox's are far lower)
AGE_DAYS = 200


def build_history(state_path: Path, count: int) -> None:
    """A new state file holding ``count`` confirmed notes, ``AGE_DAYS`` old, with a label each."""
    StateStore(state_path).close()
    at = (datetime.now(UTC) - timedelta(days=AGE_DAYS)).isoformat(timespec="seconds")
    db = sqlite3.connect(state_path)
    try:
        db.execute("PRAGMA cache_size = -262144")
        db.execute(
            "PRAGMA journal_mode = DELETE"
        )  # (WAL again below) one write of each page, not two
        db.execute("PRAGMA synchronous = OFF")  # a test's throwaway file
        with (
            db
        ):  # the indexes are dropped for the inserts and built again after (sorted: far faster)
            indexes = db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN ('gons', 'shipments', 'audit')"
            ).fetchall()
            for name, _sql in indexes:
                db.execute(f'DROP INDEX "{name}"')
            db.execute(
                "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?) "
                "INSERT INTO gons (gon_id, order_id, stage, "
                "gon_state, reference, customer, warehouse_id, "
                "channel_id, ss_order_key, ss_order_id, "
                "ss_order_number, ss_payload, tracking, confirmed_at, "
                "first_seen, updated_at) "
                "SELECT ? + i, ? + i, 'confirmed', 'shipped', 'SO-' || ((i * 7919) % 1000003), "
                "'Customer ' || ((i * 104729) % 99991), 2, 1, "
                "'bp-gon-' || (? + i), ? + i, 'SO-' || i, "
                "'{}', "
                "'1Z' || ((i * 15485863) % 1000000007), ?, ?, ? FROM n",
                (count, FIRST_ID, FIRST_ID + count, FIRST_ID, 2 * FIRST_ID, at, at, at),
            )
            db.execute(
                "INSERT INTO shipments (kind, remote_id, gon_id, "
                "ss_order_id, tracking, carrier, service, "
                "shipped_at, created_at, role, noted) "
                "SELECT 'shipment', gon_id, gon_id, ss_order_id, "
                "tracking, 'ups', 'ground', ?, ?, 'confirmed', 1 "
                "FROM gons WHERE gon_id >= ?",
                (at, at, FIRST_ID),
            )
            for _name, sql in indexes:
                db.execute(sql)
        db.execute("PRAGMA journal_mode = WAL")
    finally:
        db.close()


def main(workdir: Path, history: Path) -> int:
    workdir.mkdir(parents=True, exist_ok=True)
    if history != workdir / "state.sqlite3":  # (already there: used as it is, no copy to write)
        shutil.copyfile(history, workdir / "state.sqlite3")
    # the sandbox's notes imported by a cycle that keeps every note (it would retain the old ones)
    env = build_environment(workdir, orders=30, config_overrides={"sync": {"keep_days": 36_500}})
    asyncio.run(env.connector.run_cycle(import_only=True))
    asyncio.run(env.connector.aclose())
    env.config.sync.keep_days = 90  # the dashboard's first sync retains them
    connector = Connector(
        env.config,
        env.state_path,
        config_path=env.config_path,
        bp_transport=in_process(env.bp.app),
        ss_transport=in_process(env.ss.app),
    )
    app = BpApp(
        config=env.config,
        config_path=env.config_path,
        state_path=env.state_path,
        connector=connector,
        connector_factory=demo_connector_factory(env),
        demo=env,
        demo_tick_seconds=0,
    )
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
