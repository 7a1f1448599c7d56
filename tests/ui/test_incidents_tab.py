"""The troubleshooting screen's Incidents tab (key i) lists open incidents, then resolved ones,
each with what became of its message; the queue's header counts the open ones. 80x24, keys only."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable, Static, TabbedContent

from bp_tui.core.health import Condition
from bp_tui.core.records import utcnow
from bp_tui.state.alerts import AlertLedger
from tests.ui.conftest import make_app, plain


async def test_incidents_tab_lists_open_then_resolved(env):
    ledger = AlertLedger(env.connector.store)
    now = utcnow()

    def cond(subject: str, active: bool) -> Condition:
        return Condition(
            "stuck",
            subject,
            active=active,
            title=f"bp-tui acme: notes in {subject} [b]x[/b]",
            body="b",
            resolved_title="r",
            resolved_body="r",
        )

    ledger.apply([cond("failed", True), cond("attention", True)], now - timedelta(minutes=5))
    ledger.apply([cond("attention", False)], now)
    app = make_app(env)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "⚑ 1 incident" in plain(app.screen.query_one("#queue-counts", Static))
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert screen.query_one(TabbedContent).active == "tab-incidents"
        table = screen.query_one("#incidents-table", DataTable)
        assert table.has_focus and table.row_count == 2
        rows = [[str(c) for c in table.get_row_at(n)] for n in range(2)]
        assert rows[0][0] == "⚑ open" and rows[0][2] == "pending" and "[b]x[/b]" in rows[0][3]
        assert rows[1][0] == "✓ resolved" and "attention" in rows[1][3]
