"""`bp-tui status` at a million notes: ``python -m bench.status [--notes N]``.

Builds (once, cached in ``$TMPDIR/bp-tui-bench-status``, keyed by size and schema version) a
state of N notes (90% confirmed, the rest spread over the open stages, ages over 100 days),
50,000 finished runs and 200 incidents, through the store's schema and its stage-count
triggers. Then measures, with a warm page cache: ``read_health`` in this process
(median and worst of 30), and the whole command, ``python -m bp_tui status`` (process start to
exit, median of 5), both against the 200 ms target.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / "bp-tui-bench-status"
STAGES = [
    ("confirmed", 900),
    ("imported", 40),
    ("ready", 20),
    ("shipped", 15),
    ("failed", 10),
    ("attention", 5),
    ("cancelled", 10),
]


def build(n: int, path: Path) -> None:
    from bp_tui.core.records import iso
    from bp_tui.state import StateStore

    rng = random.Random(7)
    now = datetime.now(UTC)
    weights = [w for _s, w in STAGES]
    names = [s for s, _w in STAGES]
    store = StateStore(path)
    with (
        store.transaction() as db
    ):  # indexes and count triggers after the rows: minutes, not an hour
        later = [
            r[0]
            for r in db.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'gons' AND sql IS NOT "
                "NULL AND type IN ('index', 'trigger')"
            )
        ]
        for kind, name in db.execute(
            "SELECT type, name FROM sqlite_master WHERE tbl_name = 'gons' AND sql IS NOT "
            "NULL AND type IN ('index', 'trigger')"
        ).fetchall():
            db.execute(f"DROP {kind.upper()} {name}")

        def rows():  # type: ignore[no-untyped-def]
            for i in range(1, n + 1):
                at = iso(now - timedelta(minutes=rng.randrange(0, 144_000)))
                yield (
                    10_000_000 + i,
                    20_000_000 + i,
                    rng.choices(names, weights)[0],
                    f"PO-{i}",
                    f"Customer {i % 5000}",
                    f"1Z{i:010d}",
                    at,
                    at,
                )

        db.executemany(
            "INSERT INTO gons (gon_id, order_id, stage, reference, customer, tracking, first_seen, "
            "updated_at) VALUES (?,?,?,?,?,?,?,?)",
            rows(),
        )
        for sql in later:
            db.execute(sql)
        db.execute("DELETE FROM stage_counts")
        db.execute(
            "INSERT INTO stage_counts (stage, n) SELECT stage, COUNT(*) FROM gons GROUP BY stage"
        )
        summary = json.dumps({"result": "ok", "duration_s": 1.2, "imported": 3, "confirmed": 2})
        db.executemany(
            "INSERT INTO runs (started_at, finished_at, mode, pid, summary) VALUES (?,?,?,?,?)",
            [
                (
                    iso(now - timedelta(minutes=2 * k)),
                    iso(now - timedelta(minutes=2 * k)),
                    "full",
                    1,
                    summary,
                )
                for k in range(50_000, 0, -1)
            ],
        )
        for k in range(200):
            db.execute(
                "INSERT INTO incidents (key, trigger, subject, title, "
                "first_seen, opened_at, resolved_at) "
                "VALUES (?, 'stuck', 'failed', 't', ?, ?, ?)",
                ("stuck:failed", iso(now), iso(now), iso(now) if k < 199 else None),
            )
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


def cached(n: int) -> Path:
    from bp_tui.state.schema import SCHEMA_VERSION

    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"status-{n}-v{SCHEMA_VERSION}.sqlite3"
    if not path.exists():
        tmp = path.with_suffix(".building")
        for leftover in CACHE.glob(tmp.name + "*"):
            leftover.unlink()
        started = time.monotonic()
        build(n, tmp)
        os.replace(tmp, path)
        print(f"built {n:,} notes in {time.monotonic() - started:.0f} s: {path}", file=sys.stderr)
    return path


def measure(n: int) -> dict[str, object]:
    from bp_tui.config import config_from_dict, save_config
    from bp_tui.service.status import read_health

    state = cached(n)
    config = config_from_dict({"brightpearl": {"account_code": "bench"}})
    times = []
    for _ in range(31):
        started = time.perf_counter()
        report = read_health(config, state)
        times.append((time.perf_counter() - started) * 1000)
    times = times[1:]  # the first warms the page cache
    with tempfile.TemporaryDirectory() as folder:
        config_path = Path(folder) / "config.toml"
        save_config(config, config_path)
        whole = []
        for _ in range(6):
            started = time.perf_counter()
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bp_tui",
                    "--config",
                    str(config_path),
                    "--state",
                    str(state),
                    "status",
                    "--json",
                ],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            whole.append((time.perf_counter() - started) * 1000)
        whole = whole[1:]
    data = json.loads(proc.stdout)
    assert sum(data["notes_by_stage"].values()) == n, data
    return {
        "notes": n,
        "read_ms_median": round(statistics.median(times), 1),
        "read_ms_max": round(max(times), 1),
        "command_ms_median": round(statistics.median(whole), 1),
        "status": report.word,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.status")
    parser.add_argument("--notes", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    result = measure(args.notes)
    print(json.dumps(result))
    ok = result["read_ms_max"] <= 200
    print(
        f"| `bp-tui status`, {args.notes:,} notes in the state | "
        f"read {result['read_ms_median']} ms median, "
        f"{result['read_ms_max']} ms worst of 30; whole command (process start to exit) "
        f"{result['command_ms_median']} ms | <= 200 ms | {'ok' if ok else 'over'} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
