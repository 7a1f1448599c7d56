"""Setup's staff-contact picker (issue 15): filled from Brightpearl's staff contacts after Test
connection, and a form without a staff contact takes the one the login belongs to."""

from __future__ import annotations

from textual.widgets import Input, Select

from bp_tui.cli.dashboard_cmd import demo_connector_factory
from bp_tui.ui.setup_form import field_id, picker_id
from tests.ui.conftest import make_app, settle

STAFF = "brightpearl.staff_contact_id"


def options(select: Select) -> list[tuple[str, object]]:
    return [(str(label), value) for label, value in select._options if value is not Select.NULL]  # noqa: SLF001


async def test_the_staff_picker_lists_the_staff_contacts(env):
    app = make_app(env, connector_factory=demo_connector_factory(env))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        picker = app.screen.query_one(f"#{picker_id(STAFF)}", Select)
        assert picker.disabled and options(picker) == []
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert not picker.disabled
        assert options(picker) == [
            ("4 Sam Picker <sam.picker@demo.example>", 4),
            ("203 Alex Admin <alex.admin@demo.example>", 203),
            (f"206 Jo Ops <{env.bp.staff_emails[206]}>", 206),
        ]
        field = app.screen.query_one(f"#{field_id(STAFF)}", Input)
        assert field.value == "203"  # chosen before: kept
        picker.value = 206
        await pilot.pause()
        assert field.value == "206"


async def test_no_staff_contact_yet_takes_the_login_s_own(env):
    own = env.bp.add_staff("Ops Login", env.bp.username.upper())  # emails compare case-blind
    app = make_app(env, connector_factory=demo_connector_factory(env))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        field = app.screen.query_one(f"#{field_id(STAFF)}", Input)
        field.value = "0"
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert field.value == str(own)
        assert app.screen.query_one(f"#{picker_id(STAFF)}", Select).value == own
        assert app.screen.build_config().brightpearl.staff_contact_id == own


async def test_a_token_does_not_say_whose_it_is_so_nothing_is_chosen(env):
    env.bp.add_staff("Ops Login", env.bp.username)
    env.config.brightpearl.auth = "staff_token"
    env.config.brightpearl.token = env.bp.staff_token
    env.connector.reload_config(env.config)
    lookups = await env.connector.lookups()
    assert lookups["login_staff"] == [] and len(lookups["staff"]) == 4
    env.config.brightpearl.auth = "password"
    env.connector.reload_config(env.config)
    assert [i for i, _ in (await env.connector.lookups())["login_staff"]] == [207]
