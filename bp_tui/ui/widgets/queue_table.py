"""The order queue's table: one row per goods-out note, read from the state a page at a time.

The queue can hold a million notes, so the table never holds them: it knows how many the
view has (``row_count``), keeps the rows around the screen (pages of PAGE rows, fetched when
the cursor or the scroll position comes near them) and draws only the lines on screen (the
Line API). Scrolling, PageDown, End and jumping to a row fetch a page or two; filtering,
search and sorting are the state's (the screen hands the table a :class:`QueueSource`).

While a sync runs, :meth:`QueueTable.refresh_rows` re-reads only the rows on screen and
repaints only the lines that changed, so rows stay where they are under the operator; the
full re-read (:meth:`QueueTable.load`) comes when the sync ends, keeping the cursor on its GON.
"""

from __future__ import annotations

from typing import Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from bp_tui.core.types import QueuePage, QueueRow
from bp_tui.ui.format import Clock, system_clock
from bp_tui.ui.queue_model import Column, column_widths, columns_for, row_cells

PAGE = 100  # rows per read of the state
MARGIN = 50  # rows kept ready above and below the screen
KEEP = 10 * PAGE  # rows kept around the screen at most; farther ones are dropped
PROBLEM_STAGES = ("failed", "attention")


class QueueSource(Protocol):
    """What the table reads: one view of the queue (stage filter, search and sort applied)."""

    def page(self, offset: int, limit: int) -> QueuePage: ...

    def rows_of(self, gon_ids: list[int]) -> dict[int, QueueRow]: ...

    def position(self, gon_id: int) -> int | None: ...


class EmptySource:
    def page(self, offset: int, limit: int) -> QueuePage:
        return QueuePage(rows=[], offset=offset, total=0)

    def rows_of(self, gon_ids: list[int]) -> dict[int, QueueRow]:
        return {}

    def position(self, gon_id: int) -> int | None:
        return None


class QueueTable(ScrollView, can_focus=True):
    """The queue's rows, a window of them at a time."""

    DEFAULT_CSS = """
    QueueTable {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        & > .queue-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .queue-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .queue-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .queue-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """
    COMPONENT_CLASSES = {"queue-table--header", "queue-table--even-row", "queue-table--cursor"}
    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "select", "Select", show=False),
    ]

    class Selected(Message):
        """Enter (or a click) on the row under the cursor."""

        def __init__(self, table: QueueTable, gon_id: int) -> None:
            super().__init__()
            self.table = table
            self.gon_id = gon_id

        @property
        def control(self) -> QueueTable:
            return self.table

    def __init__(
        self,
        *,
        now: Clock = system_clock,
        id: str | None = None,  # noqa: A002
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._now = now
        self._source: QueueSource = EmptySource()
        self._rows: dict[int, QueueRow] = {}  # view index -> row, around the screen
        self._total = 0
        self.capped = False  # the view is a search that matched more notes than it looks at
        self.cursor_row = 0
        self.reads = 0  # pages read from the state (for tests and the bench)

    # ------------------------------------------------------------------ reading
    @property
    def row_count(self) -> int:
        """Notes in the view (not only those held)."""
        return self._total

    @property
    def shown(self) -> list[int]:
        """GON ids of the rows held, top to bottom (the screen and the margin around it;
        every row when the view is small)."""
        return [self._rows[i].gon_id for i in sorted(self._rows)]

    @property
    def selected_gon(self) -> int | None:
        row = self.row_at(self.cursor_row)
        return row.gon_id if row is not None else None

    def row_at(self, index: int) -> QueueRow | None:
        """The row at ``index`` of the view (read from the state if not held)."""
        if not 0 <= index < self._total:
            return None
        if index not in self._rows:
            self._fetch(index, index)
        return self._rows.get(index)

    def row_for(self, gon_id: int) -> QueueRow | None:
        """A held row by its GON id."""
        return next((r for r in self._rows.values() if r.gon_id == gon_id), None)

    def get_row_at(self, index: int) -> list[str]:
        """The cells the row at ``index`` shows (whole, before cutting to the column width)."""
        row = self.row_at(index)
        return list(row_cells(row, self._now(), self.columns)) if row is not None else []

    @property
    def columns(self) -> tuple[Column, ...]:
        return columns_for(self.size.width)

    @property
    def body_height(self) -> int:
        """Lines for rows (the header takes one)."""
        return max(1, self.size.height - 1)

    # ------------------------------------------------------------------ loading
    def load(self, source: QueueSource, *, keep_gon: int | None = None) -> None:
        """Show ``source`` (a new view, or the same view read again): rows are read around the
        cursor, which stays on ``keep_gon`` when the view holds it, goes to the first row when
        it does not, and stays in its place without ``keep_gon``."""
        self._source = source
        self._rows.clear()
        target = source.position(keep_gon) if keep_gon is not None else None
        first = source.page(0, 0)  # the view's size: counts, or a bounded count for a search
        self._total, self.capped = first.total, first.capped
        place = target if target is not None else 0 if keep_gon is not None else self.cursor_row
        self.cursor_row = max(0, min(place, self._total - 1))
        self.virtual_size = Size(self.size.width, self._total + 1)
        if target is not None or not self._cursor_visible():
            self._scroll_cursor_into_view(center=target is not None)
        self._ensure_rows()
        self.refresh()

    def refresh_rows(self) -> int:
        """Re-read the rows on screen (a live update while a sync runs): rows stay in place,
        the lines that changed are repainted. Returns how many rows changed."""
        top = int(self.scroll_offset.y)
        on_screen = {
            i: self._rows[i] for i in range(top, top + self.body_height) if i in self._rows
        }
        if not on_screen:
            return 0
        fresh = self._source.rows_of([r.gon_id for r in on_screen.values()])
        changed = 0
        for index, row in on_screen.items():
            new = fresh.get(row.gon_id)
            if new is not None and new != row:
                self._rows[index] = new
                self.refresh_line(index + 1)
                changed += 1
        return changed

    def _fetch(self, first: int, last: int) -> None:
        """Hold rows ``first``..``last`` (whole pages), dropping rows far from them."""
        for page in range(max(0, first) // PAGE, min(last, self._total - 1) // PAGE + 1):
            start = page * PAGE
            if all(i in self._rows for i in range(start, min(start + PAGE, self._total))):
                continue
            got = self._source.page(start, PAGE)
            self.reads += 1
            for offset, row in enumerate(got.rows):
                self._rows[start + offset] = row
            if got.total != self._total:  # the state changed under us: the next load settles it
                self._total = got.total
                self.virtual_size = Size(self.size.width, self._total + 1)
        if len(self._rows) > KEEP:
            low, high = first - KEEP // 2, last + KEEP // 2
            for index in [i for i in self._rows if not low <= i <= high]:
                del self._rows[index]

    def _ensure_rows(self) -> None:
        top = int(self.scroll_offset.y)
        self._fetch(
            min(top, self.cursor_row) - MARGIN,
            max(top + self.body_height, self.cursor_row) + MARGIN,
        )

    # ------------------------------------------------------------------ the cursor
    def move_cursor(self, row: int) -> None:
        if self._total == 0:
            return
        old, self.cursor_row = self.cursor_row, max(0, min(row, self._total - 1))
        if not self._cursor_visible():
            self._scroll_cursor_into_view()
        self._ensure_rows()
        self.refresh_line(old + 1)
        self.refresh_line(self.cursor_row + 1)

    def _cursor_visible(self) -> bool:
        top = int(self.scroll_offset.y)
        return top <= self.cursor_row < top + self.body_height

    def _scroll_cursor_into_view(self, *, center: bool = False) -> None:
        top = int(self.scroll_offset.y)
        if center:
            top = self.cursor_row - self.body_height // 2
        elif self.cursor_row < top:
            top = self.cursor_row
        elif self.cursor_row >= top + self.body_height:
            top = self.cursor_row - self.body_height + 1
        top = max(0, min(top, self._total - self.body_height))
        self.scroll_to(y=top, animate=False, force=True, immediate=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._ensure_rows()

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - self.body_height)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + self.body_height)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self._total - 1)

    def action_select(self) -> None:
        gon = self.selected_gon
        if gon is not None:
            self.post_message(self.Selected(self, gon))

    async def _on_click(self, event: events.Click) -> None:
        index = int(self.scroll_offset.y) + event.y - 1
        if event.y < 1 or not 0 <= index < self._total:
            return
        if index == self.cursor_row:
            self.action_select()
        else:
            self.move_cursor(index)

    def _on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, self._total + 1)
        self._ensure_rows()

    # ------------------------------------------------------------------ drawing
    def render_line(self, y: int) -> Strip:
        width = self.size.width
        columns = self.columns
        widths = column_widths(columns, width)
        base = self.rich_style
        if y == 0:
            header = base + self.get_component_rich_style("queue-table--header")
            return self._strip(
                [c.header for c in columns], widths, [header] * len(columns), header, width
            )
        index = int(self.scroll_offset.y) + y - 1
        if index >= self._total:
            return Strip.blank(width, base)
        style = base
        if index % 2:
            style += self.get_component_rich_style("queue-table--even-row")
        if index == self.cursor_row:
            style += self.get_component_rich_style("queue-table--cursor")
        row = self._rows.get(index)
        if row is None:  # not read yet (a scroll faster than the reads): a placeholder line
            return self._strip(["…"], [width], [style], style, width)
        cells = row_cells(row, self._now(), columns)
        styles = [style] * len(columns)
        if row.stage in PROBLEM_STAGES:
            styles[0] = style + Style(bold=True)
        return self._strip(list(cells), widths, styles, style, width)

    @staticmethod
    def _strip(
        cells: list[str], widths: list[int], styles: list[Style], fill: Style, width: int
    ) -> Strip:
        segments: list[Segment] = []
        for n, (text, cells_wide, style) in enumerate(zip(cells, widths, styles, strict=True)):
            if n:
                segments.append(Segment(" ", fill))
            if cell_len(text) > cells_wide:
                text = set_cell_size(text, max(0, cells_wide - 1)) + "…"
            segments.append(Segment(set_cell_size(text, cells_wide), style))
        return Strip(segments).adjust_cell_length(width, fill)
