"""The shared Sender accepts an empty answer only where the endpoint documents ``204 No
Content`` and the server says exactly that; any other empty 2xx is still an error of the call."""

from __future__ import annotations

import random

import httpx
import pytest

from bp_tui.apiclient import Backoff, RateGate
from bp_tui.apiclient.sender import Sender
from bp_tui.errors import ApiError, ApiUnavailable


class Policy:
    service, name, max_throttles = "shipstation", "ShipStation", 1

    async def headers(self, authenticated):
        return {}

    def observe(self, response):
        pass

    def throttle_wait(self, status, body, response):
        return None

    def throttled(self, status, body):
        return ApiError("shipstation", status, "throttled")

    def reauthenticate(self, status, body):
        return False

    def error(self, status, body, method, url):
        return ApiError("shipstation", status, "refused")

    def retry_server_error(self, status, body):
        return True

    def unreachable_hint(self, method, url):
        return "check"


def sender(status: int, content: bytes = b"") -> Sender:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=content))
    http = httpx.AsyncClient(transport=transport, base_url="http://api.test")
    return Sender(
        Policy(),
        http,
        gate=RateGate(limit=100, window_s=60),
        backoff=Backoff(attempts=2, base=0.0001, cap=0.0001, rng=random.Random(1)),
    )


async def test_a_204_is_the_answer_of_a_no_content_call():
    assert await sender(204).send("PUT", "v2/shipments/se-1/cancel", no_content=True) is None


@pytest.mark.parametrize("status", [200, 202])
async def test_another_empty_2xx_is_still_no_usable_answer(status):
    with pytest.raises(ApiUnavailable, match="was empty"):
        await sender(status).send("PUT", "v2/shipments/se-1/cancel", no_content=True)


async def test_without_no_content_a_204_is_no_usable_answer():
    with pytest.raises(ApiUnavailable, match="was empty"):
        await sender(204).send("GET", "v2/shipments/se-1")
