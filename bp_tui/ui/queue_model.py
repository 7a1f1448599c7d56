"""What the queue table shows: its columns at each width, the stage filters and the sorts.

Filtering, search and sorting are done by the state (SQLite, a page at a time); this module
only says how a row reads. Kept apart from the widgets so the rules are plain functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bp_tui.core.stages import STAGES
from bp_tui.core.types import QueueRow
from bp_tui.ui.format import age, clean, stage_label


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int  # cells; 0: whatever the others leave (at least MIN_FLEX)
    cell: Callable[[QueueRow, datetime], str]


def reference_text(row: QueueRow) -> str:
    if row.reference and row.customer:
        return f"{row.reference} / {row.customer}"
    return row.reference or row.customer


STAGE = Column("stage", "Stage", 11, lambda r, _now: stage_label(r.stage))
GON = Column("gon", "GON", 8, lambda r, _now: str(r.gon_id))
ORDER = Column("order", "Order", 8, lambda r, _now: str(r.order_id))
CUSTOMER = Column("customer", "Customer", 14, lambda r, _now: r.customer)
REF_CUSTOMER = Column("customer", "Ref / customer", 22, lambda r, _now: reference_text(r))
WAREHOUSE = Column(
    "warehouse",
    "Whse",
    7,
    lambda r, _now: r.warehouse or (str(r.warehouse_id) if r.warehouse_id else ""),
)
GON_STATE = Column("gon_state", "GON state", 9, lambda r, _now: r.gon_state)
SS_ORDER = Column(
    "ss_order",
    "SS order",
    9,
    lambda r, _now: r.ss_order_number or (str(r.ss_order_id) if r.ss_order_id else ""),
)
TRACKING = Column("tracking", "Tracking", 14, lambda r, _now: r.tracking)
AGE = Column("age", "Age", 4, lambda r, now: age(r.first_seen, now))
REASON = Column("reason", "Reason", 0, lambda r, _now: r.reason)

# 80 columns: what an operator needs to find a note and see why it is where it is; the rest is
# in the detail pane (Enter). From WIDE_FROM cells of table width: everything.
NARROW: tuple[Column, ...] = (STAGE, GON, ORDER, CUSTOMER, TRACKING, REASON)
WIDE: tuple[Column, ...] = (
    STAGE,
    GON,
    ORDER,
    REF_CUSTOMER,
    WAREHOUSE,
    GON_STATE,
    SS_ORDER,
    TRACKING,
    AGE,
    REASON,
)
WIDE_FROM = 110
MIN_FLEX = 8

STAGE_FILTERS: tuple[str, ...] = ("all", *STAGES)
# The `o` key cycles through these (the state's sorts): problems first, oldest first, GON,
# order, customer, most recently changed first.
SORTS: tuple[str, ...] = ("stage", "age", "gon", "order", "customer", "updated")


def columns_for(width: int) -> tuple[Column, ...]:
    return WIDE if width >= WIDE_FROM else NARROW


def column_widths(columns: tuple[Column, ...], width: int) -> list[int]:
    """Each column's width in cells at a table ``width`` (one space between columns)."""
    fixed = sum(c.width for c in columns) + len(columns) - 1
    return [c.width or max(MIN_FLEX, width - fixed) for c in columns]


def row_cells(row: QueueRow, now: datetime, columns: tuple[Column, ...] = WIDE) -> tuple[str, ...]:
    """The row's cells for ``columns``, control characters shown escaped (text from the APIs)."""
    return tuple(clean(c.cell(row, now)) for c in columns)
