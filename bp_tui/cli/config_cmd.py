"""`bp-tui config path` and `bp-tui config show`."""

from __future__ import annotations

import argparse
import sys

from bp_tui.cli import exitcodes
from bp_tui.cli.common import say, warn_permissions
from bp_tui.config import masked_toml
from bp_tui.errors import ConfigError
from bp_tui.paths import resolve_config_path
from bp_tui.service.profiles import load_profile_config


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="where the config file is, and what it holds")
    sub = parser.add_subparsers(dest="config_command", metavar="{path,show}", required=True)
    p_path = sub.add_parser("path", help="print the config file's path")
    p_path.set_defaults(func=cmd_path)
    p_show = sub.add_parser("show", help="print the config with secrets masked")
    p_show.set_defaults(func=cmd_show)


def cmd_path(args: argparse.Namespace) -> int:
    say(resolve_config_path(args.config))
    return exitcodes.OK


def cmd_show(args: argparse.Namespace) -> int:
    path = resolve_config_path(args.config)
    try:
        config = load_profile_config(path, getattr(args, "profile", None))
    except ConfigError as exc:
        for problem in exc.problems:
            say(f"error: {problem}", file=sys.stderr)
        return exitcodes.USAGE
    warn_permissions(path)
    say(f"# {path}")
    say(masked_toml(config).rstrip("\n"))
    return exitcodes.OK
