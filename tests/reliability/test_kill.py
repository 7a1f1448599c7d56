"""`bp-tui sync --watch` killed at random points, restarted: still exactly once.

Also: SIGINT/SIGTERM stop cleanly between two writes (exit 0, no unsettled write).
"""

from __future__ import annotations

import random
import signal
import time

import pytest

from bp_tui.state import StateStore

from .served import Served, wait_for_line


def kill_during_cycle(
    served: Served, rng: random.Random, after: tuple[str, ...], window: float
) -> None:
    proc = served.start_sync("--watch")
    try:
        wait_for_line(proc, after)
        time.sleep(rng.uniform(0.0, window))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def check_exactly_once(served: Served, eligible: list[int]) -> None:
    tally = served.tally()
    assert (
        tally["duplicate_orders"] == []
        and tally["duplicate_shw"] == []
        and tally["duplicate_notes"] == []
    )
    assert tally["labelled_unconfirmed"] == [], tally
    store = StateStore(served.state)
    try:
        assert not store.audit.open_intents()
        failed = {g for g, r in store.gons(stages=("failed",)).items() if r.reason}
        keys = set(tally["order_keys"])
        for gid in eligible:
            assert f"bp-demo-gon-{gid}" in keys or gid in failed, gid
        for row in store.queue.records():
            assert row.reason or row.stage not in ("failed", "attention", "waiting"), row
    finally:
        store.close()


API_FLAGS = {"v1": [], "v2": ["--ss-api", "v2"]}


@pytest.mark.parametrize(
    ("ss_api", "seed"), [("v1", n) for n in range(20)] + [("v2", n) for n in range(10)]
)
def test_sigkill_at_random_points_then_restart_is_exactly_once(tmp_path, ss_api, seed):
    rng = random.Random(seed)
    served = Served(tmp_path, orders=10, seed=seed + 1, extra=API_FLAGS[ss_api])
    try:
        eligible = served.tally()["eligible"]
        kill_during_cycle(served, rng, ("discover", "recover"), 0.25)  # while importing
        served.label(rng.randint(2, 5))
        kill_during_cycle(
            served, rng, ("discover", "recover", "shipments"), 0.5
        )  # while confirming
        served.label(rng.randint(1, 3))
        for _ in range(3):  # the restarted process finishes the work
            final = served.run("sync", "--once")
            if final.returncode in (0, 1) and not served.tally()["labelled_unconfirmed"]:
                break
        assert final.returncode in (0, 1), final.stderr
        check_exactly_once(served, eligible)
    finally:
        served.close()


@pytest.mark.parametrize("ss_api", ["v1", "v2"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_stop_between_writes(tmp_path, sig, ss_api):
    served = Served(tmp_path, orders=16, seed=3, extra=API_FLAGS[ss_api])
    try:
        assert served.run("sync", "--once").returncode == 1  # imports; the seeded bad notes fail
        labels = served.label(8)
        proc = served.start_sync("--watch")
        wait_for_line(proc, ("confirm",))
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "stopped between two writes" in err
        store = StateStore(served.state)
        try:
            assert not store.audit.open_intents()
            confirmed = store.gons(stages=("confirmed",))
            assert len(confirmed) < len(labels)  # it really stopped part-way
        finally:
            store.close()
        assert served.run("sync", "--once").returncode in (0, 1)
        check_exactly_once(served, [])
        assert not served.tally()["labelled_unconfirmed"]
    finally:
        served.close()
