"""The V2 client-side rate limiter, shared by every process that uses the key.

V2 allows 200 requests a minute and, unlike V1, sends no "remaining" headers: only a 429 with
``Retry-After`` once the limit is hit. So the client counts for itself: at most ``limit``
(default 190, below 200) requests in any ``window_s`` seconds, recorded in a small file under
the data directory that every process using the same key shares (the dashboard and a headless
sync), each read-modify-write under an exclusive ``flock``. A 429's ``Retry-After`` blocks
every process on the key until it has passed, at most ``MAX_BLOCK_S`` (5 minutes): one broken
header must not stop every process on the key, ``doctor`` included, for hours.

The file holds JSON: ``{"blocked_until": t, "sent": [[slot, count], ...]}``: requests counted
per slot of wall-clock time (a sixtieth of the window, one second for V2's minute; wall clock
because it is shared between processes, unlike a monotonic clock), so the file stays small
whatever the limit; a request counts until its whole slot has left the window (at most one slot
longer than exact). Slots in the future beyond the window (the clock was set back) are dropped;
an unreadable file starts afresh.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import math
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bp_tui.apiclient.pacing import RateGate
from bp_tui.paths import make_private_folder, open_private

CLIENT_LIMIT = 190  # requests per window: V2's 200/min less a margin for clock differences
WINDOW_S = 60.0
MAX_BLOCK_S = 300.0  # a Retry-After beyond this is taken as this (a broken header, not a plan)


def limiter_path(data_dir: Path, api_key: str) -> Path:
    """The file every process using ``api_key`` shares (named by a hash, never the key)."""
    digest = hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:16]
    return data_dir / f"shipstation-v2-{digest}.ratelimit"


class SharedWindowGate(RateGate):
    """A sliding window of ``limit`` requests per ``window_s``, counted in ``path`` (None: in
    this process only). A drop-in for ``RateGate`` in the shared ``Sender``."""

    def __init__(
        self,
        path: Path | None,
        *,
        limit: int = CLIENT_LIMIT,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(
            limit=limit,
            window_s=window_s,
            reserve=0,
            max_block_s=MAX_BLOCK_S,
            clock=clock,
            sleep=sleep,
        )
        self.path = path
        self.slot_s = window_s / 60
        self._memory: dict[str, Any] = {"blocked_until": 0.0, "sent": []}
        if path is not None:
            make_private_folder(path.parent)

    async def acquire(self) -> None:
        """Wait until the shared window has room, then record this request in it."""
        async with self._lock:
            while True:
                wait = self._update(take=True)
                if wait <= 0:
                    return
                self.waited_s += wait
                await self._sleep(wait)

    def observe(self, remaining: int | None, reset_in_s: float | None) -> None:
        """V2 answers carry no counts: the window is ours."""

    def block_for(self, seconds: float) -> None:
        """A 429: no process on this key sends anything for ``seconds``."""
        self._update(block_s=max(0.0, min(seconds, MAX_BLOCK_S)))

    @property
    def blocked_for(self) -> float:
        state = self._read_only()
        return max(0.0, _moment(state.get("blocked_until")) - self._clock())

    def used(self) -> int:
        """Requests recorded in the current window (by every process on the key)."""
        now = self._clock()
        return sum(count for _slot, count in self._live(self._read_only().get("sent", []), now))

    # ---- the shared record
    def _update(self, *, take: bool = False, block_s: float | None = None) -> float:
        """Under the lock: prune, apply, write back; the seconds to wait before sending (0:
        sent)."""
        if self.path is None:
            return self._apply(self._memory, take, block_s)
        fd = open_private(self.path, os.O_RDWR | os.O_CREAT)  # never through a link
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = _read_all(fd)
            state = _parse(raw)
            wait = self._apply(state, take, block_s)
            data = json.dumps(state, separators=(",", ":")).encode()
            # padded with spaces to the old length instead of truncating (JSON ignores them; a
            # truncate costs a metadata write on every request)
            os.pwrite(fd, data.ljust(len(raw)), 0)
            return wait
        finally:
            os.close(fd)  # closing drops the lock

    def _apply(self, state: dict[str, Any], take: bool, block_s: float | None) -> float:
        now = self._clock()
        sent = self._live(state.get("sent", []), now)
        blocked_until = _moment(state.get("blocked_until"))
        if blocked_until > now + MAX_BLOCK_S:
            blocked_until = now  # the clock was set back, or an older version stored a longer block
        if block_s is not None:
            blocked_until = max(blocked_until, now + block_s)
        used = sum(count for _slot, count in sent)
        wait = 0.0
        if take:
            if blocked_until > now:
                wait = blocked_until - now
            elif used >= self.limit:
                wait = max(
                    (sent[0][0] + 1) * self.slot_s + self.window_s - now, 0.001
                )  # the oldest slot leaves
            else:
                slot = int(now // self.slot_s)
                if sent and sent[-1][0] == slot:
                    sent[-1][1] += 1
                else:
                    sent.append([slot, 1])
                used += 1
        state["sent"], state["blocked_until"] = sent, blocked_until
        self.remaining = max(0, self.limit - used)
        return wait

    def _live(self, sent: Any, now: float) -> list[list[int]]:
        """The ``[slot, count]`` pairs still in the window, oldest first."""
        if not isinstance(sent, list):
            return []
        pairs = sorted(
            [int(p[0]), int(p[1])]
            for p in sent
            if isinstance(p, list) and len(p) == 2 and all(_finite(x) for x in p)
        )
        return [
            p
            for p in pairs
            if (p[0] + 1) * self.slot_s > now - self.window_s
            and p[0] * self.slot_s <= now + self.window_s
            and p[1] > 0
        ]

    def _read_only(self) -> dict[str, Any]:
        if self.path is None:
            return self._memory
        try:
            fd = open_private(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return {}
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            return _parse(_read_all(fd))
        finally:
            os.close(fd)


def _read_all(fd: int) -> bytes:
    chunks = []
    offset = 0
    while chunk := os.pread(fd, 65536, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _finite(value: Any) -> bool:
    """A number of the file that is safe to compute with (not NaN, infinite or of 400 digits)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return abs(value) < 1e15 if isinstance(value, int) else math.isfinite(value)


def _moment(value: Any) -> float:
    """A stored Unix time; 0 for anything that is not a finite number."""
    return float(value) if _finite(value) else 0.0


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        state = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}
