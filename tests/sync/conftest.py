from __future__ import annotations

import random
from collections import Counter

import pytest

from bp_tui.apiclient import Backoff
from bp_tui.sandbox.environment import SandboxEnvironment, build_environment

FAST_CLIENTS = {
    "backoff": Backoff(attempts=6, base=0.001, cap=0.01, rng=random.Random(3)),
    "timeout": 5.0,
}


def make_env(tmp_path, **kw) -> SandboxEnvironment:
    kw.setdefault("bp_limit", 100_000)
    kw.setdefault("ss_limit", 100_000)
    kw.setdefault("client_options", dict(FAST_CLIENTS))
    return build_environment(tmp_path / "env", **kw)


SS_APIS = ["v1", "v2"]


@pytest.fixture(params=SS_APIS)
def ss_api(request) -> str:
    """The ShipStation API the environment's connector uses (V2: the same account's V2 face)."""
    return request.param


@pytest.fixture
async def env(tmp_path, ss_api):
    environment = make_env(tmp_path, orders=60, seed=1, ss_api=ss_api)
    yield environment
    await environment.aclose()


def shw_counts(env: SandboxEnvironment) -> Counter:
    return Counter(
        {
            gid: sum(1 for e in g["events"] if e["eventCode"] == "SHW")
            for gid, g in env.bp.gons.items()
        }
    )


def eligible_gon_ids(env: SandboxEnvironment, import_when: str = "printed") -> set[int]:
    return {
        gid
        for gid, g in env.bp.gons.items()
        if g["orderId"] and g["status"][import_when] and not g["status"]["shipped"]
    }


def ss_keys(env: SandboxEnvironment) -> Counter:
    return Counter(o["orderKey"] for o in env.ss.orders.values())
