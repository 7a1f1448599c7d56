"""Setup learns which API a key belongs to by asking each once (nothing is written)."""

from __future__ import annotations

import httpx

from bp_tui.sandbox.shipstation_v2.sandbox import ShipStationV2Sandbox
from bp_tui.shipstation.v2.detect import KeyCheck, detect_api_version


def both_apis(sb: ShipStationV2Sandbox) -> httpx.AsyncBaseTransport:
    """One account answering V1 and V2 at one address, as on a plan with both."""

    async def app(scope, receive, send):
        target = sb.app if scope["path"].startswith("/v2/") else sb.v1_app
        await target(scope, receive, send)

    return httpx.ASGITransport(app=app)


async def test_a_v2_key_is_recognised():
    sb = ShipStationV2Sandbox()
    check = await detect_api_version(sb.v2.api_key, base_url="http://ss", transport=both_apis(sb))
    assert check == KeyCheck(v1="not tried", v2="ok") and check.version == "v2"
    assert "V2 key" in check.sentence()


async def test_a_v1_key_and_secret_are_recognised():
    sb = ShipStationV2Sandbox()
    check = await detect_api_version(
        sb.api_key, sb.api_secret, base_url="http://ss", transport=both_apis(sb)
    )
    assert check == KeyCheck(v1="ok", v2="refused") and check.version == "v1"


async def test_a_key_neither_api_takes_is_said_so():
    sb = ShipStationV2Sandbox()
    check = await detect_api_version(
        "nobody", "nothing", base_url="http://ss", transport=both_apis(sb)
    )
    assert (
        check.version is None
        and check.sentence() == "neither API accepted the key (V2: refused; V1: refused)"
    )


async def test_no_network_is_unreachable_not_refused():
    def down(request):
        raise httpx.ConnectError("no route to host")

    check = await detect_api_version("k", "s", transport=httpx.MockTransport(down))
    assert check == KeyCheck(v1="unreachable", v2="unreachable")


async def test_the_vendor_addresses_are_asked_when_no_sandbox_is_configured():
    asked = []

    def answer(request):
        asked.append(str(request.url))
        return httpx.Response(401, json={"errors": []})

    await detect_api_version(
        "k", "s", base_url="https://ssapi.shipstation.com", transport=httpx.MockTransport(answer)
    )
    assert asked == [
        "https://api.shipstation.com/v2/warehouses",
        "https://ssapi.shipstation.com/stores",
    ]
