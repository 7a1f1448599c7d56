"""The Brightpearl sandbox's OAuth server (issue 15), over its ASGI app: authorize redirects,
the token endpoint's grants and refusals, rotation, and the API's 401 answers."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bp_tui.sandbox.brightpearl.oauth import BAD_CODE, BAD_REDIRECT, BAD_REFS, EXPIRED
from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox

BASE = "http://brightpearl.sandbox"


@pytest.fixture
def sb() -> BrightpearlSandbox:
    sandbox = BrightpearlSandbox()
    sandbox.seed(orders=2)
    return sandbox


def client(sb: BrightpearlSandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=sb.app), base_url=BASE)


def authorize_query(sb, **more) -> dict:
    return {
        "response_type": "code",
        "client_id": sb.app_ref,
        "redirect_uri": sb.oauth.redirect_uri,
        "state": "st-1",
        **more,
    }


def token_form(sb, **more) -> dict:
    return {
        "client_id": sb.app_ref,
        "client_secret": sb.oauth.client_secret,
        "redirect_uri": sb.oauth.redirect_uri,
        **more,
    }


async def code_for(http, sb) -> str:
    answer = await http.get(f"/oauth/authorize/{sb.account_code}", params=authorize_query(sb))
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]


async def login(http, sb) -> dict:
    answer = await http.post(
        f"/oauth/token/{sb.account_code}",
        data=token_form(sb, grant_type="authorization_code", code=await code_for(http, sb)),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def refresh(http, sb, refresh_token: str) -> httpx.Response:
    return await http.post(
        f"/oauth/token/{sb.account_code}",
        data=token_form(sb, grant_type="refresh_token", refresh_token=refresh_token),
    )


async def api(http, sb, access: str, *, dev_ref: str | None = None) -> httpx.Response:
    headers = {
        "Authorization": f"Bearer {access}",
        "brightpearl-app-ref": sb.app_ref,
        "brightpearl-dev-ref": sb.oauth.dev_ref if dev_ref is None else dev_ref,
    }
    return await http.get(
        f"/public-api/{sb.account_code}/warehouse-service/warehouse", headers=headers
    )


async def test_a_valid_authorize_query_redirects_with_a_code_and_the_state(sb):
    async with client(sb) as http:
        answer = await http.get(f"/oauth/authorize/{sb.account_code}", params=authorize_query(sb))
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(sb.oauth.redirect_uri + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["st-1"] and query["code"][0]


@pytest.mark.parametrize(
    "change, error",
    [
        ({"client_id": "someone_else"}, "invalid_client"),
        ({"redirect_uri": "https://attacker.example/cb"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
async def test_a_bad_authorize_query_is_refused_and_never_redirected(sb, change, error):
    async with client(sb) as http:
        answer = await http.get(
            f"/oauth/authorize/{sb.account_code}", params=authorize_query(sb, **change)
        )
    assert (
        answer.status_code == 400
        and answer.json()["error"] == error
        and "location" not in answer.headers
    )


async def test_a_denied_approval_comes_back_as_access_denied(sb):
    sb.oauth.approve = False
    async with client(sb) as http:
        answer = await http.get(f"/oauth/authorize/{sb.account_code}", params=authorize_query(sb))
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert answer.status_code == 302 and query == {"error": ["access_denied"], "state": ["st-1"]}


async def test_the_code_exchange_answers_the_recorded_shape_and_the_token_calls_the_api(sb):
    async with client(sb) as http:
        tokens = await login(http, sb)
        assert set(tokens) == {
            "access_token",
            "refresh_token",
            "installation_instance_id",
            "api_domain",
            "token_type",
            "expires_in",
        }
        assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 604800
        assert isinstance(tokens["installation_instance_id"], str)
        assert (await api(http, sb, tokens["access_token"])).status_code == 200


async def test_a_used_code_a_wrong_secret_and_a_different_redirect_are_refused(sb):
    async with client(sb) as http:
        code = await code_for(http, sb)
        wrong_secret = await http.post(
            f"/oauth/token/{sb.account_code}",
            data=token_form(sb, grant_type="authorization_code", code=code, client_secret="not-it"),
        )
        other_redirect = await http.post(
            f"/oauth/token/{sb.account_code}",
            data=token_form(
                sb,
                grant_type="authorization_code",
                code=code,
                redirect_uri="https://elsewhere.example/cb",
            ),
        )
        first = await http.post(
            f"/oauth/token/{sb.account_code}",
            data=token_form(sb, grant_type="authorization_code", code=code),
        )
        again = await http.post(
            f"/oauth/token/{sb.account_code}",
            data=token_form(sb, grant_type="authorization_code", code=code),
        )
        as_json = await http.post(
            f"/oauth/token/{sb.account_code}",
            json=token_form(sb, grant_type="authorization_code", code=code),
        )
    assert (wrong_secret.status_code, wrong_secret.json()) == (400, {"error": "invalid_client"})
    assert other_redirect.json() == {"error": "invalid_grant", "error_description": BAD_REDIRECT}
    assert first.status_code == 200
    assert again.json() == {"error": "invalid_grant", "error_description": BAD_CODE}
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"


async def test_an_expired_access_token_and_an_unknown_one_get_the_recorded_401s(sb):
    async with client(sb) as http:
        tokens = await login(http, sb)
        sb.oauth.expire_access()
        expired = await api(http, sb, tokens["access_token"])
        unknown = await api(http, sb, "bm90LWEtdG9rZW4=")
        bad_refs = await api(http, sb, tokens["access_token"], dev_ref="not-mine")
    assert (expired.status_code, expired.json()) == (401, {"response": EXPIRED})
    assert (unknown.status_code, unknown.json()) == (
        401,
        {"response": "Invalid instance token: bm90LWEtdG9rZW4="},
    )
    assert (bad_refs.status_code, bad_refs.json()) == (401, {"response": BAD_REFS})


async def test_rotation_keeps_the_old_pair_until_the_new_one_is_used(sb):
    async with client(sb) as http:
        first = await login(http, sb)
        second = (await refresh(http, sb, first["refresh_token"])).json()
        assert second["refresh_token"] != first["refresh_token"]
        assert (
            "installation_instance_id" not in second
        )  # as recorded: only the code exchange names it
        # Not used yet: the first pair still works (a client killed before storing the second loses
        # nothing).
        assert (await api(http, sb, first["access_token"])).status_code == 200
        third = (await refresh(http, sb, first["refresh_token"])).json()
        # The unused second pair was discarded when the first refresh token was used again.
        assert (await api(http, sb, second["access_token"])).status_code == 401
        assert (await api(http, sb, third["access_token"])).status_code == 200
        # Once the third pair is used, the first is retired: single-use refresh tokens.
        assert (await api(http, sb, first["access_token"])).status_code == 401
        reused = await refresh(http, sb, first["refresh_token"])
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
        assert (await refresh(http, sb, third["refresh_token"])).status_code == 200
    assert sb.oauth.tally()["refreshes"] == 3


async def test_without_rotation_the_refresh_token_stays(sb):
    sb.oauth.rotate = False
    async with client(sb) as http:
        first = await login(http, sb)
        second = (await refresh(http, sb, first["refresh_token"])).json()
        third = (await refresh(http, sb, first["refresh_token"])).json()
        assert second["refresh_token"] == first["refresh_token"] == third["refresh_token"]
        assert (await api(http, sb, third["access_token"])).status_code == 200


async def test_a_revoked_grant_refuses_its_tokens_and_its_refresh(sb):
    async with client(sb) as http:
        tokens = await login(http, sb)
        assert sb.oauth.revoke() == 1
        call = await api(http, sb, tokens["access_token"])
        again = await refresh(http, sb, tokens["refresh_token"])
    assert call.status_code == 401 and call.json()["response"].startswith("Invalid instance token")
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_password_and_token_modes_still_work_beside_oauth(sb):
    async with client(sb) as http:
        session = await http.post(
            f"/{sb.account_code}/authorise",
            json={"apiAccountCredentials": {"emailAddress": sb.username, "password": sb.password}},
        )
        by_password = await http.get(
            f"/public-api/{sb.account_code}/warehouse-service/warehouse",
            headers={"brightpearl-auth": session.json()["response"]},
        )
        by_staff = await http.get(
            f"/public-api/{sb.account_code}/warehouse-service/warehouse",
            headers={"brightpearl-app-ref": sb.app_ref, "brightpearl-staff-token": sb.staff_token},
        )
    assert by_password.status_code == 200 and by_staff.status_code == 200


def test_the_oauth_settings_point_at_the_sandbox():
    sb = BrightpearlSandbox()
    keys = sb.oauth_settings("http://127.0.0.1:8123/")
    assert keys["auth"] == "oauth" and keys["oauth_url"] == "http://127.0.0.1:8123/oauth"
    assert keys["redirect_uri"] == sb.oauth.redirect_uri and keys["dev_ref"] == sb.oauth.dev_ref
    assert keys["client_secret"] == sb.oauth.client_secret and not keys["password"]
    assert sb.settings()["auth"] == "password"  # the default of the existing tests' sandbox config
