"""`bp-tui demo` with a slow Brightpearl, for the signal tests in a real terminal.

``python -m tests.ui.slow_demo WORKDIR COUNT``: seeds the sandbox in WORKDIR, imports its
printed notes and labels COUNT of them, then opens the dashboard as ``bp-tui demo`` does,
except that every Brightpearl write takes WRITE_SECONDS. The first automatic sync then
spends several seconds confirming COUNT notes, one at a time: a signal lands mid-sync. The
state stays in WORKDIR for the test to read; the exit code is the app's return code.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from bp_tui.cli.dashboard_cmd import demo_connector_factory
from bp_tui.sandbox.environment import build_environment, in_process
from bp_tui.service.connector import Connector
from bp_tui.ui import BpApp

WRITE_SECONDS = 0.25


def slow_writes(app: Any, seconds: float) -> Any:
    """The ASGI app, answering every write (PUT/POST/PATCH/DELETE) ``seconds`` late."""

    async def slowed(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in ("PUT", "POST", "PATCH", "DELETE"):
            await asyncio.sleep(seconds)
        await app(scope, receive, send)

    return slowed


def main(workdir: Path, count: int) -> int:
    env = build_environment(workdir, orders=60)
    asyncio.run(env.connector.run_cycle(import_only=True))
    asyncio.run(env.connector.aclose())
    env.label(count)
    connector = Connector(
        env.config,
        env.state_path,
        config_path=env.config_path,
        bp_transport=in_process(slow_writes(env.bp.app, WRITE_SECONDS)),
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
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2])))
