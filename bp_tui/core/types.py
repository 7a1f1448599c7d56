"""Plain data the engine hands to its callers (the dashboard and the CLI).

These are the only shapes that cross the seam between the core and the UI (with the
stages of ``core.stages``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bp_tui.core.stages import Stage


@dataclass
class OrderPart:
    """A ShipStation order that carries a note besides its own: a part of its split order (the
    original one included), or the order it was merged into."""

    ss_order_id: int
    order_number: str
    kind: str  # "split" | "merged"
    status: str = ""
    tracking: str = ""  # its live labels' tracking numbers


@dataclass
class QueueRow:
    """One goods-out note as the order queue shows it."""

    gon_id: int
    order_id: int
    stage: Stage
    gon_state: str = ""  # new / printed / picked / packed / shipped
    reference: str = ""  # the order's customer reference
    customer: str = ""  # delivery name
    warehouse_id: int | None = None
    warehouse: str = ""
    channel_id: int | None = None
    ss_order_id: int | None = None
    ss_order_number: str = ""
    tracking: str = ""
    reason: str = ""  # why it is waiting / failed / needs attention
    attempts: int = 0
    next_attempt_at: datetime | None = None
    first_seen: datetime | None = None
    updated_at: datetime | None = None
    parts: list[OrderPart] = field(default_factory=list)  # split or merged in ShipStation


@dataclass
class QueuePage:
    """One page of the queue, as the state answered it."""

    rows: list[QueueRow]
    offset: int  # where the page starts in the view
    total: int  # notes in the view (stage filter and search applied)
    capped: bool = False  # a search matched more notes than it looks at: total is that limit + 1


@dataclass
class QueueHeader:
    """What an operator reads first: notes per stage, how long the oldest note has waited to be
    imported or shipped, and the last 24 hours, hour by hour (oldest first; None: not read this
    time, the reading before still stands)."""

    counts: dict[str, int]
    oldest_unshipped: datetime | None
    imported_per_hour: list[int] | None
    confirmed_per_hour: list[int] | None
    open_incidents: int = 0  # alerts open now (the header shows them when there are any)


@dataclass
class Progress:
    """A step of a running cycle: discover, hydrate, map, import, shipments, confirm."""

    step: str
    done: int
    total: int
    gon_id: int | None = None
    message: str = ""


@dataclass
class CycleSummary:
    imported: int = 0
    updated: int = 0
    confirmed: int = 0
    failed: int = 0  # notes that failed in this run
    failing: int = (
        0  # notes in stage failed at the end of the run (also those waiting for their retry)
    )
    cancelled: int = 0
    attention: int = 0
    removed: int = 0  # notes older than sync.keep_days that left the state (retention)
    skipped: dict[str, int] = field(default_factory=dict)
    api_calls: dict[str, int] = field(default_factory=lambda: {"brightpearl": 0, "shipstation": 0})
    duration_s: float = 0.0
    dry_run: bool = False
    would_write: list[str] = field(default_factory=list)  # dry-run: what would have been written
    errors: list[str] = field(default_factory=list)  # failures, one sentence each

    def as_json(self) -> dict[str, object]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "confirmed": self.confirmed,
            "failed": self.failed,
            "failing": self.failing,
            "cancelled": self.cancelled,
            "attention": self.attention,
            "removed": self.removed,
            "skipped": dict(self.skipped),
            "api_calls": dict(self.api_calls),
            "duration_s": round(self.duration_s, 3),
            "dry_run": self.dry_run,
            "would_write": list(self.would_write),
            "errors": list(self.errors),
        }


@dataclass
class CheckResult:
    """One troubleshooting check: ok or not, what we saw, and the fix in one sentence."""

    id: str
    title: str
    ok: bool
    detail: str = ""
    fix: str = ""
    warning: bool = False  # ok (nothing fails), but worth acting on: the fix says how


@dataclass
class Diagnosis:
    """Why one goods-out note is (or is not) in ShipStation / confirmed, and the fix."""

    subject: str  # "GON 1234" or "order 5678"
    verdict: str
    fix: str = ""
    gon_id: int | None = None
    order_id: int | None = None
    stage: Stage | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class HistoryEntry:
    """One write (or attempted write) to either API, from the audit log."""

    at: datetime
    api: str  # brightpearl / shipstation
    action: str
    result: str
    detail: str = ""


@dataclass
class Budget:
    """API requests left in the current rate-limit window, as last reported."""

    brightpearl_remaining: int | None = None
    shipstation_remaining: int | None = None
