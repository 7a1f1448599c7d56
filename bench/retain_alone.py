"""The retention pass alone: ``python -m bench.retain_alone [--code DIR] [--n N]``.

On a fresh copy of the history bench's cached state of N notes (built by ``bench/history.py``
if not cached), runs what the Retain step's worker thread runs (``retain.retire`` on
``StateStore.worker()``) with ``keep_days = 90`` counted from when the file was built, so
exactly the oldest tenth is due; prints one JSON line: wall and CPU seconds of the whole pass
and of each part (notes, audit rows, giving pages back, the closing checkpoint), and the
process's peak resident memory. No dashboard, no sandbox: the number to compare variants of the
deletions (the dashboard's own is the history section's retention row).

``--code DIR`` runs another checkout's code (e.g. ``git archive <commit> | tar -x -C DIR``) on
the same cached file, for a before/after at the same hour. Note that the copy of the 2.7 GB file
is written just before the pass: its write-back to disk can slow the pass's checkpoints.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="the bp-tui checkout to run")
    parser.add_argument(
        "--n", type=int, default=1_000_000, help="notes in the state (the history bench's size)"
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.code.resolve()))
    from bench.history import KEEP_DAYS, cached
    from bp_tui.state import StateStore

    # the cache is keyed by this checkout's schema version, as the history bench does
    from bp_tui.state.schema import SCHEMA_VERSION
    from bp_tui.sync import retain

    source, info = cached(args.n, ROOT, f"v{SCHEMA_VERSION}")
    before = datetime.fromisoformat(info["built_at"]) - timedelta(days=KEEP_DAYS)
    with tempfile.TemporaryDirectory(prefix="bench-retain-") as tmp:
        state = Path(tmp) / "state.sqlite3"
        shutil.copyfile(source, state)
        main_store = StateStore(state)
        store = main_store.worker()
        marks = [(time.perf_counter(), time.process_time())]
        removed = 0
        while notes := store.retention.retire_batch(before, retain.BATCH):
            removed += notes
        marks.append((time.perf_counter(), time.process_time()))
        while store.retention.prune_audit(before, retain.AUDIT_BATCH):
            pass
        marks.append((time.perf_counter(), time.process_time()))
        while store.retention.incremental_vacuum(retain.VACUUM_PAGES):
            pass
        marks.append((time.perf_counter(), time.process_time()))
        store.close()
        marks.append((time.perf_counter(), time.process_time()))
        main_store.close()

    def part(i: int) -> dict[str, float]:
        return {
            "wall_s": round(marks[i + 1][0] - marks[i][0], 2),
            "cpu_s": round(marks[i + 1][1] - marks[i][1], 2),
        }

    print(
        json.dumps(
            {
                "code": str(args.code),
                "state_notes": args.n,
                "removed": removed,
                "batch": retain.BATCH,
                "wall_s": round(marks[-1][0] - marks[0][0], 2),
                "cpu_s": round(marks[-1][1] - marks[0][1], 2),
                **{name: part(i) for i, name in enumerate(("notes", "audit", "vacuum", "close"))},
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "load": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
