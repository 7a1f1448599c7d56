"""`bp-tui sync --once | --watch`: the headless import + confirm cycle."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sqlite3
import sys

from bp_tui.cli import exitcodes
from bp_tui.cli.common import CommandError, fail, open_connector, say
from bp_tui.core.types import CycleSummary, Progress
from bp_tui.errors import (
    ApiAuthError,
    ApiProblem,
    ApiUnavailable,
    StateError,
    StopRequested,
    SyncLocked,
)
from bp_tui.service.connector import Connector


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sync", help="import printed goods-out notes and confirm shipments, headless"
    )
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--once", action="store_true", help="one cycle, then exit")
    when.add_argument(
        "--watch", action="store_true", help="a cycle every sync.interval_seconds until stopped"
    )
    only = p.add_mutually_exclusive_group()
    only.add_argument("--import-only", action="store_true", help="only import into ShipStation")
    only.add_argument(
        "--confirm-only", action="store_true", help="only confirm shipments back to Brightpearl"
    )
    p.add_argument(
        "--dry-run", action="store_true", help="write to neither API; report what would be written"
    )
    p.add_argument("--json", action="store_true", help="print one JSON summary per cycle on stdout")
    p.add_argument(
        "--wait", action="store_true", help="wait for another running sync instead of exiting"
    )
    p.add_argument(
        "--all-profiles",
        action="store_true",
        help="every profile's cycles in this one process, each with its own lock and limits",
    )
    p.add_argument(
        "--confirm-cancel",
        action="store_true",
        help="let the (first) cycle cancel the ShipStation orders of notes deleted in Brightpearl "
        "even when they are more than sync.max_cancels, or every open order",
    )
    p.set_defaults(func=cmd_sync)


class ProgressPrinter:
    """One line per step on stderr; quiet when stderr is not a terminal and --json is set."""

    def __init__(self, enabled: bool, prefix: str = "") -> None:
        self.enabled = enabled
        self.prefix = prefix  # "[profile] " when several profiles print
        self.last_step = ""

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        if p.step != self.last_step or p.done == p.total:
            self.last_step = p.step
            text = f"{p.step:<10} {p.done}/{p.total}"
            if p.message:
                text += f"  {p.message}"
            say(self.prefix + text, file=sys.stderr, flush=True)


def describe(summary: CycleSummary) -> str:
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(summary.skipped.items())) or "none"
    head = "dry run: " if summary.dry_run else ""
    return (
        f"{head}imported {summary.imported}, updated {summary.updated}, "
        f"confirmed {summary.confirmed}, "
        f"failed {summary.failed} (failing now {summary.failing}), "
        f"cancelled {summary.cancelled}, attention {summary.attention}; "
        + (f"removed {summary.removed} older than sync.keep_days; " if summary.removed else "")
        + f"skipped: {skipped}; API calls: Brightpearl {summary.api_calls.get('brightpearl', 0)}, "
        f"ShipStation {summary.api_calls.get('shipstation', 0)}; {summary.duration_s:.1f} s"
    )


async def one_cycle(
    conn: Connector, args: argparse.Namespace, printer: ProgressPrinter, profile: str | None = None
) -> tuple[int, CycleSummary]:
    summary = await conn.run_cycle(
        import_only=args.import_only,
        confirm_only=args.confirm_only,
        dry_run=args.dry_run,
        on_progress=printer,
        wait=args.wait,
        confirm_cancel=getattr(args, "confirm_cancel", False),
    )
    head = f"[{profile}] " if profile else ""
    args.confirm_cancel = False  # a confirmation is for one cycle, never for every --watch cycle
    if args.json:
        doc = summary.as_json() if profile is None else {"profile": profile, **summary.as_json()}
        say(json.dumps(doc), flush=True)  # ASCII only: every control character escaped
    else:
        say(head + describe(summary), flush=True)
        for line in summary.errors[:50]:
            say(f"{head}  failed: {line}", flush=True, line=True)
        for line in summary.would_write[:200]:
            say(f"{head}  would write: {line}", flush=True)
    # 1 while any note stays failed, also between its retries: a check does not flap 1, 0, 1.
    return (exitcodes.PARTIAL if summary.failed or summary.failing else exitcodes.OK), summary


async def run(conn: Connector, args: argparse.Namespace) -> int:
    printer = ProgressPrinter(enabled=sys.stderr.isatty() or not args.json)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def request_stop() -> None:
        conn.stop_requested = True
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, request_stop)
    code = exitcodes.OK
    try:
        while True:
            code, _ = await one_cycle(conn, args, printer)
            if not args.watch or stop.is_set():
                break
            try:
                await asyncio.wait_for(stop.wait(), timeout=conn.config.sync.interval_seconds)
            except TimeoutError:
                pass
            if stop.is_set():
                break
    except StopRequested:
        say(
            "stopped between two writes; the next run continues where this one stopped",
            file=sys.stderr,
        )
        code = exitcodes.OK
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await conn.aclose()
    return code


def cmd_sync(args: argparse.Namespace) -> int:
    try:
        conn = open_connector(args)
    except CommandError as exc:
        return fail(exc)
    try:
        return asyncio.run(run(conn, args))
    except SyncLocked as exc:
        say(str(exc), file=sys.stderr)
        return exitcodes.PARTIAL
    except (sqlite3.OperationalError, StateError) as exc:  # a full disk or a lost folder mid-sync
        say(
            f"error: {conn.state_path}: the state could not be written ({exc}); "
            "free some space or fix the folder's permissions, then run again "
            "(open writes are settled on the next run)",
            file=sys.stderr,
        )
        return exitcodes.USAGE
    except (ApiAuthError, ApiUnavailable) as exc:
        say(f"error: {exc.describe()}", file=sys.stderr, line=True)
        return exitcodes.UNREACHABLE
    except ApiProblem as exc:
        say(f"error: {exc.describe()}", file=sys.stderr, line=True)
        return exitcodes.PARTIAL
