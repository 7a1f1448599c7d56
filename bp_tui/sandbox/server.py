"""Serve both sandboxes over real HTTP on loopback, one port.

Brightpearl answers at the root (``/{account}/authorise`` and ``/public-api/{account}/...``),
ShipStation under ``/shipstation``; test controls under ``/_sandbox`` (``POST
/_sandbox/labels?count=N`` prints labels for open orders, ``GET /_sandbox/tally`` counts what
reached each API, so another process can check exactly-once).
"""

from __future__ import annotations

import json
import random
import socket
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import tomli_w

from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox
from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox

SS_PREFIX = "/shipstation"
CONTROL_PREFIX = "/_sandbox"
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def combined_app(bp_app: ASGIApp, ss_app: ASGIApp, prefix: str = SS_PREFIX,
                 control: ASGIApp | None = None) -> ASGIApp:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if control is not None and scope["type"] == "http" and path.startswith(CONTROL_PREFIX + "/"):
            await control(scope, receive, send)
            return
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


def tally(bp: BrightpearlSandbox, ss: ShipStationSandbox) -> dict[str, Any]:
    """Counts that show exactly-once from outside: duplicates and labelled-but-unconfirmed notes."""
    keys = Counter(o["orderKey"] for o in ss.orders.values())
    shw = {gid: sum(1 for e in g["events"] if e["eventCode"] == "SHW") for gid, g in bp.gons.items()}
    markers: Counter = Counter()
    for notes in bp.notes.values():
        for note in notes:
            if "[bp-tui " in note["text"]:
                markers[note["text"].rsplit("[bp-tui ", 1)[1]] += 1
    gon_of = {o["orderId"]: o["orderKey"].rsplit("-", 1)[-1] for o in ss.orders.values()}
    labelled = sorted({s["orderId"] for s in ss.shipments.values() if not s["voided"]})
    chaos = {name: getattr(sb, "chaos", None) for name, sb in (("brightpearl", bp), ("shipstation", ss))}
    return {
        "eligible": sorted(gid for gid, g in bp.gons.items()
                           if g["orderId"] and g["status"]["printed"] and not g["status"]["shipped"]),
        "order_keys": sorted(keys),
        "orders": len(ss.orders),
        "open_orders": sum(1 for o in ss.orders.values() if o["orderStatus"] == "awaiting_shipment"),
        "labelled": len(labelled),
        "labelled_unconfirmed": sorted(int(gon_of[o]) for o in labelled
                                       if gon_of[o].isdigit() and shw.get(int(gon_of[o]), 0) == 0),
        "shipped_gons": sum(1 for n in shw.values() if n),
        "duplicate_orders": sorted(k for k, n in keys.items() if n > 1),
        "duplicate_shw": sorted(g for g, n in shw.items() if n > 1),
        "duplicate_notes": sorted(m for m, n in markers.items() if n > 1),
        "notes": sum(markers.values()),
        "violations": {"brightpearl": bp.violations + (chaos["brightpearl"].violations if chaos["brightpearl"] else 0),
                       "shipstation": ss.violations + (chaos["shipstation"].violations if chaos["shipstation"] else 0)},
        "faults": {name: dict(c.injected) if c else {} for name, c in chaos.items()},
    }


def control_app(bp: BrightpearlSandbox, ss: ShipStationSandbox, *, seed: int = 7) -> ASGIApp:
    """``POST /_sandbox/labels?count=N`` and ``GET /_sandbox/tally``: test controls, loopback only."""
    rng = random.Random(seed)

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        path, method = scope["path"][len(CONTROL_PREFIX):], scope["method"]
        query = dict(p.partition("=")[::2] for p in scope.get("query_string", b"").decode().split("&") if p)
        status, body = 200, {}
        if path == "/labels" and method == "POST":
            try:
                count = int(query.get("count", "1"))
            except ValueError:
                status, body = 400, {"message": "count must be a whole number"}
            else:
                open_orders = [o for o in ss.orders.values() if o["orderStatus"] == "awaiting_shipment"]
                rng.shuffle(open_orders)
                made = [ss.create_label(o["orderId"]) for o in open_orders[:max(0, count)]]
                body = {"labels": [{"orderId": m["orderId"], "shipmentId": m["shipmentId"],
                                    "trackingNumber": m["trackingNumber"]} for m in made]}
        elif path == "/tally" and method == "GET":
            body = tally(bp, ss)
        else:
            status, body = 404, {"message": f"no control route {method} {path}"}
        raw = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]})
        await send({"type": "http.response.body", "body": raw})

    return app
