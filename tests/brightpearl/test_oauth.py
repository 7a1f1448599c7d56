"""Brightpearl OAuth from the client's side (issue 15), over the in-process sandbox: the login
(authorize URL, paste-back, state check, exchange), refresh before expiry and once on a 401,
write-before-use, single-flight refreshes within a process and across token stores, a death
between the token answer and the write, revoked grants, wrong secrets, the API base."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bp_tui.apiclient import Backoff
from bp_tui.brightpearl.client import BrightpearlClient
from bp_tui.brightpearl.oauth import (
    HINT_BAD_CLIENT,
    HINT_CODE_USED,
    HINT_REDIRECT,
    HINT_REVOKED,
    BrightpearlLogin,
    LoginError,
    authorize_url,
    read_answer,
)
from bp_tui.config.model import BrightpearlSettings
from bp_tui.errors import ApiAuthError, ApiError
from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox
from bp_tui.state.tokens import TokenStore
from tests.brightpearl.helpers import seeded

START = 1_900_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class Spy(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox, noting each API call's URL, token, and the token stored on
    disk at the moment it was sent."""

    def __init__(self, sb: BrightpearlSandbox, store: TokenStore | None = None) -> None:
        self.inner = httpx.ASGITransport(app=sb.app)
        self.store = store
        self.calls: list[tuple[str, str | None, str | None]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization")
        if auth:
            stored = self.store.load() if self.store is not None else None
            self.calls.append(
                (str(request.url), auth[len("Bearer ") :], stored.access_token if stored else None)
            )
        return await self.inner.handle_async_request(request)


def settings(sb: BrightpearlSandbox, **overrides) -> BrightpearlSettings:
    return BrightpearlSettings(**{**sb.oauth_settings(), **overrides})


def store_at(tmp_path: Path) -> TokenStore:
    return TokenStore.beside_state(tmp_path / "state.sqlite3")


def login_for(sb, store, clock=None, **overrides) -> BrightpearlLogin:
    return BrightpearlLogin(
        settings(sb, **overrides),
        store,
        transport=httpx.ASGITransport(app=sb.app),
        clock=clock or Clock(),
        backoff=Backoff(attempts=3, base=0.001, cap=0.01),
    )


async def browser_answer(sb: BrightpearlSandbox, url: str) -> str:
    """What the operator's browser is sent to after approving (the sandbox approves at once)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sb.app)) as browser:
        answer = await browser.get(url)
    assert answer.status_code == 302
    return answer.headers["location"]


async def logged_in(sb, store, clock=None, **overrides):
    login = login_for(sb, store, clock, **overrides)
    return await login.finish(await browser_answer(sb, login.start()))


def client_for(sb, store, clock, *, transport=None, **overrides) -> BrightpearlClient:
    return BrightpearlClient(
        settings(sb, **overrides),
        transport=transport or httpx.ASGITransport(app=sb.app),
        tokens=store,
        clock=clock,
        backoff=Backoff(attempts=3, base=0.001, cap=0.01),
    )


def api_statuses(sb) -> list[int]:
    return [e[3] for e in sb.request_log if "/public-api/" in e[2]]


# ---------------------------------------------------------------------- the login


def test_the_authorize_url_is_the_one_spec_names_with_a_fresh_state():
    sb = BrightpearlSandbox()
    s = BrightpearlSettings(
        account_code="acme",
        auth="oauth",
        app_ref="acme_bptui",
        redirect_uri="https://ops.acme.example/cb?x=1",
    )
    url = authorize_url(s, "st")
    assert url == (
        "https://oauth.brightpearl.com/authorize/acme?response_type=code&client_id=acme_bptui"
        "&redirect_uri=https%3A%2F%2Fops.acme.example%2Fcb%3Fx%3D1&state=st"
    )
    login = login_for(sb, TokenStore(Path("/nonexistent/never-written.json")))
    assert login.problems() == []


async def test_the_full_login_url_paste_back_exchange(tmp_path):
    sb, store, clock = seeded(orders=2), store_at(tmp_path), Clock()
    login = login_for(sb, store, clock)
    url = login.start()
    assert url.startswith(
        f"{sb.oauth_settings()['oauth_url']}/authorize/demo?response_type=code&client_id=demo_bptui"
    )
    state = parse_qs(urlsplit(url).query)["state"][0]
    assert (
        len(state) >= 32
        and state
        != parse_qs(urlsplit(login_for(sb, store_at(tmp_path / "b")).start()).query)["state"][0]
    )
    assert store.load_pending().state == state
    location = await browser_answer(sb, url)
    pasted = "  " + location[:40] + "\n" + location[40:] + "\n"  # copied from a wrapped line
    tokens = await login.finish(pasted)
    assert store.load() == tokens and store.load_pending() is None
    # Brightpearl grants 7 days (604800 s); a lifetime is taken as at most a day (refreshed sooner)
    assert tokens.expires_at == START + 86400 and tokens.api_domain == "euw1.brightpearlconnect.com"
    assert tokens.installation_instance_id == "13" and tokens.account_code == "demo"
    async with client_for(sb, store, clock) as client:
        assert len(await client.list_warehouses()) == 3
    assert sb.oauth.tally()["exchanges"] == 1


async def test_a_bare_code_is_exchanged_only_without_the_state_check(tmp_path):
    sb, store = seeded(orders=1), store_at(tmp_path)
    location = await browser_answer(sb, login_for(sb, store).start())
    code = parse_qs(urlsplit(location).query)["code"][0]
    assert read_answer(code) == (code, None)
    with pytest.raises(LoginError, match="paste the whole address") as refused:
        await login_for(sb, store).finish(code)  # issue 23: a bare code skips the state check
    assert "--no-state-check" in str(refused.value) and sb.oauth.tally().get("exchanges", 0) == 0
    await login_for(sb, store).finish(code, no_state_check=True)
    assert store.load() is not None


async def test_a_state_mismatch_is_refused_before_any_exchange(tmp_path):
    sb, store = seeded(orders=1), store_at(tmp_path)
    login = login_for(sb, store)
    location = await browser_answer(sb, login.start())
    forged = location.replace("state=", "state=x")
    with pytest.raises(LoginError) as info:
        await login.finish(forged)
    assert "does not match" in str(info.value)
    assert sb.oauth.tally().get("exchanges", 0) == 0 and store.load() is None
    assert store.load_pending() is not None  # the right answer can still be pasted
    await login.finish(location)
    assert store.load() is not None


async def test_an_answer_with_no_login_waiting_or_too_old_is_refused(tmp_path):
    sb, store, clock = seeded(orders=1), store_at(tmp_path), Clock()
    login = login_for(sb, store, clock)
    location = await browser_answer(sb, login.start())
    clock.now += 16 * 60
    with pytest.raises(LoginError) as info:
        await login.finish(location)
    assert "no login is waiting" in str(info.value)


@pytest.mark.parametrize(
    "pasted, words",
    [
        ("", "nothing was pasted"),
        (
            "http://localhost/bp-tui/oauth-callback?error=access_denied&state=s",
            "did not grant access (access_denied)",
        ),
        ("http://localhost/bp-tui/oauth-callback?state=s", "has no code"),
        ("http://localhost/bp-tui/oauth-callback?code=abc", "has no state"),
        ("cöde-with-non-ascii", "neither the address"),
        ("ab", "neither the address"),
    ],
)
def test_unusable_answers_say_what_is_wrong(pasted, words):
    with pytest.raises(LoginError) as info:
        read_answer(pasted)
    assert words in str(info.value)


async def test_a_wrong_client_secret_is_refused_and_nothing_is_stored(tmp_path):
    sb, store = seeded(orders=1), store_at(tmp_path)
    login = login_for(sb, store, client_secret="wrong-client-5ecret")
    with pytest.raises(ApiAuthError) as info:
        await login.finish(await browser_answer(sb, login.start()))
    assert info.value.code == "invalid_client" and info.value.hint == HINT_BAD_CLIENT
    assert "brightpearl.client_secret" in str(info.value) and "wrong-client-5ecret" not in str(
        info.value
    )
    assert store.load() is None


async def test_a_used_code_and_a_changed_redirect_uri_are_explained(tmp_path):
    sb, store = seeded(orders=1), store_at(tmp_path)
    location = await browser_answer(sb, login_for(sb, store).start())
    code = parse_qs(urlsplit(location).query)["code"][0]
    with pytest.raises(ApiAuthError) as other:
        await login_for(sb, store, redirect_uri="https://ops.example/elsewhere").finish(
            code, no_state_check=True
        )
    await login_for(sb, store).finish(code, no_state_check=True)
    with pytest.raises(ApiAuthError) as again:
        await login_for(sb, store).finish(code, no_state_check=True)
    assert other.value.code == "invalid_grant" and other.value.hint == HINT_REDIRECT
    assert again.value.code == "invalid_grant" and again.value.hint == HINT_CODE_USED


# ---------------------------------------------------------------------- calls and refreshes


async def test_calls_carry_bearer_app_ref_and_dev_ref_and_wrong_refs_are_not_refreshed(tmp_path):
    sb, store, clock = seeded(orders=1), store_at(tmp_path), Clock()
    await logged_in(sb, store, clock)
    seen: list[httpx.Headers] = []
    inner = httpx.ASGITransport(app=sb.app)

    async def note(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return await inner.handle_async_request(request)

    class Noting(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            return await note(request)

    async with client_for(sb, store, clock, transport=Noting()) as client:
        await client.list_channels()
    assert seen[0]["authorization"] == f"Bearer {store.load().access_token}"
    assert (
        seen[0]["brightpearl-app-ref"] == "demo_bptui"
        and seen[0]["brightpearl-dev-ref"] == sb.oauth.dev_ref
    )
    async with client_for(sb, store, clock, dev_ref="not-my-dev-ref") as client:
        with pytest.raises(ApiAuthError) as info:
            await client.list_channels()
    assert "brightpearl.dev_ref" in str(info.value) and sb.oauth.tally().get("refreshes", 0) == 0


async def test_the_token_is_refreshed_shortly_before_it_expires_and_stored_before_use(tmp_path):
    sb, store, clock = seeded(orders=1), store_at(tmp_path), Clock()
    first = await logged_in(sb, store, clock)
    spy = Spy(sb, store)
    async with client_for(sb, store, clock, transport=spy) as client:
        await client.list_warehouses()
        clock.now = first.expires_at - 90  # outside the margin: no refresh yet
        await client.list_warehouses()
        assert sb.oauth.tally().get("refreshes", 0) == 0
        clock.now = first.expires_at - 30  # inside the 60 s margin
        await client.list_warehouses()
    assert sb.oauth.tally()["refreshes"] == 1 and 401 not in api_statuses(sb)
    assert [sent for _url, sent, _stored in spy.calls] == [first.access_token] * 2 + [
        store.load().access_token
    ]
    assert all(
        sent == stored for _url, sent, stored in spy.calls
    )  # every token was on disk before it was sent
    assert store.load().access_token != first.access_token


async def test_a_401_expired_refreshes_once_and_retries_once(tmp_path):
    sb, store, clock = seeded(orders=1), store_at(tmp_path), Clock()
    await logged_in(sb, store, clock)
    async with client_for(sb, store, clock) as client:
        sb.oauth.expire_access()
        assert len(await client.list_warehouses()) == 3
        assert api_statuses(sb) == [401, 200] and sb.oauth.tally()["refreshes"] == 1
        sb.oauth.check_access = lambda token: "Authorization token expired"  # every token refused
        with pytest.raises(ApiAuthError):
            await client.list_warehouses()
    assert api_statuses(sb) == [401, 200, 401, 401] and sb.oauth.tally()["refreshes"] == 2


async def test_concurrent_calls_of_one_client_refresh_once(tmp_path):
    sb, store, clock = seeded(orders=1), store_at(tmp_path), Clock()
    first = await logged_in(sb, store, clock)
    sb.oauth.hold_s = 0.1
    async with client_for(sb, store, clock) as client:
        clock.now = first.expires_at
        results = await asyncio.gather(*(client.list_channels() for _ in range(6)))
    assert all(len(r) == 3 for r in results) and sb.oauth.tally()["refreshes"] == 1


async def test_two_token_stores_on_one_file_refresh_once_and_both_end_with_working_tokens(tmp_path):
    """The dashboard and a headless sync: two clients, each with its own store on the same file,
    both finding the token due at once. The file lock lets one refresh; the other, after taking
    the lock, reads the file again and uses the new pair instead of refreshing a second time."""
    sb, clock = seeded(orders=1), Clock()
    first = await logged_in(sb, store_at(tmp_path), clock)
    sb.oauth.hold_s = 0.2  # the first refresh is still running when the second one starts
    one, two = client_for(sb, store_at(tmp_path), clock), client_for(sb, store_at(tmp_path), clock)
    try:
        clock.now = first.expires_at - 10
        a, b = await asyncio.gather(one.list_warehouses(), two.list_warehouses())
        assert len(a) == len(b) == 3
        assert sb.oauth.tally()["refreshes"] == 1
        sb.oauth.hold_s = 0
        assert len(await one.list_channels()) == len(await two.list_channels()) == 3
    finally:
        await one.aclose()
        await two.aclose()
    assert 401 not in api_statuses(sb) and sb.oauth.tally()["refreshes"] == 1


async def test_a_client_picks_up_another_process_s_refresh_after_a_401(tmp_path):
    sb, clock = seeded(orders=1), Clock()
    first = await logged_in(sb, store_at(tmp_path), clock)
    sync, dashboard = (
        client_for(sb, store_at(tmp_path), clock),
        client_for(sb, store_at(tmp_path), clock),
    )
    try:
        await dashboard.list_channels()  # holds the first pair in memory
        clock.now = first.expires_at - 10
        await sync.list_channels()  # refreshes and uses the new pair: the first one is retired
        clock.now = START
        assert len(await dashboard.list_channels()) == 3
    finally:
        await sync.aclose()
        await dashboard.aclose()
    assert sb.oauth.tally()["refreshes"] == 1


async def test_a_death_between_the_token_answer_and_the_write_leaves_the_account_usable(tmp_path):
    sb, clock = seeded(orders=1), Clock()
    first = await logged_in(sb, store_at(tmp_path), clock)
    before = store_at(tmp_path).path.read_bytes()
    dying = store_at(tmp_path)

    def killed(tokens, *version):  # the answer arrived; the process dies before writing it
        raise SystemExit(137)

    dying.save = dying.save_if_unchanged = killed  # a refresh writes through the latter (issue 23)
    clock.now = first.expires_at - 10
    async with client_for(sb, dying, clock) as client:
        with pytest.raises(SystemExit):
            await client.list_warehouses()
    assert store_at(tmp_path).path.read_bytes() == before and sb.oauth.tally()["refreshes"] == 1
    assert not [e for e in sb.request_log if "/public-api/" in e[2]]  # the lost pair was never used
    async with client_for(sb, store_at(tmp_path), clock) as client:  # the next start
        assert len(await client.list_warehouses()) == 3
    assert sb.oauth.tally()["refreshes"] == 2 and 401 not in api_statuses(sb)


async def test_a_revoked_grant_is_an_auth_error_saying_to_log_in_and_is_remembered(tmp_path):
    sb, store, clock = seeded(orders=1), store_at(tmp_path), Clock()
    await logged_in(sb, store, clock)
    sb.oauth.revoke()
    async with client_for(sb, store, clock) as client:
        with pytest.raises(ApiAuthError) as info:
            await client.list_warehouses()
    assert info.value.code == "invalid_grant" and info.value.hint == HINT_REVOKED
    assert "Brightpearl access was revoked: run bp-tui auth login (or Setup -> Connect)" in str(
        info.value
    )
    assert store.load().revoked
    calls = sb.oauth.tally()["invalid_grant"]
    with pytest.raises(ApiAuthError) as again:
        await login_for(sb, store, clock).status()
    assert (
        again.value.hint == HINT_REVOKED and sb.oauth.tally()["invalid_grant"] == calls
    )  # not asked again
    await logged_in(sb, store, clock)  # a new login replaces the revoked pair
    assert not store.load().revoked


async def test_no_token_or_someone_else_s_is_not_connected(tmp_path):
    sb, store, clock = seeded(orders=1), store_at(tmp_path), Clock()
    async with client_for(sb, store, clock) as client:
        with pytest.raises(ApiAuthError) as none:
            await client.list_warehouses()
    await logged_in(sb, store, clock)
    async with client_for(sb, store, clock, account_code="other", integration_url="") as client:
        with pytest.raises(ApiAuthError) as foreign:
            await client.authenticate()
    assert none.value.code == foreign.value.code == "not_connected"
    assert "run bp-tui auth login" in str(none.value) and "for account 'demo'" in str(foreign.value)
    assert api_statuses(sb) == []


async def test_the_api_base_comes_from_api_domain_unless_integration_url_is_set(tmp_path):
    sb, store, clock = seeded(orders=1), store_at(tmp_path), Clock()
    await logged_in(sb, store, clock)
    spy = Spy(sb)
    async with client_for(sb, store, clock, transport=spy, integration_url="") as client:
        await client.list_warehouses()
    async with client_for(sb, store, clock, transport=spy) as client:
        await client.list_warehouses()
    assert [url for url, _t, _s in spy.calls] == [
        "https://euw1.brightpearlconnect.com/public-api/demo/warehouse-service/warehouse",
        "https://brightpearl.sandbox/public-api/demo/warehouse-service/warehouse",
    ]


async def test_a_token_is_never_sent_to_an_api_domain_outside_brightpearl(tmp_path):
    sb, store, clock = seeded(orders=1), store_at(tmp_path), Clock()
    sb.oauth.api_domain = "api.attacker.example"
    await logged_in(sb, store, clock)
    spy = Spy(sb)
    async with client_for(sb, store, clock, transport=spy, integration_url="") as client:
        with pytest.raises(ApiError) as info:
            await client.list_warehouses()
    assert "not a Brightpearl host" in str(info.value) and spy.calls == []


async def test_tokens_are_in_no_message_repr_or_log(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    sb, store, clock = seeded(orders=1), store_at(tmp_path), Clock()
    first = await logged_in(sb, store, clock)
    async with client_for(sb, store, clock) as client:
        sb.oauth.check_access = lambda token: (
            f"Invalid instance token: {token}"
        )  # the recorded echo
        with pytest.raises(ApiAuthError) as info:
            await client.list_warehouses()
        shown = (
            repr(client) + repr(client._oauth) + repr(store.load()) + str(info.value) + caplog.text
        )
    second = store.load()
    for secret in (
        first.access_token,
        first.refresh_token,
        second.access_token,
        second.refresh_token,
        sb.oauth.client_secret,
    ):
        assert secret not in shown
    assert "Invalid instance token: ***" in str(info.value)
    assert json.loads(store.path.read_text())["access_token"] == second.access_token
