"""Text for the dashboard: stage labels, ages, countdowns, budgets.

Every state gets a word and a glyph, never a colour alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from bp_tui.core.stages import STAGE_GLYPHS

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


def stage_label(stage: str) -> str:
    """``"✓ confirmed"``: glyph and word."""
    return f"{STAGE_GLYPHS.get(stage, '?')} {stage}"


def check_mark(ok: bool) -> str:
    return "✓ ok" if ok else "✗ FAIL"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def age(since: datetime | None, now: datetime) -> str:
    """Compact age: ``45s``, ``12m``, ``3h``, ``5d``; ``-`` when unknown."""
    if since is None:
        return "-"
    seconds = max(0, int((_aware(now) - _aware(since)).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def countdown(until: datetime | None, now: datetime) -> str:
    """``1:05`` until ``until``; ``now`` when due; ``-`` when unknown."""
    if until is None:
        return "-"
    seconds = int((_aware(until) - _aware(now)).total_seconds())
    if seconds <= 0:
        return "now"
    return f"{seconds // 60}:{seconds % 60:02d}"


def clock_time(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return _aware(moment).astimezone(timezone.utc).strftime("%H:%M:%S UTC")


def budget_text(remaining: int | None) -> str:
    return "?" if remaining is None else str(remaining)


def timestamp(moment: datetime) -> str:
    return _aware(moment).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
