"""Texts written back to Brightpearl: the GON's tracking reference and order notes."""

from __future__ import annotations

from collections.abc import Iterable

from bp_tui.core.intents import IntentKind
from bp_tui.core.records import GonRecord, ShipmentRecord

REFERENCE_LIMIT = 64


def tracking_reference(trackings: Iterable[str], limit: int = REFERENCE_LIMIT) -> str:
    """Tracking numbers joined with ", ", whole numbers only, as many as fit in ``limit``.

    A number that does not fit is left out rather than cut; the order note lists every
    number in full.
    """
    out = ""
    for number in dict.fromkeys(t.strip() for t in trackings if t and t.strip()):
        candidate = number if not out else f"{out}, {number}"
        if len(candidate) <= limit:
            out = candidate
    return out


def note_marker(key: str) -> str:
    """A tag at the end of every note we post, so an interrupted post can be found again."""
    return f"[bp-tui {key}]"


def shipment_note(
    rec: GonRecord,
    shipment: ShipmentRecord,
    all_active: list[ShipmentRecord],
    order_number: str = "",
) -> str:
    """The order note about one label: its own tracking number, carrier and service; the
    note's other labels only as "also: ..." (each has a note of its own)."""
    when = shipment.shipped_at.strftime("%Y-%m-%d %H:%M UTC") if shipment.shipped_at else "unknown"
    kind = "Label" if shipment.kind == "shipment" else "Marked shipped"
    service = f", service {shipment.service}" if shipment.service else ""
    others = [s.tracking for s in all_active if s.tracking and s.tracking != shipment.tracking]
    also = f"; also: {', '.join(dict.fromkeys(others))}" if others else ""
    return (
        f"Shipped via ShipStation: GON {rec.gon_id}, "
        f"ShipStation order {order_number or rec.ss_order_number}. "
        f"{kind}: tracking {shipment.tracking or '(none)'}, "
        f"carrier {shipment.carrier or 'unknown'}{service}, "
        f"ship date {when}{also}."
    )


def mark_noted(shipment: ShipmentRecord, kind: IntentKind) -> None:
    """Remember that the order note of this kind was posted for ``shipment``."""
    if kind is IntentKind.NOTE_VOID:
        shipment.void_noted = True
    else:
        shipment.noted = True
