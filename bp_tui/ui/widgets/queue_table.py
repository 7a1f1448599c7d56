"""The order queue's table: one row per goods-out note, updated in place.

A live update of a 10,000-row queue must cost little, so the table remembers the cells it
shows and touches only the cells that changed. While a sync runs (``stable=True``) rows stay
where they are and new ones are appended, so the cursor does not jump under the operator;
the full re-sort comes with the next plain :meth:`QueueTable.show`.

The queue screen decides what is visible (stage filter, search, sort) and calls down:
:meth:`QueueTable.show` with the visible rows in order, :meth:`QueueTable.apply_changes`
with rows the state reported as changed. Selection goes up as DataTable's own messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from bp_tui.core.types import QueueRow
from bp_tui.ui.format import reads_the_same_as_markup, table_cell
from bp_tui.ui.queue_model import COLUMNS, row_cells

Cells = tuple[object, ...]
PROBLEM_STAGES = ("failed", "attention")


def queue_cells(row: QueueRow, now: datetime) -> Cells:
    """The cells of one row: the stage as styled Text, the rest inert (it comes from the APIs)."""
    cells = row_cells(row, now)
    stage = Text(cells[0], style="bold" if row.stage in PROBLEM_STAGES else "")
    if reads_the_same_as_markup("".join(cells[1:])):  # the usual row: one check, plain strings
        return (stage, *cells[1:])
    return (stage, *map(table_cell, cells[1:]))


class QueueTable(DataTable[object]):
    """The queue's rows, keyed by GON id, with in-place diffing of cells."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        for key, header, width in COLUMNS:
            self.add_column(header, key=key, width=width)
        self._shown: list[int] = []  # GON ids in display order
        self._cells: dict[int, Cells] = {}  # what each shown row displays

    # ------------------------------------------------------------------ reading
    @property
    def shown(self) -> list[int]:
        """The GON ids of the rows, top to bottom (a copy)."""
        return list(self._shown)

    @property
    def selected_gon(self) -> int | None:
        """The GON id under the cursor, or None when the table is empty."""
        row = self.cursor_row
        if not self._shown or row < 0 or row >= len(self._shown):
            return None
        return self._shown[row]

    # ------------------------------------------------------------------ writing
    def show(self, rows: Sequence[QueueRow], now: datetime, *, stable: bool = False) -> None:
        """Show ``rows`` (already filtered and sorted), touching only what changed.

        With ``stable`` the rows already shown keep their places (those no longer visible
        go) and new ones are appended; otherwise the table takes the given order, keeping
        the cursor on the same GON when it is still shown.
        """
        ids = [r.gon_id for r in rows]
        cells = {r.gon_id: queue_cells(r, now) for r in rows}
        kept: list[int] | None = None
        if stable and self._shown:
            visible = set(ids)
            for gon_id in [g for g in self._shown if g not in visible]:
                self.remove_row(str(gon_id))
            kept = [g for g in self._shown if g in visible]
            known = set(kept)
            ids = kept + [g for g in ids if g not in known]
        if ids[: len(self._shown)] == self._shown:
            self._update_and_append(self._shown, ids, cells)
        elif kept is not None:
            self._update_and_append(kept, ids, cells)
        else:
            current = self.selected_gon
            self.clear()
            for gon_id in ids:
                self.add_row(*cells[gon_id], key=str(gon_id))
            if current is not None and current in cells:
                self.move_cursor(row=ids.index(current))
        self._shown, self._cells = ids, cells

    def apply_changes(self, changes: Iterable[tuple[QueueRow, bool]], now: datetime) -> None:
        """Rows the state reports as changed, each with whether it passes the current view.

        Shown rows are updated in place (or removed when they no longer pass); rows that
        newly pass are appended. Order is kept: this is the cheap update while a sync runs.
        """
        shown = set(self._shown)
        for row, visible in changes:
            gon_id = row.gon_id
            if gon_id in shown and visible:
                self._update_row(gon_id, queue_cells(row, now))
            elif gon_id in shown:
                self.remove_row(str(gon_id))
                self._shown.remove(gon_id)
                shown.discard(gon_id)
                self._cells.pop(gon_id, None)
            elif visible:
                cells = queue_cells(row, now)
                self.add_row(*cells, key=str(gon_id))
                self._shown.append(gon_id)
                shown.add(gon_id)
                self._cells[gon_id] = cells

    def _update_and_append(self, present: list[int], ids: list[int], cells: dict[int, Cells]) -> None:
        """Update the rows in ``present`` (a prefix of ``ids``), then add the rest of ``ids``."""
        for gon_id in present:
            self._update_row(gon_id, cells[gon_id])
        for gon_id in ids[len(present):]:
            self.add_row(*cells[gon_id], key=str(gon_id))

    def _update_row(self, gon_id: int, new: Cells) -> None:
        old = self._cells.get(gon_id)
        self._cells[gon_id] = new
        if new == old:
            return
        for index, (key, _header, _width) in enumerate(COLUMNS):
            if old is None or new[index] != old[index]:
                self.update_cell(str(gon_id), key, new[index])
