"""Connection setup: every key, masking, auth switch, validation, save (0600), test connection."""

from __future__ import annotations

import stat
from pathlib import Path

from textual.widgets import Checkbox, Input, Select, Static

from bp_tui.cli.dashboard_cmd import demo_connector_factory
from bp_tui.config import load_config
from bp_tui.config.schema import KEYS
from bp_tui.ui.screens.queue import QueueScreen
from bp_tui.ui.screens.setup import SetupScreen
from bp_tui.ui.setup_form import LOOKUPS, SECTIONS, field_id, message_id, picker_id
from tests.ui.conftest import make_app, plain, settle


def test_layout_covers_every_config_key_once():
    laid_out = [dotted for _title, keys in SECTIONS for dotted in keys]
    assert sorted(laid_out) == sorted(k.dotted for k in KEYS)
    assert len(laid_out) == len(set(laid_out))


async def test_first_run_opens_setup_with_every_key(tmp_path: Path):
    app = make_app(config_path=tmp_path / "config.toml")
    async with app.run_test() as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        for key in KEYS:
            widget = app.screen.query_one(f"#{field_id(key.dotted)}")
            if key.kind is bool:
                assert isinstance(widget, Checkbox)
            elif key.choices:
                assert isinstance(widget, Select)
            else:
                assert isinstance(widget, Input)
                assert widget.password is key.secret, key.dotted


async def test_secrets_are_masked_on_screen(tmp_path: Path):
    app = make_app(config_path=tmp_path / "config.toml")
    async with app.run_test() as pilot:
        await pilot.pause()
        secret = app.screen.query_one(f"#{field_id('shipstation.api_secret')}", Input)
        secret.value = "s3cr3t-value"
        secret.focus()
        await pilot.pause()
        shot = app.export_screenshot()
        assert "s3cr3t-value" not in shot
        assert "•" * 12 in shot.replace("&#8226;", "•")


async def test_auth_mode_switches_credential_fields(tmp_path: Path):
    app = make_app(config_path=tmp_path / "config.toml")
    async with app.run_test() as pilot:
        await pilot.pause()
        screen = app.screen
        row = lambda dotted: screen.query_one(f"#row-{field_id(dotted)}")  # noqa: E731
        auth = screen.query_one(f"#{field_id('brightpearl.auth')}", Select)
        # A new setup starts on OAuth (what Brightpearl recommends), not the legacy password login.
        assert auth.value == "oauth"
        assert row("brightpearl.dev_ref").display and row("brightpearl.client_secret").display
        assert not row("brightpearl.password").display and not row("brightpearl.token").display
        auth.value = "password"
        await pilot.pause()
        assert row("brightpearl.password").display and not row("brightpearl.token").display
        assert not row("brightpearl.dev_ref").display
        auth.value = "staff_token"
        await pilot.pause()
        assert not row("brightpearl.username").display and not row("brightpearl.password").display
        assert row("brightpearl.app_ref").display and row("brightpearl.token").display


async def test_legacy_auth_modes_are_labelled_legacy(tmp_path: Path):
    app = make_app(config_path=tmp_path / "config.toml")
    async with app.run_test() as pilot:
        await pilot.pause()
        auth = app.screen.query_one(f"#{field_id('brightpearl.auth')}", Select)
        labels = {value: str(label) for label, value in auth._options}  # noqa: SLF001
        assert labels == {
            "oauth": "oauth (recommended)",
            "staff_token": "staff_token",
            "password": "password (legacy)",
            "account_token": "account_token (legacy)",
        }


async def test_an_existing_file_keeps_its_auth_mode(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(
        '[brightpearl]\naccount_code = "acme"\nusername = "ops@acme.example"\n'
    )  # no auth: password
    app = make_app(config=load_config(path), config_path=path)
    async with app.run_test() as pilot:
        await pilot.press("f3")
        await pilot.pause()
        assert app.screen.query_one(f"#{field_id('brightpearl.auth')}", Select).value == "password"
        assert app.screen.query_one(f"#row-{field_id('brightpearl.password')}").display


async def test_integration_url_is_derived_but_editable(tmp_path: Path):
    app = make_app(config_path=tmp_path / "config.toml")
    async with app.run_test() as pilot:
        await pilot.pause()
        url = app.screen.query_one(f"#{field_id('brightpearl.integration_url')}", Input)
        account = app.screen.query_one(f"#{field_id('brightpearl.account_code')}", Input)
        account.focus()
        await pilot.press(*"acme")
        await pilot.pause()
        assert url.placeholder == "https://euw1.brightpearlconnect.com/public-api/acme"
        url.value = "https://ws-use.brightpearl.com/public-api/acme"
        await pilot.pause()
        assert (
            app.screen.build_config().brightpearl.api_base
            == "https://ws-use.brightpearl.com/public-api/acme"
        )


async def test_bad_values_show_the_loader_reason_and_block_save(tmp_path: Path):
    path = tmp_path / "config.toml"
    app = make_app(config_path=path)
    async with app.run_test() as pilot:
        await pilot.pause()
        interval = app.screen.query_one(f"#{field_id('sync.interval_seconds')}", Input)
        interval.value = "5"
        channels = app.screen.query_one(f"#{field_id('brightpearl.channel_ids')}", Input)
        channels.value = "1, x"
        await pilot.pause()
        message = app.screen.query_one(f"#{message_id('sync.interval_seconds')}", Static)
        assert "must be at least 10" in plain(message)
        assert "ids separated by commas" in plain(
            app.screen.query_one(f"#{message_id('brightpearl.channel_ids')}", Static)
        )
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not path.exists()
        assert app.focused is channels  # the first bad field in form order


async def _fill_minimum(pilot, screen) -> None:  # type: ignore[no-untyped-def]
    values = {
        "brightpearl.account_code": "acme",
        "brightpearl.username": "ops@acme.example",
        "brightpearl.password": "pw-123",
        "brightpearl.channel_ids": "3, 5",
        "brightpearl.staff_contact_id": "4",
        "shipstation.api_key": "key-abc",
        "shipstation.api_secret": "secret-xyz",
        "sync.interval_seconds": "60",
    }
    screen.query_one(
        f"#{field_id('brightpearl.auth')}", Select
    ).value = "password"  # a new setup starts on oauth
    for dotted, value in values.items():
        screen.query_one(f"#{field_id(dotted)}", Input).value = value
    screen.query_one(f"#{field_id('brightpearl.import_when')}", Select).value = "packed"
    screen.query_one(f"#{field_id('shipstation.notify_customer')}", Checkbox).value = True
    await pilot.pause()


async def test_save_writes_a_valid_0600_config_and_opens_the_connection(tmp_path: Path):
    path = tmp_path / "cfg" / "config.toml"
    opened = []

    def factory(config):  # type: ignore[no-untyped-def]
        from bp_tui.service.connector import Connector

        connector = Connector.open(config, tmp_path / "state.sqlite3", config_path=path)
        opened.append(connector)
        return connector

    app = make_app(config_path=path, connector_factory=factory)
    async with app.run_test() as pilot:
        await pilot.pause()
        await _fill_minimum(pilot, app.screen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        saved = load_config(path)
        assert saved.brightpearl.account_code == "acme"
        assert saved.brightpearl.channel_ids == [3, 5]
        assert saved.brightpearl.import_when == "packed"
        assert saved.shipstation.notify_customer is True
        assert saved.sync.interval_seconds == 60
        assert "Saved to" in plain(app.screen.query_one("#save-result", Static))
        assert opened and app.connector is opened[0] and app.status.connected
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)


async def test_save_refuses_to_overwrite_a_bad_file(tmp_path: Path):
    path = tmp_path / "config.toml"
    app = make_app(config_path=path)
    async with app.run_test() as pilot:
        await pilot.pause()
        await _fill_minimum(pilot, app.screen)
        path.write_text("[brightpearl]\naccount_code = 'acme'\nbogus = 1\n")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert path.read_text() == "[brightpearl]\naccount_code = 'acme'\nbogus = 1\n"
        result = plain(app.screen.query_one("#save-result", Static))
        assert "refusing to overwrite" in result and "Not saved" in result


async def test_screen_keys_work_while_an_input_has_focus(tmp_path: Path):
    app = make_app(config_path=tmp_path / "config.toml")
    async with app.run_test() as pilot:
        await pilot.pause()
        account = app.screen.query_one(f"#{field_id('brightpearl.account_code')}", Input)
        account.focus()
        await pilot.press("q", "f4")  # q types into the input; F4 still switches
        await pilot.pause()
        assert account.value == "q"
        assert app.current_mode == "troubleshoot"
        await pilot.press("f3")
        await pilot.pause()
        assert app.current_mode == "setup" and app.is_running


async def test_test_connection_runs_checks_live_and_fills_pick_lists(env):
    app = make_app(env)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("ctrl+t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SetupScreen)
        ids = {r.id for r in screen.check_results}
        assert {"bp_auth", "ss_auth"} <= ids
        assert all(r.ok for r in screen.check_results if r.id in ("bp_auth", "ss_auth", "bp_reach"))
        text = plain(screen.query_one("#checks", Static))
        assert "✓ ok" in text and "Brightpearl credentials accepted" in text
        channels = screen.query_one(f"#{picker_id('brightpearl.channel_ids')}", Select)
        assert not channels.disabled
        options = channels._options  # noqa: SLF001
        picked = next(value for _label, value in options if value is not Select.NULL)
        channels.value = picked
        await pilot.pause()
        assert screen.query_one(f"#{field_id('brightpearl.channel_ids')}", Input).value == str(
            picked
        )
        assert set(LOOKUPS) >= {"shipstation.store_id"}


async def test_test_connection_reports_rejected_credentials(env):
    app = make_app(env, connector_factory=demo_connector_factory(env))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        app.screen.query_one(f"#{field_id('shipstation.api_secret')}", Input).value = "wrong-secret"
        await pilot.pause()
        await pilot.press("ctrl+t")
        await settle(pilot)
        results = {r.id: r for r in app.screen.check_results}
        assert results["ss_auth"].ok is False and results["ss_auth"].fix
        assert results["bp_auth"].ok is True
        text = plain(app.screen.query_one("#checks", Static))
        assert "✗ FAIL" in text


async def test_checkbox_state_reads_without_colour(tmp_path: Path):
    app = make_app(config_path=tmp_path / "config.toml")
    async with app.run_test(size=(100, 80)) as pilot:
        await pilot.pause()
        box = app.screen.query_one(f"#{field_id('shipstation.notify_customer')}", Checkbox)
        box.focus()
        await pilot.pause()
        assert box.render().plain.startswith("▐ ▌ email the customer")
        await pilot.press("space")
        await pilot.pause()
        assert box.value is True
        assert box.render().plain.startswith("▐✓▌ email the customer")


async def test_push_branding_updates_only_the_filled_fields_of_the_store(env):
    from tests.ui.conftest import settle

    store = env.ss.stores[env.ss.brightpearl_store_id]
    store["phone"] = "+44 20 7946 0000"
    app = make_app(env)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        app.screen.query_one("#b-company_name", Input).value = "Acme Wholesale"
        app.screen.query_one("#b-website", Input).value = "https://acme.example"
        await pilot.press("ctrl+b")
        await settle(pilot)
    assert store["companyName"] == "Acme Wholesale"
    assert store["website"] == "https://acme.example"
    assert store["phone"] == "+44 20 7946 0000"  # left empty in the form: kept
