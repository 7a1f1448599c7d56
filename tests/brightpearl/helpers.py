"""Shared helpers: a sandbox and a client wired to it in-process."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bp_tui.apiclient import Backoff
from bp_tui.brightpearl.client import BrightpearlClient
from bp_tui.config.model import BrightpearlSettings
from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "brightpearl"
NOW = datetime(2025, 11, 4, 12, 0, tzinfo=UTC)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class Sleeps:
    """An injected sleep that records the delays and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def settings_for(sb: BrightpearlSandbox, **overrides: Any) -> BrightpearlSettings:
    values = sb.settings()
    values.update(overrides)
    return BrightpearlSettings(**values)


def client_for(
    sb: BrightpearlSandbox,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Any = None,
    **overrides: Any,
) -> BrightpearlClient:
    kwargs: dict[str, Any] = {
        "transport": transport or httpx.ASGITransport(app=sb.app),
        "backoff": Backoff(attempts=4, base=0.001, cap=0.01),
    }
    if sleep is not None:
        kwargs["sleep"] = sleep
    return BrightpearlClient(settings_for(sb, **overrides), **kwargs)


def seeded(orders: int = 60, seed: int = 1, **kwargs: Any) -> BrightpearlSandbox:
    sb = BrightpearlSandbox(**kwargs)
    sb.seed(orders=orders, seed=seed, now=NOW)
    return sb
