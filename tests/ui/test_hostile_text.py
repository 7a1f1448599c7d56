"""Text from the APIs is shown inert: markup is never parsed, no hyperlink is made, and no
control sequence reaches the terminal; the dashboard keeps running."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from bp_tui.errors import inert as cli_inert
from bp_tui.ui.format import PlainCell, clean, inert, table_cell
from bp_tui.ui.screens.queue import DiagnosisScreen, QueueScreen
from bp_tui.ui.screens.troubleshoot import TroubleshootScreen
from bp_tui.ui.setup_form import field_id, message_id
from tests.hostile_chars import HARMLESS, HOSTILE
from tests.ui.conftest import make_app, plain, settle

OSC_TITLE = "\x1b]0;pwned\x07"  # sets the terminal's title
CLEAR = "\x1b[2J"  # clears the terminal
NAMES = ["[/]", "[link=https://x]y[/link]", "[bold]Loud", f"Title{OSC_TITLE}", f"Wipe{CLEAR}"]
# Starts with what the queue's 30-column reason cell shows in full.
REASON = f"[/]{OSC_TITLE}[bold] ShipStation: [link=https://evil]click[/link]{CLEAR}\x9b31m"
DETAIL = f"[/]{OSC_TITLE}"
WAREHOUSE = f"[link=https://x]Main[/link]{CLEAR}"


# --------------------------------------------------------------------------- units
def test_clean_shows_control_characters_escaped():
    assert clean(OSC_TITLE) == "\\x1b]0;pwned\\x07"
    assert clean(CLEAR) == "\\x1b[2J"
    assert clean("a\x9bb\x7fc\u202ed") == "a\\x9bb\\x7fc\\u202ed"  # C1 CSI, DEL, bidi override
    assert clean("a\nb\tc\rd") == "a\\x0ab\\x09c\\x0dd"
    assert clean("a\nb\tc\rd", multiline=True) == "a\nb\tc\\x0dd"
    assert clean("Zoë Ångström [/] #1000") == "Zoë Ångström [/] #1000"


def test_inert_text_and_cells_are_never_markup():
    for name in NAMES:
        text = inert(name)
        assert isinstance(text, Text) and not text.spans and "\x1b" not in text.plain
        cell = PlainCell(name).__rich__()
        assert not cell.spans and cell.plain == clean(name)
    assert inert("[bold]x[/bold]").plain == "[bold]x[/bold]"
    assert (
        PlainCell("[/]") == "[/]"
        and PlainCell("a") == PlainCell("a")
        and str(PlainCell("\x1b")) == "\\x1b"
    )


def test_table_cells_stay_strings_only_when_markup_cannot_touch_them():
    ordinary = "Zoë Ångström #1000 (Leeds DC) 1Z999AA10123456784"
    assert table_cell(ordinary) is ordinary
    assert clean(ordinary) is ordinary  # nothing to escape: no copy
    for hostile in [*NAMES, ":thumbs_up:", "a\u202eb", "a\x85b"]:
        cell = table_cell(hostile)
        assert isinstance(cell, PlainCell) and cell == clean(hostile)


@pytest.mark.parametrize("char,what,escaped", HOSTILE, ids=[what for _, what, _ in HOSTILE])
def test_every_hostile_character_of_the_shared_list_is_escaped_on_the_dashboard(
    char, what, escaped
):
    assert clean(f"a{char}b") == clean(f"a{char}b", multiline=True) == f"a{escaped}b"
    assert inert(f"a{char}b").plain == f"a{escaped}b"
    cell = table_cell(f"a{char}b")
    assert isinstance(cell, PlainCell) and cell.__rich__().plain == f"a{escaped}b"
    assert cli_inert(f"a{char}b") == clean(f"a{char}b")  # the same escape as the CLI's


def test_the_dashboard_keeps_harmless_text():
    assert clean(HARMLESS) is HARMLESS and table_cell(HARMLESS) is HARMLESS


# ------------------------------------------------------------------ the dashboard
def terminal_output(widget: Widget) -> tuple[str, list[str]]:
    """What ``widget`` sends to the terminal: its text and the hyperlinks in it."""
    width, height = widget.size
    text, links = [], []
    for strip in widget.render_lines(Region(0, 0, width, height)):
        for segment in strip:
            text.append(segment.text)
            if segment.style is not None and segment.style.link:
                links.append(segment.style.link)
        text.append("\n")
    return "".join(text), links


def words(text: str) -> str:
    return " ".join(text.split())


def assert_inert(widget: Widget) -> str:
    shown, links = terminal_output(widget)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert not links
    return shown


def hostile_sandbox(env) -> None:  # type: ignore[no-untyped-def]
    for n, order in enumerate(env.bp.orders.values()):
        order["parties"]["delivery"]["addressFullName"] = NAMES[n % len(NAMES)]
        order["reference"] = f"#{n}[/]" if n % 2 else f"#{n}{CLEAR}"
    for warehouse in env.bp.warehouses.values():
        warehouse["name"] = WAREHOUSE


async def test_hostile_names_references_and_reasons_show_as_text(env):
    hostile_sandbox(env)
    app = make_app(env)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen) and app.is_running
        rows = env.connector.queue_rows()  # every note of the state
        customers = {r.customer for r in rows}
        assert set(NAMES) <= customers  # the state holds the names as the API sent them

        # A note ShipStation refused: its error text (and a history detail) now full of markup.
        failed = next(r for r in rows if r.stage == "failed" and r.reason.startswith("ShipStation"))
        store = env.connector.store
        record = store.gon(failed.gon_id)
        record.reason = REASON
        store.save_gons([record])
        audit = store.audit.record_intent(
            "shipstation", "createorder", gon_id=failed.gon_id, detail=DETAIL
        )
        store.audit.settle_intent(audit, "failed", DETAIL)
        app.queue_version += 1
        await pilot.pause()

        # The queue: every hostile name and reference as text, the table keeps running.
        table = screen.table
        cells = [str(c) for i in range(table.row_count) for c in table.get_row_at(i)]
        for name in NAMES:
            assert any(clean(name) in c for c in cells), name
        assert any(clean(REASON) == c for c in cells)
        await pilot.press("slash", *str(failed.gon_id), "enter")
        await pilot.pause()
        assert screen.table.shown == [failed.gon_id]
        shown = assert_inert(table)
        assert "[/]\\x1b]0;pwned\\x07[bold]" in shown  # the reason cell
        assert (
            f"{clean(failed.reference)} / {clean(failed.customer)}"[:15] in shown
        )  # ref / customer cell

        # The detail pane: both sides and the history.
        await pilot.press("enter")
        await pilot.pause()
        detail = screen.query_one("#detail-text", Static)
        assert_inert(detail)
        text = plain(detail)
        assert clean(failed.reference) in text and clean(failed.customer) in text
        assert clean(DETAIL) in text and "[link=https://evil]click[/link]" in text
        await pilot.press("escape")

        # The diagnosis of that note quotes the reason and the warehouse name.
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DiagnosisScreen)
        diagnosis = app.screen.query_one("#diagnosis-text", Static)
        shown = assert_inert(diagnosis)
        text = plain(diagnosis)
        assert "Verdict:" in text and "[link=https://evil]click[/link]" in text
        assert words(clean(REASON)) in words(text)
        assert clean(WAREHOUSE) in text
        assert "\\x1b]0;pwned\\x07" in shown
        await pilot.press("escape")
        await pilot.pause()

        # Recent errors (troubleshooting) group by the same reason.
        await pilot.press("f4", "x")
        await pilot.pause()
        assert isinstance(app.screen, TroubleshootScreen)
        errors = app.screen.query_one("#errors-table", DataTable)
        assert any(errors.get_row_at(i)[0] == clean(REASON) for i in range(errors.row_count))
        assert_inert(errors)

        # The diagnosis by id on the troubleshooting screen renders the same way.
        await pilot.press("w", *str(failed.gon_id), "enter")
        await settle(pilot)
        assert "[link=https://evil]click[/link]" in plain(
            app.screen.query_one("#why-result", Static)
        )
        assert_inert(app.screen.query_one("#why-result", Static))

        # Live checks and the pick lists quote warehouse names.
        await pilot.press("t")
        await settle(pilot)
        assert_inert(app.screen.query_one("#doctor-checks", Static))
        await pilot.press("f3", "ctrl+t")
        await settle(pilot)
        assert_inert(app.screen.query_one("#checks", Static))
        assert app.is_running


async def test_a_screenshot_of_the_hostile_queue_has_no_control_characters(env):
    hostile_sandbox(env)
    app = make_app(env)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await settle(pilot)
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\x07" not in svg
        assert "\\x1b" in svg and "[/]" in svg
        assert app.is_running


async def test_markup_typed_into_the_setup_form_is_shown_as_typed(tmp_path):
    app = make_app(config_path=tmp_path / "config.toml")
    async with app.run_test() as pilot:
        await pilot.pause()
        app.screen.query_one(f"#{field_id('sync.interval_seconds')}", Input).value = "[/]"
        await pilot.pause()
        message = app.screen.query_one(f"#{message_id('sync.interval_seconds')}", Static)
        assert "not '[/]'" in plain(message)
        await pilot.press("ctrl+s")  # refused: the reason goes into a notice too
        await pilot.pause()
        assert app.is_running
