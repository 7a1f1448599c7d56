"""Quitting with unsaved changes in setup asks "Save, discard or stay?" (issue 15), keyboard only;
a save that fails is shown on the setup screen with the form as it was, never lost."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, Footer, Input, Static
from textual.widgets._footer import FooterKey

from bp_tui.config import load_config
from bp_tui.ui.screens.setup import SetupScreen
from bp_tui.ui.screens.unsaved import UnsavedChangesScreen
from bp_tui.ui.setup_form import field_id
from tests.ui.conftest import make_app, plain

ACCOUNT = field_id("brightpearl.account_code")


async def type_account(pilot, text: str = "acme") -> None:  # type: ignore[no-untyped-def]
    pilot.app.screen.query_one(f"#{ACCOUNT}", Input).value = text
    await pilot.pause()


async def test_nothing_changed_quits_at_once(tmp_path: Path):
    app = make_app(config_path=tmp_path / "config.toml")
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert not (tmp_path / "config.toml").exists()


async def test_stay_keeps_the_form_and_the_app(tmp_path: Path):
    app = make_app(config_path=tmp_path / "config.toml")
    async with app.run_test() as pilot:
        await pilot.pause()
        await type_account(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, UnsavedChangesScreen)
        assert "Save, discard or stay?" in " ".join(plain(s) for s in app.screen.query(Static))
        assert app.focused is app.screen.query_one("#unsaved-save", Button)
        footer = app.screen.query_one(Footer)  # the dialog's own keys, not setup's behind it
        keys = {k.key for k in footer.query(FooterKey)}
        assert keys == {"s", "d", "escape"}
        await pilot.press("ctrl+q")  # asking already: no second dialog
        await pilot.pause()
        assert len([s for s in app.screen_stack if isinstance(s, UnsavedChangesScreen)]) == 1
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, SetupScreen)
        assert app.screen.query_one(f"#{ACCOUNT}", Input).value == "acme"
    assert not (tmp_path / "config.toml").exists()


async def test_discard_quits_without_writing(tmp_path: Path):
    app = make_app(config_path=tmp_path / "config.toml")
    async with app.run_test() as pilot:
        await pilot.pause()
        await type_account(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert not app.is_running
    assert not (tmp_path / "config.toml").exists()


async def test_save_writes_the_file_then_quits(tmp_path: Path):
    path = tmp_path / "config.toml"
    app = make_app(config_path=path)
    async with app.run_test() as pilot:
        await pilot.pause()
        await type_account(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("enter")  # the focused button: Save
        await pilot.pause()
        assert not app.is_running
    assert load_config(path).brightpearl.account_code == "acme"


async def test_a_failed_save_is_shown_in_setup_and_nothing_is_lost(tmp_path: Path):
    blocker = tmp_path / "cfg"
    blocker.write_text("not a folder")
    path = blocker / "config.toml"
    app = make_app(config_path=path)
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        await type_account(pilot)
        await pilot.press("f2")  # quit from another screen: setup's form still counts
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, UnsavedChangesScreen)
        await pilot.press("s")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, SetupScreen)
        assert f"cannot write {path}:" in plain(app.screen.query_one("#save-result", Static))
        assert app.screen.query_one(f"#{ACCOUNT}", Input).value == "acme"
        assert blocker.read_text() == "not a folder"
        assert app.screen.has_unsaved_changes()


async def test_after_a_save_quitting_asks_nothing(tmp_path: Path):
    path = tmp_path / "config.toml"
    app = make_app(config_path=path)
    async with app.run_test() as pilot:
        await pilot.pause()
        await type_account(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not app.screen.has_unsaved_changes()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running
