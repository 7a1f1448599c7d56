"""What bp-tui hands a shipping platform, in its own terms: an order draft for a goods-out note,
and the result of sending one. The ShipStation adapters map these onto their APIs (V1's
``createorders``, V2's shipments); nothing here names a vendor's field or time zone.

The draft is also what the state keeps of a sent note (``to_json``), to tell next time whether
a change in Brightpearl touches what the shipping platform holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

WEIGHT_UNITS = ("grams", "ounces", "pounds")
DRAFT_FORM = 2  # the stored form's version (an older state kept the V1 order instead)


@dataclass(frozen=True)
class Weight:
    value: float
    unit: str  # one of WEIGHT_UNITS


@dataclass(frozen=True)
class Address:
    """A postal address; an empty string is a field the note does not have."""

    name: str
    company: str = ""
    street1: str = ""
    street2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""  # ISO 3166-1 alpha-2, upper case
    phone: str = ""


@dataclass(frozen=True)
class LineItem:
    line_key: str  # the Brightpearl order row id
    sku: str
    name: str
    quantity: int
    unit_price: float
    product_id: int | None = None
    weight: Weight | None = None  # of one unit


@dataclass(frozen=True)
class OrderDraft:
    """One goods-out note as an order to ship.

    ``key`` names the note for good (``bp-{account}-gon-{id}``): a platform that holds an order
    with it holds this note. ``placed_at`` is aware UTC, or None when Brightpearl gave no date
    (the adapter then says "now" in its own form). ``warehouse_ref`` is the Brightpearl
    warehouse (a custom field), ``store_id`` the ShipStation store (0: the account's default)."""

    key: str
    number: str
    placed_at: datetime | None
    email: str
    ship_to: Address
    bill_to: Address
    items: tuple[LineItem, ...]
    warehouse_ref: str
    source: str = "Brightpearl"
    store_id: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict[str, Any]:
        """The draft as plain JSON values (what ``dataclasses.asdict`` gives, without ``extra``;
        written out because ``asdict`` deep-copies every value: about 0.5 s of engine CPU in a
        10,000-note cycle)."""
        data = dict(vars(self))
        del data["extra"]
        data["ship_to"] = dict(vars(self.ship_to))
        data["bill_to"] = dict(vars(self.bill_to))
        data["items"] = [
            {**vars(i), "weight": None if i.weight is None else dict(vars(i.weight))}
            for i in self.items
        ]
        data["placed_at"] = (
            None if self.placed_at is None else self.placed_at.astimezone(UTC).isoformat()
        )
        data["form"] = DRAFT_FORM
        return data

    @classmethod
    def from_json(cls, data: Any) -> OrderDraft | None:
        """The draft a state kept; None when it is not one (another form, or damaged)."""
        if not isinstance(data, dict) or data.get("form") != DRAFT_FORM:
            return None
        try:
            placed = data.get("placed_at")
            items = tuple(
                LineItem(**{**i, "weight": Weight(**i["weight"]) if i.get("weight") else None})
                for i in data["items"]
            )
            return cls(
                key=str(data["key"]),
                number=str(data["number"]),
                placed_at=None if placed is None else datetime.fromisoformat(str(placed)),
                email=str(data["email"]),
                ship_to=Address(**data["ship_to"]),
                bill_to=Address(**data["bill_to"]),
                items=items,
                warehouse_ref=str(data["warehouse_ref"]),
                source=str(data["source"]),
                store_id=int(data["store_id"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass
class SendResult:
    """What a platform answered for one order sent (created, updated or cancelled)."""

    order_key: str
    order_id: int | None
    order_number: str
    success: bool
    error_message: str | None = None
