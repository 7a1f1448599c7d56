"""Sandbox accounts for the benches: exactly N eligible (printed, unshipped) goods-out notes.

The environment is assembled like ``bp_tui.sandbox.environment.build_environment`` but the
sandbox ASGI apps are wrapped in a CPU meter, so a bench can tell the engine's CPU from the
in-process sandbox's.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bp_tui.apiclient import Backoff
from bp_tui.config import save_config
from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox
from bp_tui.sandbox.environment import SandboxEnvironment, in_process, sandbox_config
from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
from bp_tui.sandbox.shipstation_v2.sandbox import ShipStationV2Sandbox
from bp_tui.service.connector import Connector

UNLIMITED = 10**9
# Retries fast, so a bench without rate limits never sleeps on a backoff.
FAST_CLIENTS: dict[str, Any] = {"timeout": 60.0}
SEED = 5
# The seeded account has ~0.87 eligible GONs per order; seed a margin above N.
ORDERS_PER_ELIGIBLE = 1.25

Asgi = Callable[
    [dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]
]


class CpuMeter:
    """Process CPU time spent inside the wrapped ASGI apps (union of overlapping calls)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._active = 0
        self._start = 0.0

    def wrap(self, app: Asgi) -> Asgi:
        async def timed(scope: dict, receive: Any, send: Any) -> None:
            if self._active == 0:
                self._start = time.process_time()
            self._active += 1
            try:
                await app(scope, receive, send)
            finally:
                self._active -= 1
                if self._active == 0:
                    self.seconds += time.process_time() - self._start

        return timed


@dataclass
class BenchAccount:
    env: SandboxEnvironment
    meter: CpuMeter
    eligible: set[int]

    @property
    def connector(self) -> Connector:
        return self.env.connector


def fast_backoff() -> Backoff:
    return Backoff(attempts=6, base=0.001, cap=0.01, rng=random.Random(3))


def build_account(
    workdir: Path,
    eligible: int,
    *,
    bp_limit: int = UNLIMITED,
    ss_limit: int = UNLIMITED,
    window_s: float = 60.0,
    client_options: dict[str, Any] | None = None,
    seed: int = SEED,
    ss_api: str = "v1",
) -> BenchAccount:
    """A seeded account with exactly ``eligible`` printed, unshipped sales-order GONs.

    Every other sales-order GON is shipped, so the engine's search sees the eligible notes
    (plus the account's unshipped transfers) and nothing else. ``ss_api="v2"``: ShipStation
    through API V2 (the V2 client's own limiter kept below the sandbox's limit).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    bp = BrightpearlSandbox(rate_limit=bp_limit, window_s=window_s)
    bp.seed(orders=max(8, math.ceil(eligible * ORDERS_PER_ELIGIBLE) + 8), seed=seed)
    chosen: set[int] = set()
    for gid in sorted(bp.gons):
        gon = bp.gons[gid]
        if not gon["orderId"] or gon["status"]["shipped"]:
            continue
        if len(chosen) < eligible:
            gon["status"]["printed"] = True
            chosen.add(gid)
        else:
            gon["status"]["shipped"] = True
    if len(chosen) < eligible:
        raise RuntimeError(f"seeded only {len(chosen)} eligible GONs, wanted {eligible}")
    ss = (
        ShipStationV2Sandbox(rate_limit=ss_limit, window_s=window_s)
        if ss_api == "v2"
        else ShipStationSandbox(rate_limit=ss_limit, window_s=window_s)
    )
    ss_options = (
        {"limit": max(1, ss_limit * 19 // 20), "window_s": window_s} if ss_api == "v2" else {}
    )
    config = sandbox_config(bp, ss)
    config_path = workdir / "config.toml"
    save_config(config, config_path)
    state_path = workdir / "state.sqlite3"
    meter = CpuMeter()
    options = dict(FAST_CLIENTS) if client_options is None else dict(client_options)
    if client_options is None:
        options["backoff"] = fast_backoff()
    connector = Connector(
        config,
        state_path,
        config_path=config_path,
        bp_transport=in_process(meter.wrap(bp.app)),
        ss_transport=in_process(meter.wrap(ss.app)),
        client_options=options,
        ss_options=ss_options,
    )
    env = SandboxEnvironment(
        bp=bp,
        ss=ss,
        config=config,
        config_path=config_path,
        state_path=state_path,
        connector=connector,
        ss_options=ss_options,
    )
    return BenchAccount(env=env, meter=meter, eligible=chosen)


def search_rows(env: SandboxEnvironment) -> int:
    """Rows the engine's discovery search returns: every unshipped GON (the lookback covers the
    seed)."""
    return sum(1 for g in env.bp.gons.values() if not g["status"]["shipped"])


def products_of(env: SandboxEnvironment, gon_ids: set[int]) -> set[int]:
    return {
        p["productId"]
        for g in gon_ids
        for parts in env.bp.gons[g]["orderRows"].values()
        for p in parts
    }


def orders_of(env: SandboxEnvironment, gon_ids: set[int]) -> set[int]:
    return {env.bp.gons[g]["orderId"] for g in gon_ids}


def serve_account(
    n: int, workdir: Path, *, imported: bool = False, labels: int = 0, keep_days: int | None = None
) -> None:
    """Child process: an account with ``n`` eligible GONs (imported first, state written, when
    ``imported``; ``labels`` of them then labelled), both sandboxes served on 127.0.0.1 until
    terminated. Prints one JSON line: the config (pointing at the server) and the state path.
    ``keep_days`` sets sync.keep_days for the import and in the printed config.

    Measurements that must not count the sandbox's CPU or memory (engine alone, dashboard)
    run their side in the parent, over loopback HTTP, as against the real APIs."""
    import asyncio
    import json

    import uvicorn

    from bp_tui.config import config_from_dict
    from bp_tui.sandbox.server import SS_PREFIX, bind, combined_app

    account = build_account(workdir / "account", n)
    env = account.env
    if keep_days is not None:
        env.config.sync.keep_days = keep_days
    if imported:
        asyncio.run(account.connector.run_cycle())
    asyncio.run(env.connector.aclose())
    if labels:
        env.label(labels)
    sock = bind("127.0.0.1", 0)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    doc = env.config.as_dict()
    doc["brightpearl"]["integration_url"] = f"{base}/public-api/{env.bp.account_code}"
    doc["shipstation"]["base_url"] = base + SS_PREFIX
    config_path = workdir / "served.toml"
    save_config(config_from_dict(doc, source="bench"), config_path)
    print(
        json.dumps(
            {
                "config": str(config_path),
                "state": str(env.state_path),
                "eligible": len(account.eligible),
            }
        ),
        flush=True,
    )
    uvicorn.Server(
        uvicorn.Config(
            combined_app(env.bp.app, env.ss.app),
            lifespan="off",
            log_level="warning",
            access_log=False,
        )
    ).run(sockets=[sock])


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="serve a bench account over loopback HTTP")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("n", type=int)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--imported", action="store_true")
    parser.add_argument("--labels", type=int, default=0)
    parser.add_argument("--keep-days", type=int, default=None)
    args = parser.parse_args()
    serve_account(
        args.n, args.workdir, imported=args.imported, labels=args.labels, keep_days=args.keep_days
    )
