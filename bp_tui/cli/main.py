"""Argument parsing and dispatch for `bp-tui`.

Commands that open the dashboard import ``bp_tui.ui`` (and so Textual) only when they
run; the headless commands never load it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bp_tui import __version__
from bp_tui.cli import (
    alerts_cmd, all_profiles, auth_cmd, config_cmd, dashboard_cmd, exitcodes, profiles_cmd, sandbox_cmd,
    service_cmd, state_cmd, status_cmd, sync_cmd, troubleshoot_cmd,
)
from bp_tui.cli.common import CommandError, fail, say
from bp_tui.paths import LinkRefused

COMMAND_MODULES = [sync_cmd, troubleshoot_cmd, config_cmd, state_cmd, auth_cmd, sandbox_cmd, dashboard_cmd,
                   profiles_cmd, status_cmd, alerts_cmd, service_cmd]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bp-tui",
        description="Brightpearl <-> ShipStation connector: imports printed goods-out notes into "
        "ShipStation and writes shipments back to Brightpearl.",
    )
    parser.add_argument("--version", action="version", version=f"bp-tui {__version__}")
    parser.add_argument("--config", metavar="PATH", help="config file (env BP_TUI_CONFIG)")
    parser.add_argument("--state", metavar="PATH", help="state database (env BP_TUI_STATE)")
    profiles_cmd.add_global_option(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.add_parser(subparsers)
    dashboard_cmd.install_default(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return exitcodes.USAGE
    try:
        profiles_cmd.apply_profile(args)
    except CommandError as exc:
        return fail(exc)
    if getattr(args, "all_profiles", False) and args.command == "sync":  # every profile's cycles
        func = all_profiles.cmd_sync_all
    try:
        return int(func(args) or 0)
    except LinkRefused as exc:  # a link where bp-tui keeps a file, met by any command
        say(f"error: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
