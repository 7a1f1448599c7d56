"""A wrong address is not a wrong key (issue 15): a 404 or no answer at all says "nothing answers
at {url}: check the base URL", for ShipStation (V1 and V2) and for Brightpearl; the key advice is
kept for 401/403. Each ShipStation check names the API version in use (issue 16)."""

from __future__ import annotations

import httpx
import pytest

from bp_tui.sandbox.environment import in_process
from bp_tui.service.connector import Connector
from tests.sync.conftest import FAST_CLIENTS, make_env


def down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused")


@pytest.fixture(params=["v1", "v2"])
async def env(tmp_path, request):
    environment = make_env(tmp_path, orders=4, seed=2, ss_api=request.param)
    yield environment
    await environment.aclose()


def reopen(env, *, bp_transport=None, ss_transport=None) -> Connector:
    """The environment's connector again, on its (edited) config, with the transports given."""
    return Connector(
        env.config,
        env.state_path,
        config_path=env.config_path,
        bp_transport=bp_transport or in_process(env.bp.app),
        ss_transport=ss_transport or in_process(env.ss.app),
        client_options=FAST_CLIENTS,
        ss_options=env.ss_options,
    )


async def checks_of(connector: Connector) -> dict:
    try:
        return {c.id: c for c in await connector.doctor()}
    finally:
        await connector.aclose()


@pytest.mark.off_contract_requests  # a wrong base URL: the path is no V2 operation, on purpose
async def test_a_shipstation_base_url_that_answers_404_is_the_address_not_the_key(env):
    env.config.shipstation.base_url = "https://shipstation.sandbox/nothing-here"
    checks = await checks_of(reopen(env))
    reach = checks["ss_reach"]
    assert reach.ok is False and "HTTP 404" in reach.detail
    assert reach.fix == (
        "nothing answers at https://shipstation.sandbox/nothing-here: check the base URL "
        "(shipstation.base_url)"
    )
    assert "ss_auth" not in checks and "ss_store" not in checks  # not run: no key advice
    assert checks["bp_auth"].ok


async def test_no_connection_to_shipstation_is_the_address_not_the_key(env):
    checks = await checks_of(reopen(env, ss_transport=httpx.MockTransport(down)))
    reach = checks["ss_reach"]
    assert reach.ok is False and reach.fix.startswith(
        "nothing answers at https://shipstation.sandbox: check the base URL (shipstation.base_url)"
    )
    assert "network" in reach.fix and "ss_auth" not in checks


async def test_a_refused_key_keeps_the_key_advice(env):
    env.config.shipstation.api_key = "not-the-key"
    checks = await checks_of(reopen(env))
    version = env.config.shipstation.api_version.upper()
    assert (
        checks["ss_reach"].ok
        and checks["ss_reach"].detail == f"API {version} at https://shipstation.sandbox"
    )
    auth = checks["ss_auth"]
    assert auth.ok is False and "HTTP 401" in auth.detail
    assert "nothing answers" not in auth.fix
    assert (
        ("create an API key pair" in auth.fix) if version == "V1" else ("make a V2 key" in auth.fix)
    )


async def test_a_working_shipstation_names_its_api_version(env):
    checks = await checks_of(reopen(env))
    version = env.config.shipstation.api_version.upper()
    assert (
        checks["ss_reach"].ok
        and checks["ss_reach"].detail == f"API {version} at https://shipstation.sandbox"
    )
    assert checks["ss_auth"].ok


async def test_a_brightpearl_url_that_answers_404_is_the_address_not_the_account(env):
    env.config.brightpearl.integration_url = "https://brightpearl.sandbox/api/demo"
    checks = await checks_of(reopen(env))
    reach = checks["bp_reach"]
    assert reach.ok is False and "HTTP 404" in reach.detail
    assert reach.fix.startswith(
        "nothing answers at https://brightpearl.sandbox/api/demo: check the base URL "
        "(brightpearl.integration_url"
    )
    assert "bp_account" not in checks and "bp_auth" not in checks


async def test_no_connection_to_brightpearl_is_the_address(env):
    checks = await checks_of(reopen(env, bp_transport=httpx.MockTransport(down)))
    reach = checks["bp_reach"]
    assert reach.ok is False and reach.fix.startswith(
        f"nothing answers at {env.config.brightpearl.api_base}: check the base URL"
    )
    assert "network" in reach.fix


async def test_refused_brightpearl_credentials_keep_their_advice(env):
    env.config.brightpearl.password = "wrong-password"
    checks = await checks_of(reopen(env))
    assert checks["bp_reach"].ok and checks["bp_auth"].ok is False
    assert (
        "username and password" in checks["bp_auth"].fix
        and "nothing answers" not in checks["bp_auth"].fix
    )


async def test_server_errors_are_not_blamed_on_the_address_or_the_key(env):
    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"message": "down for maintenance"})

    checks = await checks_of(reopen(env, ss_transport=httpx.MockTransport(broken)))
    failed = [c for c in checks.values() if c.id.startswith("ss_") and not c.ok]
    assert [c.id for c in failed] == ["ss_auth"]
    assert failed[0].fix == "ShipStation answered with server errors; try again in a few minutes"
