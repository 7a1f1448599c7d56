"""Doctor on ShipStation V2: it names the API, checks the V2 key with the read a sync makes, and
says why the store cannot be checked; a V1 install's checks read as before."""

from __future__ import annotations

import json

import pytest

from tests.sync.conftest import make_env


@pytest.fixture
async def env(tmp_path):
    environment = make_env(tmp_path, orders=10, seed=2, ss_api="v2")
    yield environment
    await environment.aclose()


async def test_doctor_is_green_on_v2_and_names_it(env):
    checks = {c.id: c for c in await env.connector.doctor()}
    assert [(i, c.detail) for i, c in checks.items() if not c.ok] == []
    auth = checks["ss_auth"]
    assert auth.title == "ShipStation V2 key accepted"
    assert auth.detail == "API V2 at https://shipstation.sandbox: labels readable"
    assert "no stores endpoint" in checks["ss_store"].detail and "se-518237" in checks["ss_store"].detail
    assert checks["ss_budget"].ok and "left in this minute" in checks["ss_budget"].detail
    assert [p for _t, m, p, _s in env.ss.request_log if m == "GET"][0].startswith("/v2/labels?")


async def test_a_wrong_v2_key_fails_with_how_to_make_one(env):
    env.config.shipstation.api_key = "a-v1-key-123"
    env.connector.reload_config(env.config)
    checks = {c.id: c for c in await env.connector.doctor()}
    auth = checks["ss_auth"]
    assert auth.ok is False and "HTTP 401" in auth.detail and "V2" in auth.fix
    assert "ss_store" not in checks and "ss_budget" not in checks
    assert "a-v1-key-123" not in json.dumps([c.__dict__ for c in checks.values()])


async def test_a_v1_install_keeps_its_checks(tmp_path):
    env = make_env(tmp_path, orders=10, seed=2)
    try:
        checks = {c.id: c for c in await env.connector.doctor()}
        assert checks["ss_auth"].title == "ShipStation credentials accepted"
        assert checks["ss_auth"].detail == "2 stores visible"
    finally:
        await env.aclose()
