"""Setup detects which ShipStation API a key belongs to (issue 16): Test connection asks both
APIs first (Connector.detect_shipstation_api), sets api_version, hides the secret for a V2 key and
says what V2 lacks; then the checks run with the detected version."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select, Static

from bp_tui.cli.dashboard_cmd import demo_connector_factory
from bp_tui.sandbox.environment import build_environment
from bp_tui.ui.setup_form import field_id
from tests.ui.conftest import make_app, plain, settle


def row_shown(screen, dotted: str) -> bool:  # type: ignore[no-untyped-def]
    return bool(screen.query_one(f"#row-{field_id(dotted)}").display)


async def open_setup(pilot):  # type: ignore[no-untyped-def]
    await pilot.press("f3")
    await pilot.pause()
    return pilot.app.screen


async def test_a_v2_key_switches_the_form_to_v2_and_hides_the_secret(tmp_path: Path):
    env = build_environment(tmp_path / "env", orders=4, ss_api="v2")
    app = make_app(env, connector_factory=demo_connector_factory(env))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_setup(pilot)
        version = screen.query_one(f"#{field_id('shipstation.api_version')}", Select)
        version.value = "v1"  # as a V1 form with a V2 key pasted in would be
        await pilot.pause()
        assert (
            row_shown(screen, "shipstation.api_secret")
            and not screen.query_one("#ss-v2-note").display
        )
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert version.value == "v2" and screen.ss_api_version == "v2"
        assert not row_shown(screen, "shipstation.api_secret")
        note = screen.query_one("#ss-v2-note", Static)
        assert note.display and "no stores endpoint" in plain(note) and "V1 only" in plain(note)
        detected = plain(screen.query_one("#ss-detected", Static))
        assert "the key is a V2 key" in detected and "API version set to v2" in detected
        checks = {r.id: r for r in screen.check_results}
        assert checks["ss_auth"].title == "ShipStation V2 key accepted" and checks["ss_auth"].ok
        assert (
            checks["ss_reach"].detail == "API V2 at https://shipstation.sandbox"
        )  # its own address kept
        assert screen.build_config().shipstation.api_version == "v2"
        screen.query_one("#b-company_name", Input).value = "Acme"
        await pilot.press("ctrl+b")
        await settle(pilot)
        said = [n.message for n in app._notifications]  # noqa: SLF001
        assert "Branding push is V1 only: ShipStation API V2 has no stores endpoint." in said
        assert not any("failed" in str(n.title) for n in app._notifications)  # noqa: SLF001 - said, not crashed
    await env.aclose()


async def test_a_v1_pair_switches_the_form_to_v1(env):
    app = make_app(env, connector_factory=demo_connector_factory(env))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_setup(pilot)
        version = screen.query_one(f"#{field_id('shipstation.api_version')}", Select)
        version.value = "v2"
        await pilot.pause()
        assert (
            not row_shown(screen, "shipstation.api_secret")
            and screen.query_one("#ss-v2-note").display
        )
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert version.value == "v1"
        assert (
            row_shown(screen, "shipstation.api_secret")
            and not screen.query_one("#ss-v2-note").display
        )
        assert "V1 pair" in plain(screen.query_one("#ss-detected", Static))
        checks = {r.id: r for r in screen.check_results}
        assert (
            checks["ss_auth"].title == "ShipStation credentials accepted" and checks["ss_auth"].ok
        )
        assert checks["ss_reach"].detail == "API V1 at https://shipstation.sandbox"


async def test_a_vendor_address_follows_the_detected_version(env):
    app = make_app(env, connector_factory=demo_connector_factory(env))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_setup(pilot)
        url = screen.query_one(f"#{field_id('shipstation.base_url')}", Input)
        url.value = "https://api.shipstation.com"
        screen._default_base_url("v1")  # noqa: SLF001
        assert url.value == "https://ssapi.shipstation.com"
        screen._default_base_url("v2")  # noqa: SLF001
        assert url.value == "https://api.shipstation.com"
        url.value = "https://proxy.example/ss"
        screen._default_base_url("v1")  # noqa: SLF001
        assert url.value == "https://proxy.example/ss"


async def test_a_key_neither_api_takes_is_said_and_the_choice_kept(env):
    app = make_app(env, connector_factory=demo_connector_factory(env))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_setup(pilot)
        screen.query_one(f"#{field_id('shipstation.api_key')}", Input).value = "nobody-s-key"
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert screen.query_one(f"#{field_id('shipstation.api_version')}", Select).value == "v1"
        assert "neither API accepted the key" in plain(screen.query_one("#ss-detected", Static))
        checks = {r.id: r for r in screen.check_results}
        assert checks["ss_auth"].ok is False and "create an API key pair" in checks["ss_auth"].fix
        assert "nobody-s-key" not in plain(screen.query_one("#checks", Static))
