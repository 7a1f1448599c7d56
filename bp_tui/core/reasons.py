"""Why a goods-out note is where it is: one ``Reason`` (key, sentence, fix) per cause, shared
by the engine (the queue's reason column, the summary's ``skipped`` counts) and diagnose.

``eligibility`` is the one place that decides whether a note may be sent to ShipStation;
``MappingError`` carries a code, and each code has one fix text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


@dataclass(frozen=True)
class Reason:
    key: str  # short, stable: counted in the summary's ``skipped``
    sentence: str  # what is wrong, as the queue and diagnose show it
    fix: str = ""  # what to do, in one sentence


# ---- fixed sentences --------------------------------------------------------------------
TRANSFER = (
    "a warehouse-to-warehouse transfer, not a customer shipment: "
    "transfers are never sent to ShipStation"
)
ORDER_MISSING = (
    "its Brightpearl order could not be read (deleted, or no access): "
    "check the order in Brightpearl"
)
DELETED_BEFORE_IMPORT = "the goods-out note was deleted in Brightpearl before it was imported"
SHIPPED_BOTH_SIDES = (
    "shipped in Brightpearl, and ShipStation has its order shipped already (a label or a mark "
    "made there): written back as that shipment once bp-tui reads it"
)

LEFT_OUT_BEFORE_WRITE_BACK = (
    "Brightpearl left the goods-out note out when it was read before its label was written back, "
    "though the note exists: tried again"
)

NOTE_NOT_READ = (
    "Brightpearl listed the goods-out note but left it out when it was read: tried again next "
    "cycle (a deletion is concluded only from Brightpearl's own answer to a read of the note)"
)
SHIPPED_IN_BRIGHTPEARL = "already shipped in Brightpearl before it was imported: nothing to send"
SHIPPED_OUTSIDE = (
    "shipped in Brightpearl outside ShipStation while its ShipStation order is still open: "
    "cancel or ship that order in ShipStation so it is not shipped twice"
)
SHIPPED_OUTSIDE_MARKED = (
    "shipped in Brightpearl outside ShipStation: its ShipStation order was marked shipped"
)
LABEL_PROCESSING = (
    "its label is still being made in ShipStation (status processing): it is written "
    "back once ShipStation says the label is completed"
)
LABEL_ERROR = (
    "ShipStation could not create its label (status error): a failed label is never written back; "
    "create the label again in ShipStation"
)
LABEL_VOIDED = (
    "label voided, not confirmed: create a new label in ShipStation and it will be confirmed"
)
ADOPTED = "found in ShipStation under its key (created earlier): taken as imported, not sent again"
CANCELLED_AFTER_DELETE = "deleted in Brightpearl; its ShipStation order was cancelled"
DELETED_AFTER_LABEL = "the goods-out note was deleted in Brightpearl after its label was created"

SHIPPED_OUTSIDE_PARTS = (
    "shipped in Brightpearl outside ShipStation, but its ShipStation order was split or merged "
    "there: ship or cancel its parts in ShipStation (bp-tui does not mark them shipped, the other "
    "notes they carry would go too)"
)


# ---- what ShipStation users did to the order (issue 13) ---------------------------------
def split_progress(parts: int, labelled: int, cancelled: int = 0) -> str:
    """A note whose ShipStation order was split: how many parts have a label."""
    text = f"split into {parts} in ShipStation: {labelled} of {parts} labelled"
    return text + (f", {cancelled} cancelled" if cancelled else "")


def merged_into(order_number: str) -> str:
    """A note whose ShipStation order was merged into another one (its own order is gone)."""
    return f"merged into order {order_number} in ShipStation"


def return_ignored(tracking: str) -> str:
    return f"return label {tracking} ignored (a return is not a shipment)"


SPLIT_FIX = (
    "create a label for every part in ShipStation (or cancel the parts not shipped); the note is "
    "confirmed with every part's tracking number"
)
MERGED_FIX = (
    "create the label on the order it was merged into; "
    "that label confirms every note merged into it"
)
RETURN_FIX = "nothing to do: return labels are never written back to Brightpearl"


# A note Brightpearl said once was deleted: nothing is cancelled before a later sync reads it again.
DELETION_SEEN = "Brightpearl said this goods-out note does not exist"
# Notes whose cancellation the guard held back, until a person confirms it.
CANCELS_HELD = "deleted in Brightpearl (read twice), but bp-tui held back cancelling"
CONFIRM_CANCEL_HOW = "press x on the queue screen, or run bp-tui sync --once --confirm-cancel"


LISTED_AFTER_CANCEL = (
    "Brightpearl lists this goods-out note as open again, after bp-tui took it as deleted and "
    "cancelled its ShipStation order: ShipStation cannot reopen a cancelled order, so create the "
    "order again in ShipStation (or ship the note in Brightpearl)"
)


BEFORE_DELETION_SEEN = "; before that: "
# A note that left the unshipped list, whose own read could not tell whether it was deleted.
DELETION_UNKNOWN = "left Brightpearl's unshipped list; whether it was deleted could not be told"


def deletion_unknown(why: str) -> str:
    return f"{DELETION_UNKNOWN} (read again on the next sync): {why}"


def deletion_seen(when: str, before: str = "") -> str:
    """A first proof of a deletion; ``before``, the note's reason until then, is kept after it
    (``before_deletion_seen`` gives it back once the note is found again)."""
    before = before_deletion_seen(before) if before.startswith(DELETION_SEEN) else before
    before = "" if before.startswith(DELETION_UNKNOWN) else before
    text = (
        f"{DELETION_SEEN} ({when}): it is read again on the next sync before its ShipStation order "
        "is cancelled; nothing to do if it was deleted on purpose"
    )
    return f"{text}{BEFORE_DELETION_SEEN}{before}" if before else text


def before_deletion_seen(reason: str) -> str:
    """The reason a first proof of a deletion covered ("" if none)."""
    return reason.split(BEFORE_DELETION_SEEN, 1)[1] if BEFORE_DELETION_SEEN in reason else ""


def cancels_held(count: int, open_orders: int, limit: int) -> str:
    return (
        f"{CANCELS_HELD} {count} ShipStation orders in one sync ({open_orders} open; more than "
        f"sync.max_cancels = {limit}, or every open order). If the notes were deleted on purpose, "
        f"{CONFIRM_CANCEL_HOW}; if not, check the Brightpearl account and connection"
    )


def not_in_state(import_when: str) -> Reason:
    verb = "print" if import_when == "printed" else f"mark it {import_when}"
    return Reason(
        "not_in_import_state",
        f"is not {import_when}: {verb} it in Brightpearl (Warehouse > Goods-out notes) "
        "and it will import on the next sync",
        f"{'print' if import_when == 'printed' else import_when} the goods-out note in Brightpearl",
    )


def warehouse_not_selected(warehouse_id: int | None, warehouse_ids: list[int]) -> Reason:
    return Reason(
        "warehouse_not_selected",
        f"warehouse {warehouse_id} is not in warehouse_ids {warehouse_ids}: "
        "add it in connection setup to import this warehouse's notes",
        "add the warehouse in connection setup if its notes should go to ShipStation",
    )


def channel_not_selected(channel_id: int | None, channel_ids: list[int]) -> Reason:
    return Reason(
        "channel_not_selected",
        f"order is on channel {channel_id}, not in channel_ids {channel_ids}: "
        "add the channel in connection setup to import its orders",
        "add the channel in connection setup if its orders should go to ShipStation",
    )


TRANSFER_REASON = Reason(
    "transfer", TRANSFER, "nothing to do: transfers move stock between your warehouses"
)
SHIPPED_REASON = Reason(
    "shipped_in_brightpearl",
    SHIPPED_IN_BRIGHTPEARL,
    "nothing to do; it was shipped outside ShipStation",
)


class _Note(Protocol):  # (read-only members: a note whose ids are never None fits too)
    @property
    def order_id(self) -> int: ...
    @property
    def warehouse_id(self) -> int | None: ...
    @property
    def shipped(self) -> bool: ...


class _Order(Protocol):
    @property
    def channel_id(self) -> int | None: ...


def eligibility(
    note: _Note, order: _Order | None, config: Any, *, known_channel: int | None = None
) -> Reason | None:
    """Why ``note`` may not be sent to ShipStation, or None when it may.

    ``note`` is a goods-out note or a goods-out-search row (both carry the state flags
    printed / picked / packed / shipped); ``order`` its order when read (its channel
    decides), else the note's own ``channel_id`` when the search gave one, else
    ``known_channel`` (what an earlier cycle learnt).
    ``config`` is the Config (its ``brightpearl`` section)."""
    bp = config.brightpearl
    if note.order_id == 0 or getattr(note, "transfer", False):
        return TRANSFER_REASON
    if note.shipped:
        return SHIPPED_REASON
    if bp.warehouse_ids and note.warehouse_id not in bp.warehouse_ids:
        return warehouse_not_selected(note.warehouse_id, bp.warehouse_ids)
    channel = order.channel_id if order is not None else getattr(note, "channel_id", None)
    if order is None and channel is None:
        channel = known_channel
    if (
        bp.channel_ids
        and (order is not None or channel is not None)
        and channel not in bp.channel_ids
    ):
        return channel_not_selected(channel, bp.channel_ids)
    if not getattr(note, bp.import_when, False):
        return not_in_state(bp.import_when)
    return None


# ---- mapping ----------------------------------------------------------------------------
class MappingCode(StrEnum):
    NO_DELIVERY = "no_delivery"
    NO_NAME = "no_name"
    NO_LINE1 = "no_line1"
    NO_COUNTRY = "no_country"
    TRANSFER = "transfer"
    NO_ROWS = "no_rows"
    ROW_NOT_ON_ORDER = "row_not_on_order"
    NOTHING_TO_SHIP = "nothing_to_ship"
    NUMBER_TOO_LONG = "number_too_long"


_ADDRESS_FIX = (
    "correct the order's delivery address in Brightpearl "
    "(name, first line and country are needed); it is sent on the next sync"
)
_EMPTY_FIX = (
    "the goods-out note lists nothing to ship: delete it in Brightpearl and create it again "
    "from the order (Sales > order > Ship)"
)

MAPPING_FIXES: dict[MappingCode, str] = {
    MappingCode.NO_DELIVERY: _ADDRESS_FIX,
    MappingCode.NO_NAME: _ADDRESS_FIX,
    MappingCode.NO_LINE1: _ADDRESS_FIX,
    MappingCode.NO_COUNTRY: _ADDRESS_FIX,
    MappingCode.TRANSFER: "nothing to do: transfers move stock between your warehouses",
    MappingCode.NO_ROWS: _EMPTY_FIX,
    MappingCode.NOTHING_TO_SHIP: _EMPTY_FIX,
    MappingCode.ROW_NOT_ON_ORDER: (
        "the note and its order disagree: recreate the goods-out note from the order in Brightpearl"
    ),
    MappingCode.NUMBER_TOO_LONG: (
        "shorten the order reference in Brightpearl; ShipStation accepts 50 characters"
    ),
}


class MappingError(Exception):
    """The note cannot become a ShipStation order. ``str()`` says why; ``fix`` what to do."""

    def __init__(self, code: MappingCode, message: str) -> None:
        self.code = code
        super().__init__(message)

    @property
    def fix(self) -> str:
        return MAPPING_FIXES[self.code]
