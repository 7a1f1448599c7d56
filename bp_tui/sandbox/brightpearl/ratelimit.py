"""Brightpearl's request cap over a rolling window (200 requests per minute by default)."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Admission:
    allowed: bool
    remaining: int
    next_period_ms: int  # until the oldest counted request leaves the window


class RollingWindow:
    """Counts admitted requests in the last ``window_s`` seconds.

    ``violations`` counts requests that arrived while a client that was throttled should
    still have been waiting (before the time announced on its 503).
    """

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._times: deque[float] = deque()
        self._throttled_until = 0.0
        self.violations = 0
        self.throttled = 0

    def _prune(self, now: float) -> None:
        while self._times and self._times[0] + self.window_s <= now:
            self._times.popleft()

    def _next_ms(self, now: float) -> int:
        if not self._times:
            return int(math.ceil(self.window_s * 1000))
        return max(1, int(math.ceil((self._times[0] + self.window_s - now) * 1000)))

    def admit(self) -> Admission:
        now = self._clock()
        self._prune(now)
        if now < self._throttled_until:
            self.violations += 1
        if len(self._times) >= self.limit:
            wait_ms = self._next_ms(now)
            self._throttled_until = max(self._throttled_until, now + wait_ms / 1000.0 - 1e-3)
            self.throttled += 1
            return Admission(False, 0, wait_ms)
        self._times.append(now)
        return Admission(True, self.limit - len(self._times), self._next_ms(now))

    def consume(self, n: int) -> None:
        """Requests from other apps sharing the account's pool."""
        now = self._clock()
        self._prune(now)
        for _ in range(n):
            self._times.append(now)
