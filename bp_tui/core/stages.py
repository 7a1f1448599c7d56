"""The life cycle of a goods-out note, and the role of each label seen for it."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Where a goods-out note is. Stored in the state as its value."""

    WAITING = "waiting"  # seen, not eligible yet (the reason says why)
    READY = "ready"  # eligible, not sent yet
    IMPORTED = "imported"  # a ShipStation order exists
    SHIPPED = "shipped"  # a label exists, not yet written back
    CONFIRMED = "confirmed"  # written back to Brightpearl
    FAILED = "failed"  # a write failed; retried with backoff
    ATTENTION = "attention"  # needs a person (late void, replacement label, refused cancel)
    CANCELLED = (
        "cancelled"  # deleted in Brightpearl; its ShipStation order cancelled (or never made)
    )


STAGES: tuple[str, ...] = tuple(s.value for s in Stage)
# The queue's default order: notes that need someone first, finished ones last.
STAGE_PRIORITY: tuple[str, ...] = (
    "attention",
    "failed",
    "ready",
    "imported",
    "shipped",
    "waiting",
    "confirmed",
    "cancelled",
)

# Notes a discover step may still (re)decide about.
OPEN_STAGES: tuple[Stage, ...] = (Stage.WAITING, Stage.READY, Stage.FAILED)
# Notes that are done unless a late label, a void or a pending order note brings them back.
CLOSED_STAGES: tuple[Stage, ...] = (Stage.CONFIRMED, Stage.ATTENTION)

# A word and a glyph for every stage, so no state is told by colour alone.
STAGE_GLYPHS: dict[str, str] = {
    Stage.WAITING: "·",
    Stage.READY: "○",
    Stage.IMPORTED: "→",
    Stage.SHIPPED: "▲",
    Stage.CONFIRMED: "✓",
    Stage.FAILED: "✗",
    Stage.ATTENTION: "!",
    Stage.CANCELLED: "⊘",
}


class ShipmentRole(StrEnum):
    """What a label (or marked-shipped record) means for its note."""

    NEW = "new"  # seen, not handled yet
    CONFIRMED = "confirmed"  # written back as the note's shipment
    VOIDED_BEFORE = "voided_before"  # voided before it was confirmed: never written back
    LATE = "late"  # created after the note was confirmed (a replacement label)
    RETURN = "return"  # a return label: never written back, never a replacement


class ShipmentKind(StrEnum):
    LABEL = "shipment"  # a label (ShipStation /shipments)
    FULFILLMENT = "fulfillment"  # an order marked shipped (ShipStation /fulfillments)


class PartKind(StrEnum):
    SPLIT = "split"  # one part of the note's order split in ShipStation
    MERGED = "merged"  # the order the note's order was merged into (its own order is gone)
