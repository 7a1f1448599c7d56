"""Soak: 1,000 goods-out notes through both sandboxes at 20 % injected faults.

Not collected by pytest (no ``test_`` prefix). Run it with
``.venv/bin/python tests/soak/soak.py [--gons 1000] [--rate 0.2] [--seed 1]``; it prints the
tally and exits 1 unless duplicates = 0 and lost = 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bp_tui.apiclient import Backoff  # noqa: E402
from bp_tui.sandbox.environment import build_environment  # noqa: E402
from bp_tui.sandbox.faults import BRIGHTPEARL, SHIPSTATION, FaultPlan, attach  # noqa: E402
from tests.reliability.helpers import ChaosEnv, cycle, eligible_gon_ids, tally  # noqa: E402


def build(workdir: Path, gons: int, rate: float, seed: int, timeout: float) -> ChaosEnv:
    options = {
        "backoff": Backoff(attempts=4, base=0.001, cap=0.005, rng=random.Random(seed)),
        "timeout": timeout,
    }
    env = build_environment(
        workdir,
        orders=0,
        bp_limit=1_000_000,
        ss_limit=1_000_000,
        window_s=1.0,
        client_options=options,
    )
    env.bp.seed(orders=gons, seed=seed)
    while len(env.bp.gons) > gons:  # trim to exactly ``gons`` notes
        env.bp.gons.pop(max(env.bp.gons))
    plan = dict(rate=rate, slow_s=timeout * 2, throttle_s=0.02)
    return ChaosEnv(
        env,
        attach(env.bp, FaultPlan(seed=seed * 2 + 1, **plan), BRIGHTPEARL),
        attach(env.ss, FaultPlan(seed=seed * 2 + 2, **plan), SHIPSTATION),
        client_options=options,
    )


async def soak(gons: int, rate: float, seed: int, timeout: float) -> dict:
    rng = random.Random(seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bp-tui-soak-") as tmp:
        ce = build(Path(tmp), gons, rate, seed, timeout)
        env = ce.env
        eligible = eligible_gon_ids(env)
        conn = ce.connector()
        cycles = 0
        try:
            while env.open_orders() or cycles < 3:  # packers label while syncs run, under faults
                env.label(rng.randint(50, 250))
                await cycle(ce, conn)
                cycles += 1
            for _ in range(60):  # converge: everything labelled confirmed, nothing left open
                counts = tally(env, conn.store, eligible)
                if counts["lost"] == 0 and not conn.store.audit.open_intents():
                    break
                await cycle(ce, conn)
                cycles += 1
            counts = tally(env, conn.store, eligible)
            counts.update(
                gons=len(env.bp.gons),
                cycles=cycles,
                cycle_errors=len(ce.errors),
                faults_injected=sum(ce.bp_chaos.injected.values())
                + sum(ce.ss_chaos.injected.values()),
                faults_by_kind=dict(ce.bp_chaos.injected + ce.ss_chaos.injected),
                throttle_violations=ce.violations,
                open_intents=len(conn.store.audit.open_intents()),
                seconds=round(time.monotonic() - started, 1),
            )
            return counts
        finally:
            await conn.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gons", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--timeout", type=float, default=0.5, help="client timeout; slow answers take twice this"
    )
    args = parser.parse_args()
    counts = asyncio.run(soak(args.gons, args.rate, args.seed, args.timeout))
    print(json.dumps(counts, indent=2))
    ok = counts["duplicates"] == 0 and counts["lost"] == 0 and counts["throttle_violations"] == 0
    print(
        f"imported {counts['imported']}, confirmed "
        f"{counts['confirmed']}, duplicates {counts['duplicates']}, "
        f"lost {counts['lost']}: {'OK' if ok else 'FAILED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
