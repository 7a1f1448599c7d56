"""The overview's table: one row per profile (notes per stage, the oldest unshipped note, the
last sync, open incidents). Every flag is a glyph or a word, never colour alone; text from a
state is shown as text, never markup."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from bp_tui.core.stages import STAGE_GLYPHS, STAGE_PRIORITY
from bp_tui.service.overview import ProfileLine
from bp_tui.ui.format import duration_words
from bp_tui.ui.widgets.queue_header import LATE_AFTER

NO_COUNT = "–"  # an unknown number (no incidents kept yet)
# (title, width): 80 columns hold all five with their one-cell padding on each side
COLUMNS = (
    ("Profile", 14),
    ("Notes per stage", 24),
    ("Oldest", 11),
    ("Last sync", 13),
    ("Incid.", 6),
)
LEGEND = "\n".join(
    (  # three lines of 80 columns at most
        "  ".join(f"{STAGE_GLYPHS[s]} {s}" for s in STAGE_PRIORITY[:4]),
        "  ".join(f"{STAGE_GLYPHS[s]} {s}" for s in STAGE_PRIORITY[4:]),
        f"Oldest ⚠ late (over {int(LATE_AFTER.total_seconds() // 3600)} h) · "
        "Last sync ✗ notes still failing · "
        f"{NO_COUNT} not known",
    )
)


def stage_text(line: ProfileLine) -> Text:
    """``!1 ✗4 ○2 →3 ✓40``: each stage with notes, problems first."""
    if line.problem:
        return Text(line.problem, no_wrap=True, overflow="ellipsis")
    shown = [s for s in STAGE_PRIORITY if line.counts.get(s)]
    if not shown:
        return Text("no notes yet" if line.synced else "not synced yet", no_wrap=True)
    text = Text(no_wrap=True, overflow="ellipsis")
    for n, stage in enumerate(shown):
        text.append(
            ("" if n == 0 else " ") + f"{STAGE_GLYPHS[stage]}{line.counts[stage]:,}",
            style="bold" if stage in ("attention", "failed") else "",
        )
    return text


def oldest_cell(line: ProfileLine, now: datetime) -> Text:
    if line.oldest_unshipped is None:
        return Text("–")
    late = now - line.oldest_unshipped > LATE_AFTER
    return Text(
        ("⚠ " if late else "") + duration_words(line.oldest_unshipped, now),
        no_wrap=True,
        style="bold" if late else "",
    )


def last_sync_cell(line: ProfileLine, now: datetime) -> Text:
    if line.last_sync_at is None:
        return Text("never")
    words = duration_words(line.last_sync_at, now)
    return Text(("✗ " if line.last_failed else "") + words, no_wrap=True)


def incidents_cell(line: ProfileLine) -> Text:
    if line.open_incidents is None:
        return Text(NO_COUNT)
    return Text(
        f"⚠ {line.open_incidents}" if line.open_incidents else "0",
        style="bold" if line.open_incidents else "",
    )


class ProfileTable(DataTable):
    """Up/down choose a profile; Enter opens it (``DataTable.RowSelected``, keyed by its name)."""

    DEFAULT_CSS = """
    ProfileTable {
        height: auto;
        max-height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)

    def on_mount(self) -> None:
        for title, width in COLUMNS:
            self.add_column(title, width=width, key=title)

    def show(self, lines: list[ProfileLine], now: datetime) -> None:
        """Replace the rows, keeping the cursor on the same profile."""
        keep = self.cursor_row
        selected = None
        if 0 <= keep < self.row_count:
            selected = self.coordinate_to_cell_key(Coordinate(keep, 0)).row_key.value
        self.clear()
        for line in lines:
            self.add_row(
                Text(line.name, no_wrap=True, overflow="ellipsis"),
                stage_text(line),
                oldest_cell(line, now),
                last_sync_cell(line, now),
                incidents_cell(line),
                key=line.name,
            )
        names = [line.name for line in lines]
        if selected in names:
            self.move_cursor(row=names.index(selected))
