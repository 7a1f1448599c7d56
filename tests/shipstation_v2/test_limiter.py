"""The V2 client-side limiter: below 200/min over every process using the key, and a 429's
Retry-After blocking them all."""

from __future__ import annotations

import asyncio
import json
import os
import stat

from bp_tui.shipstation.v2.limiter import CLIENT_LIMIT, SharedWindowGate, limiter_path


class Clock:
    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def gate(path, clock: Clock, **kw) -> SharedWindowGate:
    return SharedWindowGate(path, clock=clock, sleep=clock.sleep, **kw)


def test_the_default_stays_below_v2s_200_a_minute():
    assert CLIENT_LIMIT < 200 and SharedWindowGate(None).window_s == 60.0


async def test_two_processes_on_one_key_share_the_window(tmp_path):
    clock = Clock()
    path = limiter_path(tmp_path, "the-v2-key")
    dashboard, headless = gate(path, clock, limit=10), gate(path, clock, limit=10)
    for _ in range(6):
        await dashboard.acquire()
    for _ in range(4):
        await headless.acquire()
    assert clock.slept == [] and dashboard.used() == headless.used() == 10
    assert headless.remaining == 0
    await dashboard.acquire()  # the 11th in the window waits for the oldest slot to leave it
    assert len(clock.slept) == 1 and 60 <= clock.slept[0] <= 61
    assert dashboard.used() == 1


async def test_no_window_of_60_seconds_ever_holds_more_than_the_limit(tmp_path):
    clock = Clock()
    path = tmp_path / "rl"
    gates = [gate(path, clock, limit=7), gate(path, clock, limit=7)]
    sent: list[float] = []
    for n in range(40):
        await gates[n % 2].acquire()
        sent.append(clock.now)
        clock.now += 1.7
    for start in sent:
        assert sum(1 for t in sent if start <= t < start + 60) <= 7


async def test_a_429_blocks_every_process_for_retry_after(tmp_path):
    clock = Clock()
    path = tmp_path / "rl"
    one, other = gate(path, clock), gate(path, clock)
    one.block_for(12.5)
    assert other.blocked_for == 12.5
    await other.acquire()
    assert clock.slept == [12.5]


async def test_the_file_is_private_and_never_names_the_key(tmp_path):
    clock = Clock()
    path = limiter_path(tmp_path, "secret-v2-key-123")
    await gate(path, clock).acquire()
    assert "secret-v2-key-123" not in path.name
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert limiter_path(tmp_path, "another-key") != path


async def test_an_unreadable_file_or_a_clock_set_back_starts_afresh(tmp_path):
    clock = Clock()
    path = tmp_path / "rl"
    path.write_text("{not json")
    g = gate(path, clock, limit=3)
    await g.acquire()
    assert g.used() == 1
    path.write_text(json.dumps({"blocked_until": clock.now + 10**7, "sent": [[10**12, 3]]}))
    await g.acquire()  # a block a hundred days away and requests from the future: a clock set back
    assert clock.slept == [] and g.used() == 1


async def test_without_a_file_the_window_is_this_process_only():
    clock = Clock()
    g = gate(None, clock, limit=2)
    await g.acquire()
    await g.acquire()
    await g.acquire()
    assert len(clock.slept) == 1


async def test_concurrent_tasks_of_one_process_are_counted_once_each(tmp_path):
    clock = Clock()
    g = gate(tmp_path / "rl", clock, limit=50)
    await asyncio.gather(*(g.acquire() for _ in range(50)))
    assert g.used() == 50 and clock.slept == []
