"""Intent keys: the name of one write in the audit log, built and parsed in one place.

A key is ``{kind}:{subject}``. The subject is a goods-out note id (import, cancel,
markshipped, ref, shw), an order id (status), or a shipment key ``{kind}-{remote_id}``,
``{kind}-{remote_id}-gon-{id}`` for a label on another order than the note's own (order
notes), so recovery can find what an interrupted write was about.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IntentKind(StrEnum):
    IMPORT = "import"  # ShipStation createorders (create or update)
    CANCEL = "cancel"  # ShipStation order cancelled (note deleted in Brightpearl)
    MARK_SHIPPED = (
        "markshipped"  # ShipStation order marked shipped (note shipped outside ShipStation)
    )
    REFERENCE = "ref"  # Brightpearl GON shipping reference
    SHIPPED = "shw"  # Brightpearl GON shipped (SHW) event
    NOTE = "note"  # Brightpearl order note for a label
    NOTE_LATE = "note-late"  # order note for a label created after confirmation
    NOTE_VOID = "note-void"  # order note for a label voided after confirmation
    STATUS = "status"  # Brightpearl order status


NOTE_KINDS = (IntentKind.NOTE, IntentKind.NOTE_LATE, IntentKind.NOTE_VOID)


@dataclass(frozen=True)
class IntentKey:
    kind: IntentKind
    subject: str

    # ---- building
    @classmethod
    def for_gon(cls, kind: IntentKind, gon_id: int) -> IntentKey:
        return cls(kind, str(gon_id))

    @classmethod
    def for_order(cls, kind: IntentKind, order_id: int) -> IntentKey:
        return cls(kind, str(order_id))

    @classmethod
    def for_shipment(
        cls, kind: IntentKind, shipment_kind: str, remote_id: int, gon_id: int | None = None
    ) -> IntentKey:
        """The key of an order note about a label. ``gon_id`` when the label is on another order
        than the note's own (a part of its split order, the order it was merged into): one label
        of a merged order is written back to every note merged into it, each on its own."""
        suffix = f"-gon-{gon_id}" if gon_id is not None else ""
        return cls(kind, f"{shipment_kind}-{remote_id}{suffix}")

    # ---- parsing
    @classmethod
    def parse(cls, text: str) -> IntentKey | None:
        """The key written by ``str()``; None for text that is not one (an older or foreign row)."""
        kind, sep, subject = (text or "").partition(":")
        if not sep:
            return None
        try:
            return cls(IntentKind(kind), subject)
        except ValueError:
            return None

    @property
    def shipment(self) -> tuple[str, int] | None:
        """(shipment kind, remote id) of an order-note key, else None."""
        ship_kind, sep, rest = self.subject.partition("-")
        remote, _, gon = rest.partition("-gon-")
        if not sep or not remote.isdigit() or (gon and not gon.isdigit()):
            return None
        return ship_kind, int(remote)

    @property
    def shipment_gon(self) -> int | None:
        """The note named in an order-note key about a label on another order, else None."""
        gon = self.subject.partition("-gon-")[2]
        return int(gon) if gon.isdigit() and self.shipment is not None else None

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.subject}"
