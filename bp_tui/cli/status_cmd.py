"""`bp-tui status [--json] [--prometheus PATH]`: the health check for monitors, from the state
only (no API call). Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from bp_tui.alerts.status import as_json, prometheus_text, write_textfile
from bp_tui.cli.common import CommandError, dumps_json, load, say
from bp_tui.core.health import UNKNOWN, StatusReport
from bp_tui.core.records import utcnow
from bp_tui.paths import resolve_state_path
from bp_tui.service.connector import Connector
from bp_tui.state import StateError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "status", help="health check from the state only: exit 0 OK, 1 warning, 2 critical, 3 unknown"
    )
    p.add_argument("--json", action="store_true", help="print the same as JSON")
    p.add_argument(
        "--prometheus",
        metavar="PATH",
        help="also write node_exporter's textfile format to PATH (atomically, mode 0644)",
    )
    p.set_defaults(func=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    path = resolve_state_path(args.state)
    try:
        config, _config_path = load(args, require_complete=False)
    except CommandError as exc:
        return _unknown(args, [line.removeprefix("error: ") for line in exc.lines])
    if not path.is_file():
        return _unknown(args, [f"{path}: no state database yet (no sync has run with this state)"])
    try:
        report = Connector.read_status(config, path)
    except StateError as exc:
        return _unknown(args, [str(exc)])
    if args.prometheus:
        try:
            write_textfile(Path(args.prometheus).expanduser(), prometheus_text(report))
        except OSError as exc:
            say(
                f"error: {args.prometheus}: cannot write the Prometheus file: {exc.strerror or exc}",
                file=sys.stderr,
            )
            report.code, report.reasons = UNKNOWN, [f"cannot write {args.prometheus}", *report.reasons]
    if args.json:
        say(dumps_json(as_json(report)))
    else:
        _print(report)
    return report.code


def _unknown(args: argparse.Namespace, reasons: list[str]) -> int:
    if args.json:
        say(dumps_json({"status": "UNKNOWN", "code": UNKNOWN, "reasons": reasons}))
    else:
        say("bp-tui status: UNKNOWN")
        for reason in reasons:
            say(f"  - {reason}")
    return UNKNOWN


def _ago(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "never"
    seconds = int((now - at).total_seconds())
    return f"{at:%Y-%m-%d %H:%M:%S} UTC, {_span(seconds)} ago"


def _span(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172_800:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86_400} days"


def _print(report: StatusReport) -> None:
    now = report.now or utcnow()
    say(f"bp-tui status: {report.word} (account {report.account})")
    for reason in report.reasons:
        say(f"  - {reason}")
    took = f", took {report.last_cycle_seconds:.1f} s" if report.last_cycle_seconds is not None else ""
    result = f", {report.last_cycle_result}" if report.last_cycle_result else ""
    say(f"last cycle:        {_ago(report.last_cycle_at, now)}{took}{result}")
    say(f"last good cycle:   {_ago(report.last_good_cycle_at, now)}")
    notes = ", ".join(f"{stage} {n:,}" for stage, n in report.notes_by_stage.items()) or "none"
    say(f"notes per stage:   {notes}")
    say(f"failing:           {report.failing:,}    attention: {report.attention:,}")
    oldest = (
        _span(report.oldest_unshipped_seconds)
        if report.oldest_unshipped_seconds is not None
        else "none waiting"
    )
    say(f"oldest unshipped:  {oldest}")
    say(
        f"open incidents:    {report.open_incidents}    "
        f"alert messages not delivered: {report.undelivered_alerts}"
    )
    if report.grant_age_seconds is not None:
        say(f"OAuth token age:   {_span(report.grant_age_seconds)}")
