"""The queue's header line: last sync, next sync, API budget, running or not."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from bp_tui.ui.format import age, budget_text, clock_time, countdown
from bp_tui.ui.status import SyncStatus


def status_text(status: SyncStatus, now: datetime) -> Text:
    text = Text()
    if not status.connected:
        text.append("✗ not connected", style="bold")
        text.append(" · open Setup (F3), fill in both sides and save (ctrl+s)")
        return text
    if status.running:
        text.append(f"⟳ SYNCING ({status.kind})", style="bold")
        if status.step:
            text.append(f" {status.step}")
            if status.total:
                text.append(f" {status.done}/{status.total}")
    else:
        text.append("■ idle", style="bold")
    last = status.last_run_at
    text.append(" · last ")
    text.append(clock_time(last) if last is None else f"{clock_time(last)} ({age(last, now)} ago)")
    text.append(" · next ")
    if status.paused:
        text.append("PAUSED", style="bold")
    elif status.running:
        text.append("after this one")
    else:
        text.append(countdown(status.next_sync_at, now))
    text.append(" · API left BP ")
    text.append(budget_text(status.budget.brightpearl_remaining))
    text.append(" SS ")
    text.append(budget_text(status.budget.shipstation_remaining))
    if status.error and not status.running:
        text.append(" · ✗ last sync failed", style="bold")
    return text


class StatusLine(Static):
    """Re-rendered from the app's SyncStatus and the app clock.

    One line tall whatever it says, so an update repaints it without a layout pass (it is
    updated many times a second while a sync runs).
    """

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        width: 1fr;
    }
    """

    def show(self, status: SyncStatus, now: datetime) -> None:
        self.update(status_text(status, now), layout=False)
