"""The operator's header: notes per stage (problems first), the oldest note still to be imported
or shipped (past four hours: a word, a glyph and the -late class, not colour alone), and a text
sparkline of notes imported and confirmed per hour over the last 24 hours."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from textual.widgets import Static

from bp_tui.core.types import QueueHeader
from bp_tui.ui.widgets.queue_header import LATE, counts_text, oldest_text, sparkline, trend_text
from tests.ui.conftest import make_app, plain, settle

NOW = datetime(2026, 3, 10, 15, 40, tzinfo=UTC)


def header(
    oldest: datetime | None,
    imported: list[int] | None = None,
    confirmed: list[int] | None = None,
    **counts: int,
) -> QueueHeader:
    return QueueHeader(
        counts=counts,
        oldest_unshipped=oldest,
        imported_per_hour=imported or [0] * 24,
        confirmed_per_hour=confirmed or [0] * 24,
    )


def test_counts_put_problems_first_with_glyph_and_word():
    text = counts_text(
        {"confirmed": 990_012, "failed": 4, "imported": 40, "attention": 1, "waiting": 0}
    ).plain
    assert text == "! 1 attention  ✗ 4 failed  → 40 imported  ✓ 990,012 confirmed"
    assert counts_text({}).plain == "no notes yet"


def test_sparkline_scales_to_the_busiest_hour_and_marks_empty_hours():
    assert sparkline([0, 1, 2, 4, 8]) == "▁▂▃▅█"
    assert sparkline([0] * 24) == "▁" * 24
    assert sparkline([3, 3]) == "██"
    assert trend_text("imported", [0] * 23 + [7]).plain == f"imported  {'▁' * 23}█ 7"
    assert trend_text("confirmed", [1_000] * 24).plain == f"confirmed {'█' * 24} 24,000"


def test_oldest_unshipped_past_four_hours_is_late_in_words():
    text, late = oldest_text(header(NOW - timedelta(hours=3, minutes=10)), NOW)
    assert not late and text.plain == "oldest unshipped: 3 h 10 min"
    text, late = oldest_text(header(NOW - timedelta(hours=4, minutes=1)), NOW)
    assert late and text.plain == "⚠ LATE oldest unshipped: 4 h 1 min"
    text, late = oldest_text(header(NOW - timedelta(hours=12, minutes=59)), NOW)
    assert late and len(text.plain) <= 36
    text, late = oldest_text(header(None), NOW)
    assert not late and text.plain == "nothing waiting to be imported or shipped"


async def test_the_header_over_the_sandbox_counts_and_flags_a_late_note(env):
    later = [datetime.now(UTC)]
    app = make_app(env)
    app.clock = lambda: later[0]
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        counts = env.connector.stage_counts()
        shown = plain(screen.query_one("#queue-counts", Static))
        for stage, count in counts.items():
            assert f"{count} {stage}" in shown
        oldest = screen.query_one("#queue-oldest", Static)
        imported = counts["imported"]
        assert not oldest.has_class(LATE) and "LATE" not in plain(oldest)
        assert (
            plain(screen.query_one("#queue-imported", Static)).strip()
            == f"imported  {'▁' * 23}█ {imported}"
        )
        assert "last 24 h, one mark per hour" in plain(screen.query_one("#queue-window", Static))
        later[0] = datetime.now(UTC) + timedelta(hours=5)  # nobody labelled them for five hours
        await pilot.pause(1.2)  # the header's clock ticks every second
        assert oldest.has_class(LATE)
        assert plain(oldest).startswith("⚠ LATE oldest unshipped: 5 h")


async def test_a_live_refresh_reads_the_counts_not_the_24_hours(env):
    """While a sync runs the header re-reads the counts and the oldest note at every refresh, but
    not the day of imports and confirmations (tens of milliseconds at a million notes): that
    comes with the full reload when the sync ends; the sparkline shown meanwhile stays."""
    app = make_app(env)
    app.clock = lambda: datetime.now(UTC)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        store = env.connector.store
        reads: list[datetime] = []
        real = store.queue.activity_by_hour

        def counted(since):  # type: ignore[no-untyped-def]
            reads.append(since)
            return real(since)

        store.queue.activity_by_hour = counted
        shown = plain(screen.query_one("#queue-imported", Static))
        assert shown.strip().endswith(f" {env.connector.stage_counts()['imported']}")
        failed = next(g for g, r in store.gons().items() if r.stage == "failed")
        store.save_gons([dataclasses.replace(store.gons([failed])[failed], stage="attention")])
        screen.refresh_table(stable=True)  # as a live update during a sync
        assert reads == [] and plain(screen.query_one("#queue-imported", Static)) == shown
        assert "1 attention" in plain(screen.query_one("#queue-counts", Static))
        screen.refresh_table()  # the sync ended
        assert len(reads) == 1 and plain(screen.query_one("#queue-imported", Static)) == shown


async def test_a_keystroke_in_the_search_reads_the_view_not_the_header(env):
    """Search, filter and sort change the view, not the state: each keystroke reads the page, and
    the header (counts, the oldest note, the day's activity) stays as it was read."""
    app = make_app(env)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        reads: list[bool] = []
        real = env.connector.queue_header

        def counted(now, *, activity=True):  # type: ignore[no-untyped-def]
            reads.append(activity)
            return real(now, activity=activity)

        env.connector.queue_header = counted
        counts = plain(screen.query_one("#queue-counts", Static))
        await pilot.press("slash", "5", "0", "0", "enter", "f", "o")
        await pilot.pause()
        assert screen.search == "500" and screen.stage_filter != "all" and screen.sort != "stage"
        assert reads == [] and plain(screen.query_one("#queue-counts", Static)) == counts
        screen.refresh_table()  # the state changed (a sync ended, a retry)
        assert reads == [True]


def test_open_incidents_lead_the_counts_in_words():
    text = counts_text({"failed": 4}, incidents=2).plain
    assert text == "⚑ 2 incidents · ✗ 4 failed"
    assert counts_text({"failed": 4}, incidents=1).plain.startswith("⚑ 1 incident ·")
    assert counts_text({"failed": 4}, incidents=0).plain == "✗ 4 failed"
