"""Exponential backoff with full jitter for retried requests."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delay before retry ``attempt`` (1-based): uniform in [0, min(cap, base * 2**(attempt-1))].

    ``attempts`` is the total number of tries, the first included.
    """

    attempts: int = 5
    base: float = 0.5
    cap: float = 20.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        ceiling = min(self.cap, self.base * (2 ** max(0, attempt - 1)))
        return self.rng.uniform(ceiling / 2, ceiling)
