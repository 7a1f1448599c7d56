"""What the import half of a cycle learns and decides, passed from step to step."""

from __future__ import annotations

from dataclasses import dataclass, field

from bp_tui.brightpearl.models import GoodsOutNote, Order
from bp_tui.core.records import GonRecord


@dataclass
class ImportPlan:
    # Discover
    candidates: list[int] = field(default_factory=list)  # ready notes to send to ShipStation
    gone: list[int] = field(default_factory=list)  # imported notes that left the unshipped list
    # ready or failed notes (not in ShipStation as far as the state knows) that left it
    unsent_gone: list[int] = field(default_factory=list)
    # imported notes whose order was edited in Brightpearl, and notes already in ShipStation that
    # failed and are due again: what ShipStation holds may need an update
    changed: list[int] = field(default_factory=list)
    # the order-edit watermark to keep once the edits found are sent (a crash before: found again)
    orders_mark: str = ""
    # Hydrate
    notes: dict[int, GoodsOutNote] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    products: dict[int, tuple[float | None, bool]] = field(
        default_factory=dict
    )  # id -> (weight, stock-tracked)
    weights: dict[int, float | None] = field(default_factory=dict)  # id -> weight
    records: dict[int, GonRecord] = field(default_factory=dict)
    # (the orders to send are not here: KeepInStep and Import queue them in one ``Outbox``)
