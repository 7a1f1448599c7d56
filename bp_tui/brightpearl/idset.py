"""Brightpearl ID sets: ``1,2,5-9`` lists and ranges, or ``*`` for "all"."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal


def format_idset(ids: Iterable[int]) -> str:
    """Compact, sorted, de-duplicated form: ``[5, 1, 2, 3, 9]`` -> ``"1-3,5,9"``."""
    values = sorted({int(i) for i in ids})
    parts: list[str] = []
    i = 0
    while i < len(values):
        start = end = values[i]
        while i + 1 < len(values) and values[i + 1] == end + 1:
            i += 1
            end = values[i]
        parts.append(str(start) if start == end else f"{start}-{end}")
        i += 1
    return ",".join(parts)


def parse_idset(text: str) -> list[int] | Literal["*"]:
    """Parse an ID set; ``"*"`` stays ``"*"``. Raises ValueError on bad syntax."""
    text = text.strip()
    if text == "*":
        return "*"
    if not text:
        return []
    out: list[int] = []
    seen: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            lo_s, _, hi_s = part.partition("-")
            lo, hi = int(lo_s), int(hi_s)
            if lo > hi or lo < 0:
                raise ValueError(f"bad id range {part!r}")
            rng: Iterable[int] = range(lo, hi + 1)
        else:
            value = int(part)
            if value < 0:
                raise ValueError(f"bad id {part!r}")
            rng = (value,)
        for v in rng:
            if v not in seen:
                seen.add(v)
                out.append(v)
    return out


def chunks(ids: Iterable[int], n: int) -> Iterator[list[int]]:
    """Sorted, de-duplicated ids in lists of at most ``n``."""
    if n < 1:
        raise ValueError("chunk size must be at least 1")
    values = sorted({int(i) for i in ids})
    for start in range(0, len(values), n):
        yield values[start : start + n]
