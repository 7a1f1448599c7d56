"""The V1 rate limit: a fixed window of ``limit`` requests per ``window_s`` per key pair."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_s: float
    violation: bool  # sent after a 429 was already answered in this window

    def headers(self, window_s: float) -> dict[str, str]:
        return {
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "X-Rate-Limit-Reset": format_reset(self.reset_s, window_s),
        }


def format_reset(seconds: float, window_s: float) -> str:
    """Whole seconds (rounded up) like ShipStation; milliseconds for the sub-minute test windows."""
    if window_s >= 10 and float(window_s).is_integer():
        return str(max(0, math.ceil(seconds)))
    return f"{max(0.0, math.ceil(seconds * 1000) / 1000):.3f}"


class RateWindow:
    def __init__(self, *, limit: int, window_s: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._start: float | None = None
        self._used = 0
        self._throttled = False

    def _roll(self) -> float:
        now = self._clock()
        if self._start is None or now >= self._start + self.window_s:
            self._start = now
            self._used = 0
            self._throttled = False
        return now

    def peek(self) -> Verdict:
        """The current state, without spending a request (for answers that do not count)."""
        now = self._roll()
        assert self._start is not None
        return Verdict(
            True,
            self.limit,
            max(0, self.limit - self._used),
            self._start + self.window_s - now,
            False,
        )

    def hit(self) -> Verdict:
        """Spend one request of the window, or refuse it."""
        now = self._roll()
        assert self._start is not None
        reset = self._start + self.window_s - now
        if self._used >= self.limit:
            violation = self._throttled
            self._throttled = True
            return Verdict(False, self.limit, 0, reset, violation)
        self._used += 1
        return Verdict(True, self.limit, self.limit - self._used, reset, False)

    def consume(self, count: int) -> None:
        """Another app using the same key pair spends ``count`` requests of this window."""
        self._roll()
        self._used = min(self.limit, self._used + max(0, count))
