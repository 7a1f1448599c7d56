"""`bp-tui state stats`: how big the state is, table by table, and on disk."""

from __future__ import annotations

import argparse
import sys

from bp_tui.cli import exitcodes
from bp_tui.cli.common import dumps_json, say
from bp_tui.core.sizes import human_bytes
from bp_tui.errors import StateError
from bp_tui.paths import resolve_state_path
from bp_tui.service.status import state_stats


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("state", help="the local state database")
    sub = p.add_subparsers(dest="state_command", metavar="{stats}", required=True)
    s = sub.add_parser(
        "stats", help="rows per table and the file's size (sync.keep_days bounds them)"
    )
    s.add_argument("--json", action="store_true", help="print the numbers as JSON")
    s.set_defaults(func=cmd_stats)


def cmd_stats(args: argparse.Namespace) -> int:
    path = resolve_state_path(args.state)
    if not path.is_file():
        say(
            f"error: {path}: no state database here yet (a sync or the dashboard creates it)",
            file=sys.stderr,
        )
        return exitcodes.USAGE
    try:
        rows, sizes, stages = state_stats(path)
    except StateError as exc:
        say(f"error: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    total = sizes["database"] + sizes["wal"]
    if args.json:
        say(
            dumps_json(
                {
                    "path": str(path),
                    "bytes": {**sizes, "total": total},
                    "rows": rows,
                    "notes_by_stage": dict(sorted(stages.items())),
                }
            )
        )
        return exitcodes.OK
    say(f"state: {path}")
    say(
        f"size:  {human_bytes(total)} (database {human_bytes(sizes['database'])}, "
        f"-wal {human_bytes(sizes['wal'])}; "
        f"free inside {human_bytes(sizes['free'])})"
    )
    width = max(len(name) for name in rows)
    for name, count in rows.items():
        line = f"  {name:<{width}} {count:>12,}"
        if name == "gons" and stages:
            line += "  (" + ", ".join(f"{stage} {n:,}" for stage, n in sorted(stages.items())) + ")"
        say(line)
    return exitcodes.OK
