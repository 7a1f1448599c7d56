"""Serve both sandboxes over real HTTP on loopback, one port.

Brightpearl answers at the root (``/{account}/authorise`` and ``/public-api/{account}/...``),
ShipStation under ``/shipstation``.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import tomli_w

from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox
from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox

SS_PREFIX = "/shipstation"
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def combined_app(bp_app: ASGIApp, ss_app: ASGIApp, prefix: str = SS_PREFIX) -> ASGIApp:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == prefix or path.startswith(prefix + "/")):
            inner = dict(scope)
            inner["path"] = path[len(prefix):] or "/"
            inner["raw_path"] = inner["path"].encode()
            await ss_app(inner, receive, send)
            return
        await bp_app(scope, receive, send)

    return app


def connection_toml(bp: BrightpearlSandbox, ss: ShipStationSandbox, base_url: str) -> str:
    """The [brightpearl] and [shipstation] keys that point a config at the served sandboxes."""
    bp_keys = bp.settings(base_url)
    doc = {
        "brightpearl": {k: bp_keys[k] for k in ("account_code", "integration_url", "auth", "username", "password",
                                                "app_ref", "staff_contact_id")},
        "shipstation": {k: v for k, v in ss.settings(base_url + SS_PREFIX).items()},
    }
    return tomli_w.dumps(doc)


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock
