"""The ShipStation orders the import half of a cycle sends, in one place.

KeepInStep queues the updates of orders ShipStation holds (each with the order as just read);
Import queues the new orders and sends the whole outbox, new orders first, 100 per call
(``importer.send_orders``). Neither step hands the other work through the plan
(``plan.ImportPlan``, what Discover and Hydrate learnt): the orders to send live here only.
"""

from __future__ import annotations

from bp_tui.core.records import GonRecord
from bp_tui.core.shipping import OrderDraft
from bp_tui.shipstation.models import OrderUpdate


class Outbox:
    def __init__(self) -> None:
        self.creates: list[tuple[GonRecord, OrderDraft]] = []
        self.updates: list[tuple[GonRecord, OrderUpdate]] = []

    def create(self, rec: GonRecord, draft: OrderDraft) -> None:
        """A new order for a note ShipStation does not hold."""
        self.creates.append((rec, draft))

    def update(self, rec: GonRecord, update: OrderUpdate) -> None:
        """A change to the order ShipStation holds for the note (only bp-tui's fields)."""
        self.updates.append((rec, update))

    def resent(self) -> dict[int, OrderDraft]:
        """The notes updated (re-sent), by GON id, with the draft sent."""
        return {rec.gon_id: update.draft for rec, update in self.updates}

    def __len__(self) -> int:
        return len(self.creates) + len(self.updates)
