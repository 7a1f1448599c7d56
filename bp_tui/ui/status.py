"""The dashboard's view of the sync: one immutable value the screens watch."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from bp_tui.core.types import Budget, CycleSummary


@dataclass(frozen=True)
class SyncStatus:
    connected: bool = False
    running: bool = False
    kind: str = ""  # "sync" / "import only" / "confirm only"
    step: str = ""
    done: int = 0
    total: int = 0
    last_run_at: datetime | None = None
    last_summary: CycleSummary | None = None
    next_sync_at: datetime | None = None
    paused: bool = False
    budget: Budget = field(default_factory=Budget)
    error: str = ""

    def but(self, **changes: object) -> SyncStatus:
        return replace(self, **changes)  # type: ignore[arg-type]
