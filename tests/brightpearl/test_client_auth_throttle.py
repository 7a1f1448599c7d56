"""Authentication modes, re-auth on 401, and rate-limit behaviour against the sandbox."""

import asyncio
import time
from itertools import pairwise

import pytest

from bp_tui.apiclient import RateGate
from bp_tui.errors import ApiAuthError
from tests.brightpearl.helpers import client_for, seeded


def authorise_calls(sb):
    return [e for e in sb.request_log if e[2].endswith("/authorise")]


async def test_password_mode_authenticates_once_and_sends_token():
    sb = seeded(orders=2)
    async with client_for(sb) as client:
        await client.list_channels()
        await client.list_warehouses()
    assert len(authorise_calls(sb)) == 1 and len(sb.tokens) == 1


async def test_expired_token_reauthenticates_once_and_retries():
    sb = seeded(orders=2)
    async with client_for(sb) as client:
        await client.list_channels()
        sb.expire_tokens()
        assert len(await client.list_warehouses()) == 3
    statuses = [e[3] for e in sb.request_log if "warehouse-service/warehouse" in e[2]]
    assert statuses == [401, 200] and len(authorise_calls(sb)) == 2


async def test_wrong_password_is_auth_error_without_the_secret():
    sb = seeded(orders=1)
    async with client_for(sb, password="wrong-secret-pw") as client:
        with pytest.raises(ApiAuthError) as info:
            await client.list_channels()
    text = str(info.value)
    assert info.value.code == "GWYB-006" and "brightpearl.password" in text
    assert "wrong-secret-pw" not in text and "wrong-secret-pw" not in repr(client)


async def test_account_without_api_access():
    sb = seeded(orders=1)
    sb.api_access = False
    async with client_for(sb) as client:
        with pytest.raises(ApiAuthError) as info:
            await client.authenticate()
    assert info.value.code == "GWYB-003" and "no API access" in str(info.value)


@pytest.mark.parametrize(
    "mode,token",
    [("staff_token", "sandbox-staff-token"), ("account_token", "sandbox-account-token")],
)
async def test_token_modes_send_app_ref_and_token_without_authorise(mode, token):
    sb = seeded(orders=1)
    async with client_for(sb, auth=mode, token=token) as client:
        await client.authenticate()
        assert len(await client.list_channels()) == 3
    assert authorise_calls(sb) == []


async def test_token_mode_with_wrong_token_is_auth_error_no_retry():
    sb = seeded(orders=1)
    async with client_for(sb, auth="staff_token", token="nope") as client:
        with pytest.raises(ApiAuthError) as info:
            await client.list_channels()
        assert client.requests_sent == 1
    assert "brightpearl.token" in str(info.value) and "nope" not in str(info.value)


def no_two_503_in_a_row(sb):
    statuses = [e[3] for e in sb.request_log]
    return all(not (a == 503 and b == 503) for a, b in pairwise(statuses))


async def test_client_paces_to_headers_and_is_never_throttled():
    sb = seeded(orders=2, rate_limit=10, window_s=0.4)
    gate = RateGate(limit=10, window_s=0.4, reserve=0)
    async with client_for(sb, auth="staff_token", token="sandbox-staff-token") as client:
        client.gate = gate
        start = time.monotonic()
        for _ in range(25):
            await client.list_warehouses()
        elapsed = time.monotonic() - start
    assert [e[3] for e in sb.request_log].count(503) == 0
    assert sb.violations == 0 and elapsed >= 0.6 and elapsed < 3


async def test_throttled_client_waits_as_told_and_never_gets_two_503s_in_a_row():
    sb = seeded(orders=2, rate_limit=8, window_s=0.5)
    async with client_for(sb, auth="staff_token", token="sandbox-staff-token") as client:
        client.gate = RateGate(limit=8, window_s=0.5, reserve=0)
        sb.consume_requests(8)  # other apps on the account spent the whole pool
        results = await asyncio.gather(*(client.list_channels() for _ in range(12)))
    assert all(len(r) == 3 for r in results)
    statuses = [e[3] for e in sb.request_log]
    assert statuses.count(503) >= 1 and statuses.count(200) == 12
    assert sb.violations == 0 and no_two_503_in_a_row(sb)


async def test_429_with_retry_after_is_waited_out():
    import httpx

    from bp_tui.brightpearl.client import BrightpearlClient
    from bp_tui.config.model import BrightpearlSettings
    from tests.brightpearl.helpers import Sleeps

    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "2"}, json={"response": "slow down"}),
            httpx.Response(200, json={"response": [{"id": 1, "name": "W"}]}),
        ]
    )
    clock = [100.0]

    class AdvancingSleeps(Sleeps):
        async def __call__(self, seconds):
            self.calls.append(seconds)
            clock[0] += seconds

    sleeps = AdvancingSleeps()
    settings = BrightpearlSettings(
        account_code="x",
        integration_url="http://bp.test/public-api/x",
        auth="account_token",
        app_ref="x_a",
        token="t0ken",
    )
    gate = RateGate(limit=200, window_s=60, clock=lambda: clock[0], sleep=sleeps)
    async with BrightpearlClient(
        settings, transport=httpx.MockTransport(lambda r: next(answers)), gate=gate, sleep=sleeps
    ) as client:
        assert [w.name for w in await client.list_warehouses()] == ["W"]
    assert sleeps.calls == [2.0]


async def test_concurrent_first_requests_log_in_once():
    sb = seeded(orders=2)
    async with client_for(sb) as client:
        await asyncio.gather(*(client.list_channels() for _ in range(5)))
    assert len(authorise_calls(sb)) == 1
