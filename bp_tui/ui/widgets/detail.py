"""The queue's detail pane: both sides' data of one GON and its history from the audit log.

Names, references, tracking numbers, reasons and history details come from the APIs: they
are shown inert.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from bp_tui.core.types import HistoryEntry, QueueRow
from bp_tui.ui.format import age, clean, inert, stage_label, timestamp


def _side(title: str, pairs: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    table.add_row(Text(title, style="bold"), "")
    for name, value in pairs:
        table.add_row(name, inert(value or "-", multiline=True))
    return table


def detail_renderable(row: QueueRow, history: list[HistoryEntry], now: datetime) -> RenderableType:
    head = Text()
    head.append(f"GON {row.gon_id}", style="bold")
    head.append(f"  {stage_label(row.stage)}")
    if row.reason:
        head.append(f"  — {clean(row.reason)}")
    brightpearl = _side(
        "Brightpearl",
        [
            ("GON", str(row.gon_id)),
            ("order", str(row.order_id)),
            ("reference", row.reference),
            ("customer", row.customer),
            ("warehouse", row.warehouse or (str(row.warehouse_id) if row.warehouse_id else "")),
            ("channel", str(row.channel_id) if row.channel_id else ""),
            ("GON state", row.gon_state),
        ],
    )
    shipstation = _side(
        "ShipStation",
        [
            ("order id", str(row.ss_order_id) if row.ss_order_id else ""),
            ("order no.", row.ss_order_number),
            ("tracking", row.tracking),
            ("attempts", str(row.attempts)),
            ("next try", timestamp(row.next_attempt_at) if row.next_attempt_at else ""),
            (
                "first seen",
                f"{timestamp(row.first_seen)} ({age(row.first_seen, now)} ago)"
                if row.first_seen
                else "",
            ),
            ("updated", timestamp(row.updated_at) if row.updated_at else ""),
        ],
    )
    sides = Table.grid(padding=(0, 3), expand=True)
    sides.add_column(ratio=1)
    sides.add_column(ratio=1)
    sides.add_row(brightpearl, shipstation)
    parts = Table(
        title="ShipStation orders carrying this note (split or merged there)",
        title_justify="left",
        expand=True,
        show_edge=False,
        pad_edge=False,
    )
    for column in ("order id", "order no.", "how", "status", "tracking"):
        parts.add_column(column, no_wrap=column != "tracking")
    for part in row.parts:
        how = "merged into" if part.kind == "merged" else "split part"
        parts.add_row(
            str(part.ss_order_id), part.order_number, how, part.status or "-", part.tracking or "-"
        )
    log = Table(
        title="History (audit log)",
        title_justify="left",
        expand=True,
        show_edge=False,
        pad_edge=False,
    )
    log.add_column("when (UTC)", no_wrap=True)
    log.add_column("api", no_wrap=True)
    log.add_column("action")
    log.add_column("result")
    log.add_column("detail", ratio=1)
    for entry in history:
        log.add_row(
            timestamp(entry.at),
            inert(entry.api),
            inert(entry.action),
            inert(entry.result),
            inert(entry.detail, multiline=True),
        )
    if not history:
        log.add_row("-", "", "no writes to either API yet", "", "")
    return Group(head, sides, parts, log) if row.parts else Group(head, sides, log)
