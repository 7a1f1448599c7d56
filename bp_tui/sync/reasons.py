"""Why a goods-out note is where it is: the sentences the queue, the CLI and diagnose show.

Each reason has a short key (counted in the ``skipped`` object of the sync summary) and
a sentence with the fix, so the operator never has to guess.
"""

from __future__ import annotations

from bp_tui.config import Config


def not_in_state(import_when: str) -> str:
    word = import_when
    return (
        f"not {word} yet: {'print' if word == 'printed' else 'mark it ' + word} it in Brightpearl "
        f"(Warehouse > Goods-out notes) and it will import on the next sync"
    )


TRANSFER = "a warehouse-to-warehouse transfer, not a customer shipment: transfers are never sent to ShipStation"


def warehouse_not_selected(warehouse_id: int | None, config: Config) -> str:
    return (
        f"warehouse {warehouse_id} is not in warehouse_ids {config.brightpearl.warehouse_ids}: "
        "add it in connection setup to import this warehouse's notes"
    )


def channel_not_selected(channel_id: int | None, config: Config) -> str:
    return (
        f"order is on channel {channel_id}, not in channel_ids {config.brightpearl.channel_ids}: "
        "add the channel in connection setup to import its orders"
    )


ORDER_MISSING = "its Brightpearl order could not be read (deleted, or no access): check the order in Brightpearl"
DELETED_BEFORE_IMPORT = "the goods-out note was deleted in Brightpearl before it was imported"
SHIPPED_IN_BRIGHTPEARL = "already shipped in Brightpearl before it was imported: nothing to send"
SHIPPED_OUTSIDE = (
    "shipped in Brightpearl outside ShipStation while its ShipStation order is still open: "
    "cancel or ship that order in ShipStation so it is not shipped twice"
)
SHIPPED_OUTSIDE_MARKED = (
    "shipped in Brightpearl outside ShipStation: its ShipStation order was marked shipped"
)
LABEL_VOIDED = "label voided, not confirmed: create a new label in ShipStation and it will be confirmed"
