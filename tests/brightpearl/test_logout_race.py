"""Logout wins (issue 23): a refresh whose answer arrives after ``auth logout`` discards the
tokens it got, and ``auth status`` then says not connected. The race is made deterministic by
holding the token endpoint's answer until the logout has completed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import httpx
import pytest
import tomli_w

from bp_tui.errors import ApiAuthError
from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox
from tests.brightpearl.helpers import seeded
from tests.brightpearl.test_oauth import (
    Clock,
    api_statuses,
    client_for,
    logged_in,
    login_for,
    store_at,
)

EXE = os.path.join(os.path.dirname(sys.executable), "bp-tui")


class HeldRefresh(httpx.AsyncBaseTransport):
    """The sandbox, except that a refresh's answer is held (after Brightpearl made it) until
    ``release`` is set."""

    def __init__(self, sb: BrightpearlSandbox) -> None:
        self.inner = httpx.ASGITransport(app=sb.app)
        self.answered = asyncio.Event()
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and b"grant_type=refresh_token" in request.content:
            self.answered.set()
            await self.release.wait()
        return response


async def refresh_held_during(tmp_path, meanwhile):
    """A call that needs a refresh; ``meanwhile()`` runs once Brightpearl has answered the
    refresh and before the answer reaches bp-tui. What the call raised (or None)."""
    sb, store, clock = seeded(orders=1), store_at(tmp_path), Clock()
    first = await logged_in(sb, store, clock)
    clock.now = first.expires_at - 10  # due
    held = HeldRefresh(sb)
    async with client_for(sb, store, clock, transport=held) as client:
        call = asyncio.create_task(client.list_warehouses())
        await asyncio.wait_for(held.answered.wait(), 10)
        await meanwhile(sb, store, clock)  # completes while the refresh is in flight
        held.release.set()
        try:
            await asyncio.wait_for(call, 10)
        except ApiAuthError as exc:
            return sb, store, clock, first, exc
    return sb, store, clock, first, None


async def test_a_refresh_that_finishes_after_logout_discards_its_tokens(tmp_path):
    async def logout(sb, store, clock):
        assert login_for(sb, store, clock).logout() is True

    sb, store, clock, first, raised = await refresh_held_during(tmp_path, logout)
    assert sb.oauth.tally()["refreshes"] == 1  # Brightpearl did refresh
    assert raised is not None and raised.code == "not_connected" and "logged out" in str(raised)
    assert not store.path.exists() and store.load() is None  # nothing written back
    assert [s for s in api_statuses(sb)] == []  # the new token was never used
    with pytest.raises(ApiAuthError) as status:
        await login_for(sb, store, clock).status()
    assert status.value.code == "not_connected"


async def test_without_a_logout_the_refreshed_tokens_are_stored_and_used(tmp_path):
    async def nothing(sb, store, clock):
        return None

    sb, store, clock, first, raised = await refresh_held_during(tmp_path, nothing)
    assert raised is None and store.load().access_token != first.access_token
    assert api_statuses(sb) == [200]


def test_auth_status_says_not_connected_after_the_race(tmp_path):
    async def logout(sb, store, clock):
        login_for(sb, store, clock).logout()

    sb, store, *_ = asyncio.run(refresh_held_during(tmp_path, logout))
    config = tmp_path / "config.toml"
    settings = {k: v for k, v in sb.oauth_settings().items() if v not in (None, "")}
    config.write_text(tomli_w.dumps({"brightpearl": settings}))
    config.chmod(0o600)
    result = subprocess.run(
        [
            EXE,
            "--config",
            str(config),
            "--state",
            str(tmp_path / "state.sqlite3"),
            "auth",
            "status",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3 and result.stdout.startswith("not connected"), result
