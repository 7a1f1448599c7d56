"""Setup's "Connect to Brightpearl" (issue 15): shown only for auth = "oauth"; it shows the
authorize address, takes the pasted address the browser was sent to, stores the tokens and runs
the connection test."""

from __future__ import annotations

from pathlib import Path

import httpx
from textual.widgets import Input, Select, Static

from bp_tui.sandbox.environment import build_environment
from bp_tui.ui.screens.setup import SetupScreen
from tests.ui.conftest import make_app, settle


def shown(static: Static) -> str:
    content = static.content
    return content if isinstance(content, str) else content.plain


async def browser(env, url: str) -> str:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=env.bp.app)) as http:
        return (await http.get(url)).headers["location"]


async def test_connect_shows_the_address_takes_the_paste_and_runs_the_connection_test(
    tmp_path: Path,
):
    env = build_environment(tmp_path / "env", orders=6, bp_auth="oauth")
    app = make_app(env)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SetupScreen) and screen.query_one("#oauth-connect").display
        screen.query_one("#oauth-start").press()
        await pilot.pause()
        url = shown(screen.query_one("#oauth-url", Static))
        assert url.startswith("https://brightpearl.sandbox/oauth/authorize/demo?response_type=code")
        assert app.focused is screen.query_one("#oauth-pasted", Input)
        pasted = screen.query_one("#oauth-pasted", Input)
        pasted.value = (await browser(env, url)).replace("state=", "state=forged")
        await pilot.press("enter")
        await settle(pilot)
        assert "does not match" in shown(screen.query_one("#oauth-result", Static))
        assert env.connector.tokens.load() is None
        pasted.value = await browser(env, url)
        await pilot.press("enter")
        await settle(pilot)
        assert "Connected to Brightpearl account demo" in shown(
            screen.query_one("#oauth-result", Static)
        )
        assert env.connector.tokens.load() is not None and pasted.value == ""
        ids = {r.id: r.ok for r in screen.check_results}
        assert ids["bp_oauth_token"] and ids["bp_oauth_refresh"] and ids["bp_auth"]
    await env.aclose()


async def test_connect_is_hidden_unless_auth_is_oauth(tmp_path: Path):
    app = make_app(config_path=tmp_path / "config.toml")
    async with app.run_test() as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#oauth-connect").display  # a new setup starts on oauth
        screen.query_one("#f-brightpearl-auth", Select).value = "staff_token"
        await pilot.pause()
        assert not screen.query_one("#oauth-connect").display
        screen.query_one("#f-brightpearl-auth", Select).value = "oauth"
        await pilot.pause()
        assert screen.query_one("#oauth-connect").display
        assert screen.query_one("#row-f-brightpearl-dev_ref").display
        assert not screen.query_one("#row-f-brightpearl-password").display
        screen.query_one("#oauth-start").press()  # nothing saved yet: no connector to connect with
        await pilot.pause()
        assert screen.oauth_login is None


async def test_a_bare_code_is_used_only_on_a_second_enter(tmp_path: Path):
    from urllib.parse import parse_qs, urlsplit

    env = build_environment(tmp_path / "env", orders=6, bp_auth="oauth")
    app = make_app(env)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        screen = app.screen
        result = screen.query_one("#oauth-result", Static)
        pasted = screen.query_one("#oauth-pasted", Input)

        async def show_address() -> str:
            screen.query_one("#oauth-start").press()
            await pilot.pause()
            url = shown(screen.query_one("#oauth-url", Static))
            return parse_qs(urlsplit(await browser(env, url)).query)["code"][0]

        async def enter(text: str) -> str:
            result.update("")
            pasted.value = text
            pasted.focus()
            await pilot.press("enter")
            await settle(pilot)
            return shown(result)

        code = await show_address()
        said = await enter(code)
        assert "bare code" in said and "press Enter again" in said and code not in said
        assert env.connector.tokens.load() is None  # refused once: nothing exchanged
        # another code is not the one confirmed: refused, and it is the one remembered now
        assert "press Enter again" in await enter(code + "x")
        assert env.connector.tokens.load() is None
        assert "press Enter again" in await enter(code)  # so this is a first Enter again
        # a new address forgets the code: the next Enter on it is a first one again
        earlier = await show_address()
        assert "press Enter again" in await enter(earlier)
        code = await show_address()
        assert "press Enter again" in await enter(earlier)
        assert "press Enter again" in await enter(code)
        assert env.connector.tokens.load() is None
        said = await enter(code)  # the second Enter on the same code, same address: used
        assert "Connected to Brightpearl account demo" in said
        assert env.connector.tokens.load() is not None and pasted.value == ""
    await env.aclose()
