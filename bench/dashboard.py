"""Dashboard: time to first frame of `bp-tui demo`, key latency and memory with 10,000 queue rows.

Each measurement runs in a fresh subprocess (``python -m bench.dashboard first-frame|queue N``)
with Textual's headless driver (``App.run_test``). Headless Textual still lays out and renders
every frame (the compositor builds the screen update); only the write to a terminal is skipped.
A "frame" is a call of ``App._display`` with a screen update, recorded by a wrapper.

- first frame: from just before the subprocess is started (parent clock) to the first frame
  of the queue, for the demo exactly as `bp-tui demo` builds it (seeded sandbox, real limits).
  It includes interpreter start-up, imports and seeding.
- key latency: 10,000 GONs imported into the state; then a sync runs (labels on 2,000 orders,
  so the confirm step writes back for a while and the queue reloads live); during it, "down"
  is pressed every 60 ms; latency = press to the next frame showing the moved cursor.
- memory: RSS of the process after the queue shows 10,000 rows, minus RSS before the app
  started (the sandbox and state are already in memory then).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Labels waiting to be confirmed when the measured sync starts: enough to keep it running
# (about three writes each) well past the key presses.
LABELS = 300


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _record_frames(app: Any) -> list[float]:
    frames: list[float] = []
    original = app._display

    def display(screen: Any, renderable: Any) -> None:
        original(screen, renderable)
        if renderable is not None:
            frames.append(time.perf_counter())

    app._display = display
    return frames


async def first_frame() -> dict[str, Any]:
    from bp_tui.cli.dashboard_cmd import demo_connector_factory
    from bp_tui.sandbox.environment import build_environment
    from bp_tui.ui import BpApp

    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        env = build_environment(Path(tmp), orders=120)
        app = BpApp(
            config=env.config,
            config_path=env.config_path,
            state_path=env.state_path,
            connector=env.connector,
            connector_factory=demo_connector_factory(env),
            demo=env,
        )
        frames = _record_frames(app)
        async with app.run_test(size=(120, 36)) as pilot:
            while not frames:
                await asyncio.sleep(0.001)
            at = time.time() - (time.perf_counter() - frames[0])
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
    return {"first_frame_epoch": at}


async def queue(n: int, presses: int = 25) -> dict[str, Any]:
    from bp_tui.config import load_config
    from bp_tui.service.connector import Connector
    from bp_tui.ui import BpApp

    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        # The APIs answer from another process over loopback HTTP, as real ones answer from
        # elsewhere: the sandbox's CPU must not be counted as the dashboard's.
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.accounts",
                "serve",
                str(n),
                tmp,
                "--imported",
                "--labels",
                str(min(LABELS, n // 5 or 1)),
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        try:
            ready = json.loads(server.stdout.readline())
            config = load_config(Path(ready["config"]), env={})
            connector = Connector(config, Path(ready["state"]), config_path=Path(ready["config"]))
            rss_before = _rss_mb()
            app = BpApp(
                config=config,
                config_path=Path(ready["config"]),
                state_path=Path(ready["state"]),
                connector=connector,
                auto_sync=False,
                progress_linger_seconds=0,
            )
            frames = _record_frames(app)
            latencies: list[float] = []
            during_sync = 0
            async with app.run_test(size=(120, 36)) as pilot:
                table = app.screen.query_one("#queue-table")
                t0 = time.perf_counter()
                while table.row_count < len(connector.queue_rows()):
                    await asyncio.sleep(0.01)
                load_s = time.perf_counter() - t0
                rss_loaded = _rss_mb()
                rows = table.row_count
                if not app.start_sync("sync"):
                    raise RuntimeError("the dashboard did not start a sync")
                await asyncio.sleep(0.05)
                for _ in range(presses):
                    await asyncio.sleep(0.06)
                    running = any(w.name == "sync" and not w.is_finished for w in app.workers)
                    before = table.cursor_row
                    start = time.perf_counter()
                    await pilot.press("down")
                    while not (table.cursor_row != before and frames and frames[-1] > start):
                        await asyncio.sleep(0.001)
                        if time.perf_counter() - start > 10:
                            break
                    latencies.append(frames[-1] - start)
                    during_sync += running
                await app.workers.wait_for_complete()
                await pilot.pause()
                summary = app.status.last_summary
        finally:
            server.terminate()
            server.wait(timeout=10)
    ms = sorted(x * 1000 for x in latencies)
    return {
        "rows": rows,
        "table_fill_s": round(load_s, 2),
        "presses": len(ms),
        "presses_during_sync": during_sync,
        "key_latency_ms": {
            "median": round(statistics.median(ms), 1),
            "p95": round(ms[int(0.95 * (len(ms) - 1))], 1),
            "max": round(ms[-1], 1),
        },
        "sync": {
            "confirmed": summary.confirmed if summary else None,
            "duration_s": round(summary.duration_s, 2) if summary else None,
        },
        "rss_before_app_mb": round(rss_before, 1),
        "rss_with_rows_mb": round(rss_loaded, 1),
        "app_rows_mb": round(rss_loaded - rss_before, 1),
    }


def _child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.dashboard", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(n: int = 10_000, runs: int = 3) -> dict[str, Any]:
    firsts = []
    for _ in range(runs):
        started = time.time()
        firsts.append(_child(["first-frame"])["first_frame_epoch"] - started)
    return {
        "first_frame_s": {
            "median": round(statistics.median(firsts), 2),
            "max": round(max(firsts), 2),
        },
        "queue": _child(["queue", str(n)]),
    }


if __name__ == "__main__":
    what = sys.argv[1]
    result = asyncio.run(first_frame() if what == "first-frame" else queue(int(sys.argv[2])))
    print(json.dumps(result))
