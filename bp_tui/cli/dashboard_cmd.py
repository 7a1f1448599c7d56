"""`bp-tui` (no command) and `bp-tui demo`: the Textual dashboard.

This is the only command module that imports ``bp_tui.ui`` (and so Textual), and only when
one of its commands runs.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bp_tui.cli import exitcodes
from bp_tui.cli.common import say, warn_permissions
from bp_tui.config import Config, load_config
from bp_tui.errors import ConfigError
from bp_tui.paths import make_private_folder, resolve_config_path, resolve_state_path

if TYPE_CHECKING:
    from bp_tui.sandbox.environment import SandboxEnvironment
    from bp_tui.service.connector import Connector


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="the dashboard against the built-in sandbox (writes only to a temporary folder)")
    parser.add_argument("--orders", type=int, default=60, help="Brightpearl orders to seed (default 60)")
    parser.add_argument("--no-mouse", action="store_true", help="leave the mouse to the terminal")
    parser.add_argument("--ss-api", choices=("v1", "v2"), default="v1",
                        help="the ShipStation API the demo's account is reached through (default v1)")
    parser.set_defaults(func=cmd_demo)


def install_default(parser: argparse.ArgumentParser) -> None:
    """Make `bp-tui` with no command open the dashboard (subcommands override this default)."""
    parser.add_argument("--no-mouse", action="store_true",
                        help="dashboard: leave the mouse to the terminal (text selection over SSH)")
    parser.set_defaults(func=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    path = resolve_config_path(args.config)
    config: Config | None = None
    if path.exists():
        try:
            config = load_config(path)
        except ConfigError as exc:
            for problem in exc.problems:
                say(f"error: {problem}", file=sys.stderr)
            print("The dashboard does not replace a config file it cannot read: fix or move it first.",
                  file=sys.stderr)
            return exitcodes.USAGE
        warn_permissions(path)
    state_path = resolve_state_path(args.state)

    from bp_tui.service.connector import Connector
    from bp_tui.ui import BpApp

    def factory(cfg: Config) -> Connector:
        make_private_folder(state_path.parent)
        return Connector.open(cfg, state_path, config_path=path)

    app = BpApp(config=config, config_path=path, state_path=state_path, connector_factory=factory)
    app.run(mouse=not getattr(args, "no_mouse", False))
    return exitcodes.OK


def demo_connector_factory(env: "SandboxEnvironment") -> Callable[[Config], "Connector"]:
    """Connectors for edited settings (Test connection) that still reach the in-process sandboxes."""
    from bp_tui.sandbox.environment import in_process
    from bp_tui.service.connector import Connector

    def factory(cfg: Config) -> Connector:
        return Connector(cfg, env.state_path, config_path=env.config_path,
                         bp_transport=in_process(env.bp.app), ss_transport=in_process(env.ss.app),
                         ss_options=env.ss_options if cfg.shipstation.api_version == "v2" else None)  # V2's limiter

    return factory


def cmd_demo(args: argparse.Namespace) -> int:
    from bp_tui.sandbox.environment import build_environment
    from bp_tui.ui import BpApp

    workdir = Path(tempfile.mkdtemp(prefix="bp-tui-demo-"))
    try:
        # real_world: the demo's heartbeat also splits, merges, returns and voids old labels.
        # Brightpearl is connected by OAuth, as a new setup is: the sandbox approves at once.
        env = build_environment(workdir, orders=args.orders, real_world=True, bp_auth="oauth",
                                ss_api=getattr(args, "ss_api", "v1"))
        asyncio.run(env.oauth_login())
        app = BpApp(config=env.config, config_path=env.config_path, state_path=env.state_path,
                    connector=env.connector, connector_factory=demo_connector_factory(env), demo=env)
        app.run(mouse=not args.no_mouse)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return exitcodes.OK
