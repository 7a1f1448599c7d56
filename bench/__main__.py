"""``python -m bench [--quick] [--only SECTION,...]`` (sections: ``SECTIONS`` below): run, print,
save results.json (sections not run keep their last results there)."""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import time
from pathlib import Path
from typing import Any

from bench import dashboard, economy, engine_cost, history, throughput
from bench.report import table

SECTIONS = (
    "economy",
    "economy_v2",
    "quiet",
    "resend",
    "lost_state",
    "throughput",
    "throughput_v2",
    "resend_v2_limited",
    "engine",
    "dashboard",
    "history",
)
APIS = ("v1", "v2")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes (smoke run, a few seconds)"
    )
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results.json")
    parser.add_argument(
        "--history-size",
        type=int,
        default=None,
        help="notes in the history state (default 1,000,000; 2,000 with --quick)",
    )
    parser.add_argument(
        "--before",
        type=Path,
        default=None,
        metavar="DIR",
        help="history: also measure the code in DIR (e.g. `git archive main | tar -x -C DIR`)",
    )
    parser.add_argument(
        "--before-label", default="", help="history: what DIR is (its commit), for the results"
    )
    parser.add_argument(
        "--before-size", type=int, default=100_000, help="history: notes for the code in DIR"
    )
    args = parser.parse_args(argv)
    only = [s for s in args.only.split(",") if s]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    sizes = [20, 60] if args.quick else [100, 1_000, 10_000]
    kept = (
        json.loads(args.out.read_text()) if args.out.exists() and set(only) != set(SECTIONS) else {}
    )
    results: dict[str, Any] = {
        **{k: v for k, v in kept.items() if k in SECTIONS and k not in only},
        "quick": args.quick,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}",
        "started": time.time(),
    }
    this_run = {"commit": _commit(), "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    results["measured"] = {
        **{k: v for k, v in kept.get("measured", {}).items() if k in SECTIONS and k not in only},
        **{s: this_run for s in only},
    }
    if "economy" in only:
        results["economy"] = asyncio.run(economy.run(sizes))
    if "economy_v2" in only:
        results["economy_v2"] = asyncio.run(economy.run(sizes, ss_api="v2"))
    if "quiet" in only:  # a day of 10,000 labels, then a cycle with nothing new
        results["quiet"] = [
            asyncio.run(economy.quiet_cycle(sizes[0], 600 if args.quick else 10_000, api))
            for api in APIS
        ]
    if "resend" in only:  # 500 of 1,000 imported notes edited in Brightpearl
        notes, edits = (60, 20) if args.quick else (1_000, 500)
        results["resend"] = [asyncio.run(economy.resend(notes, edits, api)) for api in APIS]
    if "lost_state" in only:  # ShipStation holds the orders of 10,000 notes, the state file is lost
        results["lost_state"] = [asyncio.run(economy.lost_state(sizes[-1], api)) for api in APIS]
    if "throughput" in only:
        results["throughput"] = asyncio.run(throughput.run(60 if args.quick else 1_000, new_gons=3))
    if "throughput_v2" in only:  # V2's 200 a minute, another app spending 50 of them
        results["throughput_v2"] = asyncio.run(
            throughput.run(60 if args.quick else 1_000, other_ss=50, new_gons=3, ss_api="v2")
        )
    if "resend_v2_limited" in only:  # 500 PUTs under V2's limit, the window scaled down 10 times
        notes, edits = (60, 20) if args.quick else (1_000, 500)
        results["resend_v2_limited"] = asyncio.run(throughput.resend_v2(notes, edits, scale=10))
    if "engine" in only:
        results["engine"] = engine_cost.run(sizes[-2:])
    if "dashboard" in only:
        results["dashboard"] = dashboard.run(
            60 if args.quick else 10_000, runs=1 if args.quick else 3
        )
    if "history" in only:
        n = args.history_size or (2_000 if args.quick else 1_000_000)
        results["history"] = history.run(
            n,
            before=args.before,
            before_label=args.before_label,
            before_n=args.before_size,
            live=40 if args.quick else 1_000,
            labels=8 if args.quick else 300,
        )
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nwritten: {args.out}")
    return 0


def _commit() -> str:
    """The commit measured (``+changes`` when a tracked file but the results differs from it;
    ``unknown`` outside a git checkout)."""
    import subprocess

    def git(*args: str) -> str:
        try:
            out = subprocess.run(
                ["git", *args], cwd=Path(__file__).parent, capture_output=True, text=True
            )
        except OSError:
            return ""
        return out.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git(
        "status", "--porcelain", "--untracked-files=no", "--", ":/", ":!bench/results.json"
    )
    return commit + ("+changes" if changed and commit != "unknown" else "")


if __name__ == "__main__":
    raise SystemExit(main())
