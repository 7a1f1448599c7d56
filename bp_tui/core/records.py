"""What the state remembers of a goods-out note and of each label seen for it, and the
time helpers every layer uses (the state stores UTC ISO-8601 text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bp_tui.core.stages import ShipmentRole, Stage


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass
class GonRecord:
    gon_id: int
    order_id: int
    stage: Stage  # changed in sync/ only through core.lifecycle.move
    gon_state: str = ""
    reference: str = ""
    customer: str = ""
    warehouse_id: int | None = None
    channel_id: int | None = None
    reason: str = ""
    attempts: int = 0
    next_attempt_at: datetime | None = None
    ss_order_key: str | None = None
    ss_order_id: int | None = None
    ss_order_number: str = ""
    ss_payload: str | None = None
    tracking: str = ""
    confirmed_at: datetime | None = None
    first_seen: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        self.stage = Stage(self.stage)  # the state stores its value; a wrong one fails here, named


@dataclass
class ShipmentRecord:
    kind: str  # a ShipmentKind value: "shipment" (a label) | "fulfillment" (marked shipped)
    remote_id: int
    gon_id: int
    ss_order_id: int
    tracking: str = ""
    carrier: str = ""
    service: str = ""
    shipped_at: datetime | None = None
    created_at: datetime | None = None
    voided: bool = False
    role: str = ShipmentRole.NEW
    noted: bool = False
    void_noted: bool = False

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.remote_id}"


@dataclass
class PartRecord:
    """A ShipStation order that carries (part of) a goods-out note besides its own order: a part
    of its split order (the original one included), or the order its order was merged into."""

    gon_id: int
    ss_order_id: int
    kind: str  # a PartKind value
    order_number: str = ""
    status: str = ""  # the order's status when last read ("cancelled" counts as done)
    seen_at: datetime | None = None


@dataclass(frozen=True)
class AuditRecord:
    """One row of the audit log: a write to an API, as an intent until it is settled."""

    id: int
    at: datetime | None
    api: str
    action: str
    gon_id: int | None
    order_id: int | None
    key: str | None
    result: str  # "intent" while open, then "ok", "failed", "lost", ...
    detail: str = ""
