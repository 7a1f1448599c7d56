"""Sizes for people: bytes as "1.4 GB" (decimal units, as file managers and df -H show them)."""

from __future__ import annotations

GB = 1000**3


def human_bytes(count: int) -> str:
    if count < 1000:
        return f"{count} B"
    value, unit = count / 1000, "kB"
    for bigger in ("MB", "GB"):
        if round(value, 1) < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.1f} {unit}"
