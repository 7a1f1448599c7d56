"""`bp-tui doctor` and `bp-tui diagnose ID`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import asdict

from bp_tui.cli import exitcodes
from bp_tui.cli.common import CommandError, dumps_json, fail, open_connector, positive_id, say
from bp_tui.core.types import CheckResult
from bp_tui.errors import ApiAuthError, ApiProblem, ApiUnavailable
from bp_tui.paths import resolve_config_path, resolve_state_path
from bp_tui.service.setup import BundleError, check_bundle_target


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "doctor", help="check the config and both connections; exit 0 only if all pass"
    )
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.set_defaults(func=cmd_doctor)
    d = subparsers.add_parser(
        "diagnose", help="why a goods-out note (or order) is or is not in ShipStation"
    )
    d.add_argument("id", type=positive_id, help="a goods-out note id or a Brightpearl order id")
    d.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    d.set_defaults(func=cmd_diagnose)
    b = subparsers.add_parser(
        "bundle",
        help="write a support bundle (versions, config without secrets, "
        "recent audit log and errors) for whoever helps you",
    )
    b.add_argument(
        "path",
        nargs="?",
        default=".",
        help="an existing folder (a new dated file goes in it) "
        "or a new file name (default: this folder)",
    )
    b.add_argument(
        "--force",
        action="store_true",
        help="replace PATH if it is a previous bp-tui support bundle",
    )
    b.set_defaults(func=cmd_bundle)


def cmd_doctor(args: argparse.Namespace) -> int:
    try:
        conn = open_connector(args, require_complete=False)
    except CommandError as exc:
        return fail(exc)

    def show(check: CheckResult) -> None:
        if args.json:
            return
        mark = "✗ FAIL" if not check.ok else "! warn" if check.warning else "✓ ok  "
        say(f"{mark} {check.title}: {check.detail}", line=True)
        if (not check.ok or check.warning) and check.fix:
            say(f"       fix: {check.fix}", line=True)

    async def go() -> list[CheckResult]:
        try:
            return await conn.doctor(show)
        finally:
            await conn.aclose()

    checks = asyncio.run(go())
    if args.json:
        say(dumps_json({"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}))
    if all(c.ok for c in checks):
        return exitcodes.OK
    unreachable = {"bp_reach", "bp_auth", "bp_oauth_token", "bp_oauth_refresh", "ss_auth"}
    if any(not c.ok and c.id in unreachable for c in checks):
        return exitcodes.UNREACHABLE
    if any(not c.ok and c.id == "config" for c in checks):
        return exitcodes.USAGE
    return exitcodes.PARTIAL


def cmd_diagnose(args: argparse.Namespace) -> int:
    try:
        conn = open_connector(args, require_complete=False)
    except CommandError as exc:
        return fail(exc)

    async def go():
        try:
            return await conn.diagnose(args.id)
        finally:
            await conn.aclose()

    try:
        results = asyncio.run(go())
    except (ApiAuthError, ApiUnavailable) as exc:
        say(f"error: {exc.describe()}", file=sys.stderr, line=True)
        return exitcodes.UNREACHABLE
    except ApiProblem as exc:
        say(f"error: {exc.describe()}", file=sys.stderr, line=True)
        return exitcodes.PARTIAL
    if args.json:
        say(dumps_json([asdict(r) for r in results], default=str))
    else:
        for r in results:
            say(r.verdict, line=True)
            if r.fix:
                say(f"  fix: {r.fix}", line=True)
    problem_stages = {"failed", "attention"}
    return exitcodes.PARTIAL if any(r.stage in problem_stages for r in results) else exitcodes.OK


def cmd_bundle(args: argparse.Namespace) -> int:
    """Headless twin of the troubleshooting screen's "export support bundle"; reads only local
    state.

    The target is checked before anything is opened, so a refused one creates nothing."""
    try:
        check_bundle_target(
            args.path,
            config_path=resolve_config_path(args.config),
            state_path=resolve_state_path(args.state),
            force=args.force,
        )
    except BundleError as exc:
        say(f"error: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    try:
        conn = open_connector(args, require_complete=False)
    except CommandError as exc:
        return fail(exc)
    try:
        path = conn.export_support_bundle(args.path, force=args.force)
    except BundleError as exc:
        say(f"error: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    finally:
        asyncio.run(conn.aclose())
    say(path)
    return exitcodes.OK
