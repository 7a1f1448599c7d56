"""`bp-tui status [--json] [--prometheus PATH] [--all-profiles]`: the health check for monitors,
from the state only (no API call). Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; with
``--all-profiles`` each profile is reported, named, and the exit code is the highest of theirs."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bp_tui.cli.common import CommandError, dumps_json, load, say
from bp_tui.core.health import UNKNOWN, StatusReport
from bp_tui.core.records import utcnow
from bp_tui.errors import StateError
from bp_tui.paths import resolve_state_path
from bp_tui.service.status import as_json, prometheus_text, read_health, write_textfile


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "status",
        help="health check from the state only: exit 0 OK, 1 warning, 2 critical, 3 unknown",
    )
    p.add_argument("--json", action="store_true", help="print the same as JSON")
    p.add_argument(
        "--prometheus",
        metavar="PATH",
        help="also write node_exporter's textfile format to PATH (atomically, mode 0644)",
    )
    p.add_argument(
        "--all-profiles",
        action="store_true",
        help="every profile of the install, each named; exit with the highest code",
    )
    p.set_defaults(func=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    if getattr(args, "all_profiles", False):
        return _all_profiles(args)
    return _one(args)[0]


def _all_profiles(args: argparse.Namespace) -> int:
    """Each profile's status in turn (its name first); the highest exit code of them all. With
    ``--json``, one object per profile in a list; ``--prometheus`` is for one profile at a time."""
    from bp_tui.cli.profiles_cmd import install_profiles  # the profiles command imports this one

    if args.prometheus:
        say(
            "error: --prometheus writes one profile's file: use --profile NAME with it",
            file=sys.stderr,
        )
        return UNKNOWN
    found = install_profiles(args).list()
    if not found:
        return _unknown(args, ["no profiles: run `bp-tui` to set one up"])[0]
    worst, reports = 0, []
    for profile in found:
        one = argparse.Namespace(
            **{
                **vars(args),
                "all_profiles": False,
                "profile": profile.name,
                "config": str(profile.config_path),
                "state": str(profile.state_path),
                "json": args.json,
            }
        )
        if not args.json:
            say(f"[{profile.name}]")
        code, report = _one(one, collect=args.json)
        if report is not None:
            reports.append({"profile": profile.name, **report})
        worst = max(worst, code)
    if args.json:
        say(dumps_json(reports))
    return worst


def _one(args: argparse.Namespace, *, collect: bool = False) -> tuple[int, dict[str, Any] | None]:
    """One state's status: printed (as text, or as JSON unless ``collect``), and its code; with
    ``collect``, its JSON object is returned instead of printed."""
    path = resolve_state_path(args.state)
    try:
        config, _config_path = load(args, require_complete=False)
    except CommandError as exc:
        return _unknown(args, [line.removeprefix("error: ") for line in exc.lines], collect)
    if not path.is_file():
        return _unknown(
            args, [f"{path}: no state database yet (no sync has run with this state)"], collect
        )
    try:
        report = read_health(config, path, profile=getattr(args, "profile", None))
    except StateError as exc:
        return _unknown(args, [str(exc)], collect)
    if args.prometheus:
        try:
            write_textfile(Path(args.prometheus).expanduser(), prometheus_text(report))
        except OSError as exc:
            say(
                f"error: {args.prometheus}: cannot write the Prometheus file: "
                f"{exc.strerror or exc}",
                file=sys.stderr,
            )
            report.code, report.reasons = (
                UNKNOWN,
                [f"cannot write {args.prometheus}", *report.reasons],
            )
    if collect:
        return report.code, as_json(report)
    if args.json:
        say(dumps_json(as_json(report)))
    else:
        _print(report)
    return report.code, None


def _unknown(
    args: argparse.Namespace, reasons: list[str], collect: bool = False
) -> tuple[int, dict[str, Any] | None]:
    data: dict[str, Any] = {"status": "UNKNOWN", "code": UNKNOWN, "reasons": reasons}
    if collect:
        return UNKNOWN, data
    if args.json:
        say(dumps_json(data))
    else:
        say("bp-tui status: UNKNOWN")
        for reason in reasons:
            say(f"  - {reason}")
    return UNKNOWN, None


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
    took = (
        f", took {report.last_cycle_seconds:.1f} s" if report.last_cycle_seconds is not None else ""
    )
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
        say(f"OAuth grant age:   {_span(report.grant_age_seconds)}")
