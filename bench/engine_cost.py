"""Engine cost: CPU seconds and memory of one cycle over N eligible GONs, rate limits off.

Runs in a fresh subprocess per measurement (``python -m bench.engine_cost N [--trace]``) so
peak RSS belongs to that cycle alone. The sandbox serves in the same process: its CPU is
measured separately (``CpuMeter`` around its ASGI apps) and subtracted to give the engine's
share (the engine's share includes HTTP client, JSON decoding, SQLite and the mapping).
``--trace`` adds a tracemalloc run: the peak of Python allocations made during the cycle.
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.accounts import build_account


def _rss_mb(field: str = "VmRSS") -> float:
    """Current (VmRSS) or peak (VmHWM) resident memory of this process.

    Not ru_maxrss: Linux carries it over from the parent through fork + exec.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def one_cycle(n: int, trace: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        t = time.perf_counter()
        account = build_account(Path(tmp), n)
        seed_s = time.perf_counter() - t
        # The seeded account stands in for remote servers: keep its objects out of the engine's
        # garbage collections (without this, gen-2 collections scanning the sandbox dominate).
        gc.collect()
        gc.freeze()
        rss_before = _rss_mb()
        if trace:
            tracemalloc.start()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        summary = await account.connector.run_cycle()
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
        peak_traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
        if trace:
            tracemalloc.stop()
        maxrss = _rss_mb("VmHWM")
        await account.env.aclose()
    return {
        "eligible": n,
        "imported": summary.imported,
        "seed_s": round(seed_s, 2),
        "cpu_s": round(cpu, 3),
        "sandbox_cpu_s": round(account.meter.seconds, 3),
        "engine_cpu_s": round(cpu - account.meter.seconds, 3),
        "wall_s": round(wall, 3),
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(maxrss, 1),
        "cycle_rss_growth_mb": round(maxrss - rss_before, 1),
        "traced_peak_mb": None if peak_traced is None else round(peak_traced, 1),
        "api_calls": dict(summary.api_calls),
    }


async def engine_alone(n: int) -> dict[str, Any]:
    """One cycle with the sandbox in another process (loopback HTTP): this process's CPU and
    peak memory are the engine's alone, HTTP client included, as against the real APIs."""
    from bp_tui.config import load_config
    from bp_tui.service.connector import Connector

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="bench-engine-remote-") as tmp:
        server = subprocess.Popen(
            [sys.executable, "-m", "bench.accounts", "serve", str(n), tmp],
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
        )
        try:
            ready = json.loads(server.stdout.readline())
            config = load_config(Path(ready["config"]), env={})
            connector = Connector(config, Path(ready["state"]))
            rss_before = _rss_mb()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            summary = await connector.run_cycle()
            cpu = time.process_time() - cpu0
            wall = time.perf_counter() - wall0
            peak = _rss_mb("VmHWM")
            await connector.aclose()
        finally:
            server.terminate()
            server.wait(timeout=10)
    return {
        "eligible": n,
        "imported": summary.imported,
        "engine_cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(peak, 1),
        "api_calls": dict(summary.api_calls),
    }


def measure(n: int, *, trace: bool = False, alone: bool = False) -> dict[str, Any]:
    """One cycle in a subprocess; returns its numbers."""
    cmd = (
        [sys.executable, "-m", "bench.engine_cost", str(n)]
        + (["--trace"] if trace else [])
        + (["--alone"] if alone else [])
    )
    out = subprocess.run(
        cmd, check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(sizes: list[int]) -> dict[str, Any]:
    rows = [measure(n) for n in sizes]
    traced = measure(sizes[-1], trace=True)
    alone = [measure(n, alone=True) for n in (sizes[0], sizes[-1])]
    small, big = rows[0], rows[-1]
    growth = {
        "size_ratio": round(big["eligible"] / small["eligible"], 2),
        "cpu_ratio": round(big["cpu_s"] / small["cpu_s"], 2) if small["cpu_s"] else None,
        "engine_cpu_ratio": round(big["engine_cpu_s"] / small["engine_cpu_s"], 2)
        if small["engine_cpu_s"]
        else None,
    }
    return {"cycles": rows, "traced": traced, "growth": growth, "alone": alone}


if __name__ == "__main__":
    size = int(sys.argv[1])
    if "--alone" in sys.argv[2:]:
        print(json.dumps(asyncio.run(engine_alone(size))))
    else:
        print(json.dumps(asyncio.run(one_cycle(size, "--trace" in sys.argv[2:]))))
