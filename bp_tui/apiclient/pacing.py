"""Client-side pacing against a server's rate-limit window.

Both vendors tell us, on every answer, how many requests are left in the current window
and when it resets. The window is shared with every other app using the same account or
key, so the server's count is the truth: we spend what it says is left (minus a reserve
for the other apps) and then sleep until the reset, instead of running into the cap.
After a throttled answer (429 / 503) we are told how long to wait; nothing is sent from
this gate until that time has passed. Whatever a header says, the gate never waits longer than
its window after an answer, nor longer than ``max_block_s`` (the window unless told) after a
throttled one: the clients cap the numbers first (``bounds``), this is the backstop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class RateGate:
    def __init__(
        self,
        *,
        limit: int,
        window_s: float,
        reserve: int = 1,
        max_block_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.reserve = max(0, min(reserve, limit - 1))
        self.max_block_s = window_s if max_block_s is None else max_block_s
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._allowance: int | None = None  # requests we may still send before reset_at
        self._reset_at: float = 0.0
        self._blocked_until: float = 0.0
        self.remaining: int | None = None  # last value the server reported
        self.waited_s: float = 0.0  # total time spent waiting, for reports

    async def acquire(self) -> None:
        """Wait until a request may be sent, then account for it."""
        async with self._lock:
            while True:
                now = self._clock()
                wait = 0.0
                if self._blocked_until > now:
                    wait = self._blocked_until - now
                elif self._allowance is not None and self._allowance <= 0:
                    if self._reset_at > now:
                        wait = self._reset_at - now
                    else:
                        self._allowance = None  # window over; the next answer tells us more
                if wait <= 0:
                    break
                self.waited_s += wait
                await self._sleep(wait)
            if self._allowance is not None:
                self._allowance -= 1

    def observe(self, remaining: int | None, reset_in_s: float | None) -> None:
        """Record the server's view after an answer: requests left and seconds to reset."""
        if remaining is None:
            return
        self.remaining = remaining
        now = self._clock()
        reset_in = self.window_s if reset_in_s is None else max(0.0, min(reset_in_s, self.window_s))
        self._reset_at = now + reset_in
        self._allowance = max(0, remaining - self.reserve)

    def block_for(self, seconds: float) -> None:
        """The server said "wait": send nothing for ``seconds``."""
        until = self._clock() + max(0.0, min(seconds, self.max_block_s))
        self._blocked_until = max(self._blocked_until, until)
        self._allowance = None

    @property
    def blocked_for(self) -> float:
        return max(0.0, self._blocked_until - self._clock())
