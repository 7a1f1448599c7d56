"""What the queue table shows: columns, filter, search and sort over QueueRows.

Kept apart from the widgets so the rules are plain functions.
"""

from __future__ import annotations

from datetime import datetime

from bp_tui.core.stages import STAGES
from bp_tui.core.types import QueueRow
from bp_tui.ui.format import age, stage_label

# (key, header, width)
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("stage", "Stage", 11),
    ("gon", "GON", 7),
    ("order", "Order", 7),
    ("customer", "Ref / customer", 18),
    ("warehouse", "Whse", 8),
    ("gon_state", "GON state", 9),
    ("ss_order", "SS order", 10),
    ("tracking", "Tracking", 14),
    ("age", "Age", 4),
    ("reason", "Reason", 30),
)

STAGE_FILTERS: tuple[str, ...] = ("all", *STAGES)
SORTS: tuple[str, ...] = ("stage", "age", "gon", "order", "customer")
# Stages that need someone first, finished ones last.
STAGE_PRIORITY = {s: i for i, s in enumerate(
    ("attention", "failed", "ready", "imported", "shipped", "waiting", "confirmed", "cancelled"))}


def reference_text(row: QueueRow) -> str:
    if row.reference and row.customer:
        return f"{row.reference} / {row.customer}"
    return row.reference or row.customer


def row_cells(row: QueueRow, now: datetime) -> tuple[str, ...]:
    warehouse = row.warehouse or (str(row.warehouse_id) if row.warehouse_id else "")
    ss_order = row.ss_order_number or (str(row.ss_order_id) if row.ss_order_id else "")
    return (
        stage_label(row.stage),
        str(row.gon_id),
        str(row.order_id),
        reference_text(row),
        warehouse,
        row.gon_state,
        ss_order,
        row.tracking,
        age(row.first_seen, now),
        row.reason,
    )


def matches(row: QueueRow, needle: str) -> bool:
    if not needle:
        return True
    needle = needle.lower()
    haystack = (
        str(row.gon_id), str(row.order_id), row.reference, row.customer, row.warehouse,
        row.ss_order_number, str(row.ss_order_id or ""), row.tracking, row.reason, row.stage, row.gon_state,
    )
    return any(needle in part.lower() for part in haystack if part)


def _sort_key(sort: str):  # type: ignore[no-untyped-def]
    if sort == "stage":
        return lambda r: (STAGE_PRIORITY.get(r.stage, 99), -r.gon_id)
    if sort == "age":
        return lambda r: (r.first_seen is None, r.first_seen.timestamp() if r.first_seen else 0.0, r.gon_id)
    if sort == "order":
        return lambda r: (r.order_id, r.gon_id)
    if sort == "customer":
        return lambda r: (reference_text(r).lower(), r.gon_id)
    return lambda r: r.gon_id


def visible_rows(rows: list[QueueRow], *, stage: str = "all", search: str = "", sort: str = "stage",
                 reverse: bool = False) -> list[QueueRow]:
    """Rows passing the stage filter and the search, in the chosen order."""
    picked = [r for r in rows if (stage == "all" or r.stage == stage) and matches(r, search.strip())]
    picked.sort(key=_sort_key(sort), reverse=reverse)
    return picked


def stage_counts(rows: list[QueueRow]) -> dict[str, int]:
    counts = {s: 0 for s in STAGES}
    for row in rows:
        counts[row.stage] = counts.get(row.stage, 0) + 1
    return counts
