"""The detail pane lists every ShipStation order that carries a note (split parts, the order
it was merged into), with each one's status and tracking."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from bp_tui.core.types import OrderPart, QueueRow
from bp_tui.ui.widgets.detail import detail_renderable


def text_of(row: QueueRow) -> str:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(detail_renderable(row, [], datetime(2026, 3, 1, tzinfo=UTC)))
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_every_part_is_listed_with_its_status_and_tracking():
    row = QueueRow(
        gon_id=50001,
        order_id=100001,
        stage="imported",
        ss_order_id=470000001,
        ss_order_number="100001",
        reason="split into 2 in ShipStation: 1 of 2 labelled",
        parts=[
            OrderPart(470000001, "100001", "split", "awaiting_shipment"),
            OrderPart(470000009, "100001", "split", "shipped", "1Z999PART2"),
        ],
    )
    text = text_of(row)
    assert "split into 2 in ShipStation: 1 of 2 labelled" in text
    assert "470000001" in text and "470000009" in text and "1Z999PART2" in text
    assert text.count("split part") == 2 and "awaiting_shipment" in text


def test_a_merged_note_names_the_order_it_was_merged_into_and_plain_notes_show_no_parts():
    merged = QueueRow(
        gon_id=50002,
        order_id=100002,
        stage="confirmed",
        ss_order_id=470000002,
        parts=[OrderPart(470000001, "100001", "merged", "shipped", "1Z999MERGED")],
    )
    assert "merged into" in text_of(merged) and "1Z999MERGED" in text_of(merged)
    plain = QueueRow(gon_id=50003, order_id=100003, stage="imported")
    assert "split or merged" not in text_of(plain)
