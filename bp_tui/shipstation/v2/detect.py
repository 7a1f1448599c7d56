"""Which ShipStation API a key belongs to (V1 and V2 keys are separate and refuse each other).

Setup asks once, with one cheap GET on each side: V2 ``GET /v2/warehouses`` with the
``api-key`` header, V1 ``GET /stores`` with HTTP Basic (key and secret; only when a secret is
given, as V1 needs both). Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bp_tui.config.model import V1_BASE_URL, V2_BASE_URL

V2_PROBE = "v2/warehouses"
V1_PROBE = "stores"


@dataclass(frozen=True)
class KeyCheck:
    """What each API said: "ok", "refused" (401/403), "unreachable", "not tried" or "HTTP n"."""

    v1: str
    v2: str

    @property
    def version(self) -> str | None:
        """The API the key answered on ("v2" when both did), None when neither."""
        if self.v2 == "ok":
            return "v2"
        if self.v1 == "ok":
            return "v1"
        return None

    def sentence(self) -> str:
        if self.version == "v2":
            return "the key is a V2 key (api.shipstation.com answered)"
        if self.version == "v1":
            return "the key and secret are a V1 pair (ssapi.shipstation.com answered)"
        return f"neither API accepted the key (V2: {self.v2}; V1: {self.v1})"


def _verdict(response: httpx.Response) -> str:
    if response.status_code in (401, 403):
        return "refused"
    if 200 <= response.status_code < 300:
        try:
            response.json()
        except ValueError:
            return f"HTTP {response.status_code} without JSON"
        return "ok"
    return f"HTTP {response.status_code}"


async def _probe(
    url: str,
    headers: dict[str, str],
    auth: httpx.BasicAuth | None,
    transport: httpx.AsyncBaseTransport | None,
    timeout: float,
) -> str:
    try:
        async with httpx.AsyncClient(
            transport=transport, timeout=timeout, follow_redirects=False
        ) as http:
            return _verdict(
                await http.get(url, headers={"Accept": "application/json", **headers}, auth=auth)
            )
    except httpx.HTTPError:
        return "unreachable"


async def detect_api_version(
    api_key: str,
    api_secret: str = "",
    *,
    base_url: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 15.0,
) -> KeyCheck:
    """Try the key on V2, and the key and secret on V1; say which answered.

    ``base_url``: one address serving both (the sandbox); None or a vendor default means each
    API's own address."""
    custom = base_url.rstrip("/") if base_url else ""
    if custom in (V1_BASE_URL, V2_BASE_URL):
        custom = ""
    v2_base = (custom or V2_BASE_URL).rstrip("/")
    v1_base = (custom or V1_BASE_URL).rstrip("/")
    v2 = (
        await _probe(f"{v2_base}/{V2_PROBE}", {"api-key": api_key}, None, transport, timeout)
        if api_key
        else "not tried"
    )
    v1 = (
        await _probe(
            f"{v1_base}/{V1_PROBE}", {}, httpx.BasicAuth(api_key, api_secret), transport, timeout
        )
        if api_key and api_secret
        else "not tried"
    )
    return KeyCheck(v1=v1, v2=v2)
