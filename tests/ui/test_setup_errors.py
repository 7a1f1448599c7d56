"""Connection setup when saving fails (disk full, read-only or unusable folder, connection that
cannot open): a message naming the file and the cause, the app keeps running, and no secret
appears on screen or in a crash report."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import pytest
from textual.widgets import Input, Static

import bp_tui.ui.screens.setup as setup_screen
from bp_tui.errors import StateError
from bp_tui.ui.screens.setup import SetupScreen
from bp_tui.ui.setup_form import field_id
from tests.ui.conftest import make_app, plain
from tests.ui.test_setup import _fill_minimum

# What _fill_minimum types into the secret fields.
SECRETS = ("pw-123", "key-abc", "secret-xyz")


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    """Everything the terminal shows, toasts included, plus the notices' own texts."""
    notices = " ".join(f"{n.title} {n.message}" for n in app._notifications)  # noqa: SLF001
    return app.export_screenshot().replace("&#160;", " ") + notices


def said(widget: Static) -> str:
    """The widget's text with line wraps undone."""
    return " ".join(plain(widget).split())


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def _no_space(fd: int) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _read_only(*args: object, **kwargs: object) -> None:
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/etc/bp-tui/.config-x.tmp")


@pytest.mark.parametrize(
    "where, broken, cause",
    [
        ("os.fsync", _no_space, "No space left on device (ENOSPC)"),  # the disk fills while writing
        ("tempfile.mkstemp", _read_only, "Permission denied (EACCES)"),  # the folder is read-only
    ],
)
async def test_a_failed_save_names_the_file_and_the_cause(
    tmp_path: Path, monkeypatch, where, broken, cause
):
    path = tmp_path / "cfg" / "config.toml"
    app = make_app(config_path=path)
    async with app.run_test(size=(100, 60), notifications=True) as pilot:
        await pilot.pause()
        await _fill_minimum(pilot, app.screen)
        module, name = where.split(".")
        monkeypatch.setattr({"os": os, "tempfile": tempfile}[module], name, broken)
        await pilot.press("ctrl+s")
        await pilot.pause()
        monkeypatch.undo()
        assert app.is_running and isinstance(app.screen, SetupScreen)
        result = said(app.screen.query_one("#save-result", Static))
        assert "Not saved" in result and f"cannot write {path}: {cause}" in result
        assert "The file on disk is unchanged" in result
        assert any(n.title == "Not saved" and str(path) in n.message for n in app._notifications)  # noqa: SLF001
        assert not path.exists() and not list(path.parent.glob(".config-*"))
        assert app.connector is None
        assert_no_secret(screen_text(app))


async def test_a_config_folder_that_is_a_file_is_a_message_not_a_crash(tmp_path: Path):
    blocker = tmp_path / "cfg"
    blocker.write_text("not a folder")
    path = blocker / "config.toml"
    app = make_app(config_path=path)
    async with app.run_test(size=(100, 60), notifications=True) as pilot:
        await pilot.pause()
        await _fill_minimum(pilot, app.screen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.is_running
        result = said(app.screen.query_one("#save-result", Static))
        assert f"cannot write {path}:" in result and "(EEXIST)" in result
        assert blocker.read_text() == "not a folder"
        assert_no_secret(screen_text(app))


async def test_the_old_file_is_kept_when_replacing_it_fails(tmp_path: Path, monkeypatch):
    path = tmp_path / "config.toml"
    app = make_app(config_path=path)
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        await _fill_minimum(pilot, app.screen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        before = path.read_text()
        app.screen.query_one(f"#{field_id('sync.interval_seconds')}", Input).value = "90"
        monkeypatch.setattr(os, "replace", lambda *a: _read_only())
        await pilot.press("ctrl+s")
        await pilot.pause()
        monkeypatch.undo()
        assert app.is_running
        assert path.read_text() == before and not list(tmp_path.glob(".config-*"))
        assert f"cannot write {path}: Permission denied (EACCES)" in said(
            app.screen.query_one("#save-result", Static)
        )


async def test_saved_but_the_connection_cannot_open_is_a_message(tmp_path: Path):
    path = tmp_path / "config.toml"

    def factory(config):  # type: ignore[no-untyped-def]
        raise StateError(f"{tmp_path}/state.sqlite3: state database is damaged; move it aside")

    app = make_app(config_path=path, connector_factory=factory)
    async with app.run_test(size=(100, 60), notifications=True) as pilot:
        await pilot.pause()
        await _fill_minimum(pilot, app.screen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.is_running and path.exists()
        result = said(app.screen.query_one("#save-result", Static))
        assert "Saved to" in result and "the connection could not be opened" in result
        assert "state database is damaged; move it aside" in result
        assert_no_secret(screen_text(app))


async def test_an_unexpected_error_on_save_is_redacted(tmp_path: Path, monkeypatch):
    def leaky(config, path):  # type: ignore[no-untyped-def]
        raise ValueError(f"cannot encode {config.brightpearl.password!r} for {path}")

    monkeypatch.setattr(setup_screen, "save_settings", leaky)
    app = make_app(config_path=tmp_path / "config.toml")
    async with app.run_test(size=(100, 60), notifications=True) as pilot:
        await pilot.pause()
        await _fill_minimum(pilot, app.screen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.is_running
        result = said(app.screen.query_one("#save-result", Static))
        assert "Not saved" in result and "ValueError: cannot encode '********'" in result
        assert_no_secret(screen_text(app))


async def test_a_crash_report_from_the_setup_screen_shows_no_local_variables(
    tmp_path: Path, monkeypatch, capsys
):
    """Textual's crash report lists each frame's local variables; the dashboard's does not, so
    a secret being typed (here into the password field) cannot end up in it."""

    def broken_parser(key, text):  # type: ignore[no-untyped-def]
        raise RuntimeError("the form parser broke")

    app = make_app(config_path=tmp_path / "config.toml")
    with pytest.raises(RuntimeError, match="the form parser broke"):
        async with app.run_test() as pilot:
            await pilot.pause()
            monkeypatch.setattr(setup_screen, "parse_text", broken_parser)
            app.screen.query_one(f"#{field_id('brightpearl.password')}", Input).value = SECRETS[0]
            await pilot.pause()
    report = capsys.readouterr().err
    assert "RuntimeError" in report and "the form parser broke" in report
    assert SECRETS[0] not in report
