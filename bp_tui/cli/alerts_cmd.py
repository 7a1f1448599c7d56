"""`bp-tui alerts test`: one test message to every Apprise URL of ``[alerts] urls``."""

from __future__ import annotations

import argparse
import sys

from bp_tui.cli import exitcodes
from bp_tui.cli.common import CommandError, fail, load, say
from bp_tui.config import split_alert_urls
from bp_tui.service.connector import Connector


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("alerts", help="alert messages (Apprise URLs in [alerts] urls)")
    sub = p.add_subparsers(dest="alerts_command", metavar="{test}", required=True)
    t = sub.add_parser("test", help="send one test message to each URL and say which worked")
    t.set_defaults(func=cmd_test)


def cmd_test(args: argparse.Namespace) -> int:
    try:
        config, path = load(args, require_complete=False)
    except CommandError as exc:
        return fail(exc)
    if not split_alert_urls(config.alerts.urls):
        say(
            f"error: {path}: alerts.urls is empty: add one or more Apprise URLs "
            "(or set BP_TUI_ALERTS_URLS)",
            file=sys.stderr,
        )
        return exitcodes.USAGE
    results = Connector.test_alerts(config)
    for result in results:  # URLs shown masked: they hold the services' tokens
        say(f"✓ {result.url}: sent" if result.ok else f"✗ {result.url}: failed: {result.detail}")
    worked = sum(r.ok for r in results)
    say(f"{worked} of {len(results)} URLs took the test message")
    return (
        exitcodes.OK
        if worked == len(results)
        else exitcodes.PARTIAL
        if worked
        else exitcodes.UNREACHABLE
    )
