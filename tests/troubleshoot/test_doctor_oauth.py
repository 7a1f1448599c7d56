"""Doctor over OAuth (token stored, refresh works, app and developer refs accepted), its advice
when a legacy mode is refused, and a sync over OAuth whose tokens expire mid-way (issue 15)."""

from __future__ import annotations

import json
import time

import pytest

from bp_tui.brightpearl.oauth import CONNECT, HINT_REVOKED
from tests.sync.conftest import eligible_gon_ids, make_env, ss_keys


@pytest.fixture
async def oauth_env(tmp_path):
    environment = make_env(tmp_path, orders=12, seed=3, bp_auth="oauth")
    yield environment
    await environment.aclose()


def make_due(env) -> None:
    """The stored access token expires in a few seconds (inside the refresh margin)."""
    path = env.connector.tokens.path
    data = json.loads(path.read_text())
    data["expires_at"] = time.time() + 5
    path.write_text(json.dumps(data))


def by_id(checks) -> dict:
    return {c.id: c for c in checks}


async def test_doctor_before_login_says_to_connect_and_runs_no_api_check(oauth_env):
    checks = by_id(await oauth_env.connector.doctor())
    token = checks["bp_oauth_token"]
    assert (
        not token.ok and token.fix == CONNECT and "no Brightpearl token is stored" in token.detail
    )
    assert not {"bp_oauth_refresh", "bp_reach", "bp_auth", "bp_channels"} & set(checks)
    assert checks["ss_auth"].ok


async def test_doctor_after_login_checks_the_token_the_refresh_and_the_refs(oauth_env):
    await oauth_env.oauth_login()
    before = oauth_env.connector.tokens.load()
    checks = by_id(await oauth_env.connector.doctor())
    failing = [(c.id, c.detail) for c in checks.values() if not c.ok]
    assert failing == []
    assert checks["bp_oauth_token"].ok and "valid until" in checks["bp_oauth_refresh"].detail
    assert checks["bp_auth"].detail == "auth mode oauth: app and developer references accepted"
    # issue 23: a token that is not due is not refreshed by doctor (nor by a connection test)
    assert oauth_env.bp.oauth.tally().get("refreshes", 0) == 0
    assert oauth_env.connector.tokens.load().access_token == before.access_token
    make_due(oauth_env)
    checks = by_id(await oauth_env.connector.doctor())
    assert checks["bp_oauth_refresh"].ok and oauth_env.bp.oauth.tally()["refreshes"] == 1
    assert oauth_env.connector.tokens.load().access_token != before.access_token


async def test_doctor_names_a_wrong_dev_ref_and_a_revoked_grant(oauth_env):
    await oauth_env.oauth_login()
    oauth_env.config.brightpearl.dev_ref = "not-my-dev-ref"
    oauth_env.connector.reload_config(oauth_env.config)
    refs = by_id(await oauth_env.connector.doctor())["bp_auth"]
    assert not refs.ok and "brightpearl.dev_ref" in refs.fix and "brightpearl.app_ref" in refs.fix
    oauth_env.bp.oauth.revoke()
    make_due(oauth_env)  # doctor refreshes only a token that is due
    checks = by_id(await oauth_env.connector.doctor())
    assert checks["bp_oauth_token"].ok
    assert not checks["bp_oauth_refresh"].ok and checks["bp_oauth_refresh"].fix == HINT_REVOKED


STEPS = (
    'auth = "oauth"',
    "app_ref = the app's reference",
    "dev_ref = your developer reference",
    "client_secret = the app's client secret",
    "redirect_uri = the redirect URL exactly as registered",
    "bp-tui auth login",
    "Instance app",
    "early-access",
    "App Store > Private apps > Add private app",
    'auth = "staff_token"',
    "Manage users",
    "demo_bptui",
)


async def test_a_refused_password_login_says_how_to_move_to_oauth_or_a_staff_token(tmp_path):
    env = make_env(tmp_path, orders=2)
    try:
        env.bp.password = "changed-by-brightpearl"
        env.bp.expire_tokens()
        auth = by_id(await env.connector.doctor())["bp_auth"]
    finally:
        await env.aclose()
    assert not auth.ok and "username and password" in auth.fix
    for words in STEPS:
        assert words in auth.fix, words


async def test_a_refused_account_token_says_how_to_move_too(tmp_path):
    env = make_env(
        tmp_path,
        orders=2,
        config_overrides={"brightpearl": {"auth": "account_token", "token": "a-retired-token"}},
    )
    try:
        auth = by_id(await env.connector.doctor())["bp_auth"]
    finally:
        await env.aclose()
    assert not auth.ok and "sunsetting system apps" in auth.fix
    for words in STEPS:
        assert words in auth.fix, words


async def test_a_staff_token_refused_keeps_its_short_fix(tmp_path):
    env = make_env(
        tmp_path,
        orders=2,
        config_overrides={"brightpearl": {"auth": "staff_token", "token": "nope"}},
    )
    try:
        auth = by_id(await env.connector.doctor())["bp_auth"]
    finally:
        await env.aclose()
    assert (
        not auth.ok
        and auth.fix == "check brightpearl.app_ref and the staff token (App Store > Private apps)"
    )


async def test_a_sync_over_oauth_refreshes_when_the_token_expires_and_leaks_no_token(
    oauth_env, tmp_path
):
    await oauth_env.oauth_login()
    first = await oauth_env.connector.run_cycle()
    assert first.imported + first.failed == len(eligible_gon_ids(oauth_env)) and first.imported > 0
    seen = {
        oauth_env.connector.tokens.load().access_token,
        oauth_env.connector.tokens.load().refresh_token,
    }
    oauth_env.label(3)
    oauth_env.bp.oauth.expire_access()  # a week went by
    second = await oauth_env.connector.run_cycle()
    assert second.confirmed == 3  # an auth failure would have ended the cycle with ApiAuthError
    assert oauth_env.bp.oauth.tally()["refreshes"] == 1
    assert all(n == 1 for n in ss_keys(oauth_env).values())
    tokens = oauth_env.connector.tokens.load()
    seen |= {tokens.access_token, tokens.refresh_token}
    bundle = oauth_env.connector.export_support_bundle(tmp_path / "bundle.json")
    text = bundle.read_text() + json.dumps(second.as_json()) + repr(oauth_env.connector.bp)
    assert not [s for s in seen | {oauth_env.bp.oauth.client_secret} if s in text]
    assert json.loads(bundle.read_text())["config"]["brightpearl"]["client_secret"] == "[redacted]"
