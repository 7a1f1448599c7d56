"""Loading config and opening the connector for headless commands, with exit codes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bp_tui.cli import exitcodes
from bp_tui.config import Config, load_config
from bp_tui.errors import ConfigError
from bp_tui.paths import resolve_config_path, resolve_state_path
from bp_tui.service.connector import Connector
from bp_tui.state import StateError


class CommandError(Exception):
    def __init__(self, code: int, lines: list[str]):
        self.code = code
        self.lines = lines
        super().__init__("\n".join(lines))


def load(args: argparse.Namespace, *, require_complete: bool = True) -> tuple[Config, Path]:
    path = resolve_config_path(args.config)
    try:
        config = load_config(path)
    except ConfigError as exc:
        raise CommandError(exitcodes.USAGE, [f"error: {p}" for p in exc.problems]) from None
    if require_complete:
        missing = config.missing_for_sync()
        if missing:
            raise CommandError(exitcodes.USAGE, [f"error: {path}: {m}" for m in missing])
    return config, path


def open_connector(args: argparse.Namespace, *, require_complete: bool = True) -> Connector:
    config, path = load(args, require_complete=require_complete)
    try:
        return Connector.open(config, resolve_state_path(args.state), config_path=path)
    except StateError as exc:
        raise CommandError(exitcodes.USAGE, [f"error: {exc}"]) from None


def fail(exc: CommandError) -> int:
    for line in exc.lines:
        print(line, file=sys.stderr)
    return exc.code
