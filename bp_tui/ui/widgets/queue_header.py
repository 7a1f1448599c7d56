"""The operator's header above the queue: notes per stage, how long the oldest note has waited
to be imported or shipped (flagged past LATE_AFTER by a word, a glyph and the ``-late`` CSS
class, never by colour alone), and the last 24 hours of imports and confirmations, hour by
hour, as text sparklines."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from bp_tui.core.health import LATE_AFTER
from bp_tui.core.stages import STAGE_GLYPHS, STAGE_PRIORITY
from bp_tui.core.types import QueueHeader
from bp_tui.ui.format import duration_words

__all__ = ["LATE_AFTER", "OperatorHeader", "counts_text", "oldest_text", "sparkline", "trend_text"]
LATE = "-late"  # app.tcss
BLOCKS = "▁▂▃▄▅▆▇█"


def counts_text(counts: dict[str, int], incidents: int = 0) -> Text:
    """``! 1 attention  ✗ 4 failed  ○ 2 ready …``: every stage that has notes, problems first;
    before them ``⚑ 2 incidents ·`` while alerts are open (a glyph and a word, not a colour)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if incidents:
        text.append(f"⚑ {incidents} incident{'s' if incidents != 1 else ''}", style="bold")
        text.append(" · ")
    shown = [
        s for s in (*STAGE_PRIORITY, *sorted(set(counts) - set(STAGE_PRIORITY))) if counts.get(s)
    ]
    if not shown:
        text.append("no notes yet")
    for n, stage in enumerate(shown):
        if n:
            text.append("  ")
        text.append(
            f"{STAGE_GLYPHS.get(stage, '?')} {counts[stage]:,} {stage}",
            style="bold" if stage in ("attention", "failed") else "",
        )
    return text


def sparkline(values: list[int]) -> str:
    """One mark per value: ▁ for none, ▂..█ scaled to the largest."""
    top = max(values, default=0)
    return "".join(BLOCKS[0] if v <= 0 else BLOCKS[1 + min(6, (v * 7 - 1) // top)] for v in values)


def oldest_text(header: QueueHeader, now: datetime) -> tuple[Text, bool]:
    """``oldest unshipped: 3 h 10 min``, and whether that note is late (past LATE_AFTER: then
    ``⚠ LATE`` before it, in 36 cells at most, what an 80-column header leaves it)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if header.oldest_unshipped is None:
        text.append("nothing waiting to be imported or shipped")
        return text, False
    late = now - header.oldest_unshipped > LATE_AFTER
    if late:
        text.append("⚠ LATE ", style="bold")
    text.append("oldest unshipped: ")
    text.append(duration_words(header.oldest_unshipped, now), style="bold" if late else "")
    return text, late


def trend_text(label: str, per_hour: list[int]) -> Text:
    """``imported  ▁▁▂▅█▃ 42``: one mark per hour of the last 24, then their sum."""
    return Text(
        f"{label:<10}{sparkline(per_hour)} {sum(per_hour):,}", no_wrap=True, overflow="ellipsis"
    )


class OperatorHeader(Vertical):
    DEFAULT_CSS = """
    OperatorHeader {
        height: 3;
        padding: 0 1;
    }
    OperatorHeader Static {
        height: 1;
    }
    OperatorHeader > Horizontal {
        height: 2;
    }
    OperatorHeader #queue-trend {
        width: 42;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.header: QueueHeader | None = None
        self.late = False

    def compose(self) -> ComposeResult:
        yield Static(id="queue-counts")
        with Horizontal():
            with Vertical():
                yield Static(id="queue-oldest")
                yield Static(
                    Text("last 24 h, one mark per hour:", no_wrap=True, overflow="ellipsis"),
                    id="queue-window",
                )
            with Vertical(id="queue-trend"):
                yield Static(id="queue-imported")
                yield Static(id="queue-confirmed")

    def show(self, header: QueueHeader | None, now: datetime) -> None:
        """A new reading of the state (``None``: no connection); or, with the same reading,
        the ages again at ``now``."""
        if (
            header is not None and header.imported_per_hour is None
        ):  # a live refresh: the 24 hours stand
            before = self.header
            header = replace(
                header,
                imported_per_hour=before.imported_per_hour if before else None,
                confirmed_per_hour=before.confirmed_per_hour if before else None,
            )
        self.header = header
        oldest = self.query_one("#queue-oldest", Static)
        if header is None:
            for name in ("#queue-counts", "#queue-oldest", "#queue-imported", "#queue-confirmed"):
                self.query_one(name, Static).update("", layout=False)
            oldest.remove_class(LATE)
            self.late = False
            return
        self.query_one("#queue-counts", Static).update(
            counts_text(header.counts, header.open_incidents), layout=False
        )
        text, self.late = oldest_text(header, now)
        oldest.update(text, layout=False)
        oldest.set_class(self.late, LATE)
        self.query_one("#queue-imported", Static).update(
            trend_text("imported", header.imported_per_hour or []), layout=False
        )
        self.query_one("#queue-confirmed", Static).update(
            trend_text("confirmed", header.confirmed_per_hour or []), layout=False
        )

    def tick(self, now: datetime) -> None:
        if self.header is not None:
            self.show(self.header, now)
