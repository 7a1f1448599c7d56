"""Loading config and opening the connector for headless commands, with exit codes; and the
one way the commands print: text from the APIs, the state or a file is made inert first."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bp_tui.cli import exitcodes
from bp_tui.config import Config, permission_warning, secret_values
from bp_tui.config.schema import MAX_ID
from bp_tui.errors import TERMINAL_UNSAFE, ConfigError, StateError, inert, inert_line, scrub_secrets
from bp_tui.paths import resolve_config_path, resolve_state_path
from bp_tui.service.profiles import load_profile_config

if TYPE_CHECKING:
    from bp_tui.service.connector import Connector

__all__ = [
    "CommandError",
    "dumps_json",
    "fail",
    "hide",
    "inert",
    "load",
    "open_connector",
    "positive_id",
    "say",
]


class CommandError(Exception):
    def __init__(self, code: int, lines: list[str]):
        self.code = code
        self.lines = lines
        super().__init__("\n".join(lines))


_SECRET_SOURCES: list[Callable[[], Iterable[str]]] = []


def hide(source: Callable[[], Iterable[str]]) -> None:
    """Mask the secrets ``source`` gives, in every encoding, in all that :func:`say` prints."""
    _SECRET_SOURCES.append(source)


def say(
    text: object = "", *, file: TextIO | None = None, flush: bool = False, line: bool = False
) -> None:
    """``print`` for everything a command shows: control characters and escape sequences in
    ``text`` (a vendor's error message, a customer name) are shown escaped, never acted on, and
    the secrets of the config and the stored tokens are masked (an answer may have echoed one).
    ``line``: ``text`` is one line, with text from outside in it: its newlines are escaped too, so
    that text cannot forge a line of the output."""
    shown = str(text)
    secrets = [s for source in _SECRET_SOURCES for s in source()]
    if secrets:
        shown = scrub_secrets(shown, secrets)
    print(inert_line(shown) if line else inert(shown), file=file or sys.stdout, flush=flush)


def dumps_json(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` for output: readable non-ASCII text, nothing a terminal acts on.

    json escapes the C0 controls itself; what it leaves as is when ``ensure_ascii`` is off (DEL,
    C1, bidi controls, lone surrogates) becomes a ``\\u`` escape of four hex digits, which keeps
    the document valid and equal once parsed (such characters can only occur inside its strings).
    """
    text = json.dumps(value, ensure_ascii=False, **kwargs)
    return TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def positive_id(text: str) -> int:
    """argparse type of a Brightpearl id: a whole number from 1 to the largest id either API has."""
    try:
        value = int(text, 10)
    except ValueError:
        value = None
    if value is None or not 1 <= value <= MAX_ID:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 1 to {MAX_ID}, not {inert(text)}"
        )
    return value


def warn_permissions(path: Path) -> None:
    warning = permission_warning(path)
    if warning:
        say(warning, file=sys.stderr)


def load(args: argparse.Namespace, *, require_complete: bool = True) -> tuple[Config, Path]:
    path = resolve_config_path(args.config)
    try:
        config = load_profile_config(path, getattr(args, "profile", None))
    except ConfigError as exc:
        raise CommandError(exitcodes.USAGE, [f"error: {p}" for p in exc.problems]) from None
    hide(lambda: secret_values(config))
    warn_permissions(path)
    if require_complete:
        missing = config.missing_for_sync()
        if missing:
            raise CommandError(exitcodes.USAGE, [f"error: {path}: {m}" for m in missing])
    return config, path


def open_connector(args: argparse.Namespace, *, require_complete: bool = True) -> Connector:
    from bp_tui.service.connector import Connector  # imported by the commands that need it only

    config, path = load(args, require_complete=require_complete)
    state_path = resolve_state_path(args.state)
    try:
        conn = Connector.open(
            config, state_path, config_path=path, profile=getattr(args, "profile", None)
        )
    except StateError as exc:
        raise CommandError(exitcodes.USAGE, [f"error: {exc}"]) from None
    except OSError as exc:
        where = exc.filename or state_path
        raise CommandError(exitcodes.USAGE, [f"error: {where}: {exc.strerror or exc}"]) from None
    hide(conn.secrets)  # and the OAuth tokens, as they are when printing
    return conn


def fail(exc: CommandError) -> int:
    for line in exc.lines:
        say(line, file=sys.stderr)
    return exc.code
