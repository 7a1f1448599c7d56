"""Argument parsing and dispatch for `bp-tui`.

Commands that open the dashboard import ``bp_tui.ui`` (and so Textual) only when they
run; the headless commands never load it. `bp-tui status`, which monitors run every minute,
builds a parser of its own command only, so it loads neither the clients nor the engine.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from bp_tui import __version__
from bp_tui.cli import exitcodes, profiles_cmd
from bp_tui.cli.common import CommandError, fail, say
from bp_tui.paths import LinkRefused

COMMANDS = (
    "sync_cmd",
    "troubleshoot_cmd",
    "config_cmd",
    "state_cmd",
    "auth_cmd",
    "sandbox_cmd",
    "dashboard_cmd",
    "profiles_cmd",
    "status_cmd",
    "alerts_cmd",
    "service_cmd",
)
GLOBAL_WITH_VALUE = ("--config", "--state", "--profile")


def command_modules(names: Sequence[str] = COMMANDS) -> list[ModuleType]:
    return [importlib.import_module(f"bp_tui.cli.{name}") for name in names]


def _command_of(argv: Sequence[str]) -> str | None:
    """The command word of ``argv`` (after the global options), or None."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in GLOBAL_WITH_VALUE:
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def build_parser(modules: Sequence[ModuleType] | None = None) -> argparse.ArgumentParser:
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
    for module in modules if modules is not None else command_modules():
        module.add_parser(subparsers)
    if modules is None:
        importlib.import_module("bp_tui.cli.dashboard_cmd").install_default(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    fast = _command_of(words) == "status" and not {"-h", "--help"} & set(words)
    parser = build_parser(command_modules(["status_cmd"]) if fast else None)
    args = parser.parse_args(words)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return exitcodes.USAGE
    try:
        profiles_cmd.apply_profile(args)
    except CommandError as exc:
        return fail(exc)
    if getattr(args, "all_profiles", False) and args.command == "sync":  # every profile's cycles
        func = importlib.import_module("bp_tui.cli.all_profiles").cmd_sync_all
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
