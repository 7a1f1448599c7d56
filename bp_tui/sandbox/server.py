"""Serve both sandboxes over real HTTP on loopback, one port.

Brightpearl answers at the root (``/{account}/authorise`` and ``/public-api/{account}/...``),
ShipStation under ``/shipstation``; test controls under ``/_sandbox`` (loopback only, no auth,
never rate-limited or faulted), so another process can drive the accounts and check
exactly-once:

* ``POST /_sandbox/labels?count=N``: packers print labels for N open orders (with
  ``real_world``, some slots also bring a split, merge, return label or late void);
* ``POST /_sandbox/label?shipment_id=se-N`` (or ``orderId=N``) ``[&tracking_number=...]``: a packer
  buys a label for that one order (answered in V1 and V2 terms: the same account serves both);
  V2 only: ``&status=processing`` (a label being made:
  ``POST /_sandbox/complete-label?label_id=se-N`` completes it) or ``&status=error`` (a label
  that could not be made);
* ``GET /_sandbox/tally``: what reached each API (duplicates, labelled-but-unconfirmed, faults);
* ``POST /_sandbox/split?orderId=N[&items=KEY:QTY,...]``: a ShipStation user splits an order;
* ``POST /_sandbox/merge?orderId=N&merge=ID,ID``: combines orders into order N;
* ``POST /_sandbox/return-label?orderId=N``: buys a return label for the order;
* ``POST /_sandbox/void?shipmentId=N[&days=D]``: voids a label (bought D days ago: a late void);
  ``label_id=se-N`` names it in V2 terms;
* ``POST /_sandbox/edit-order?orderId=N`` + JSON fields: edits the order in the ShipStation UI;
* ``POST /_sandbox/timezone?name=ZONE``: the Brightpearl account's time zone (empty: none);
* ``POST /_sandbox/staff?name=...&email=...``: a new Brightpearl staff contact;
* ``GET /_sandbox/oauth``: the OAuth server's counts (codes, exchanges, refreshes, refusals);
* ``POST /_sandbox/oauth/revoke``: the merchant turns the app off (every grant is refused);
* ``POST /_sandbox/oauth/expire``: every live access token expires now;
* ``POST /_sandbox/oauth/hold?seconds=S``: the token endpoint answers S seconds after issuing
  (0: at once), a window in which a client can be killed with new tokens issued but not received.
"""

from __future__ import annotations

import json
import random
import socket
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import tomli_w

from bp_tui.sandbox.activity import label_open_orders
from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox
from bp_tui.sandbox.shipstation.account import NotPossible, ShipStationAccount

SS_PREFIX = "/shipstation"
CONTROL_PREFIX = "/_sandbox"
Scope = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]


def combined_app(
    bp_app: ASGIApp, ss_app: ASGIApp, prefix: str = SS_PREFIX, control: ASGIApp | None = None
) -> ASGIApp:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if (
            control is not None
            and scope["type"] == "http"
            and path.startswith(CONTROL_PREFIX + "/")
        ):
            await control(scope, receive, send)
            return
        if scope["type"] == "http" and (path == prefix or path.startswith(prefix + "/")):
            inner = dict(scope)
            inner["path"] = path[len(prefix) :] or "/"
            inner["raw_path"] = inner["path"].encode()
            await ss_app(inner, receive, send)
            return
        await bp_app(scope, receive, send)

    return app


OAUTH_KEYS = ("dev_ref", "client_secret", "oauth_url", "redirect_uri")


def connection_toml(
    bp: BrightpearlSandbox, ss: ShipStationAccount, base_url: str, *, auth: str = "password"
) -> str:
    """The [brightpearl] and [shipstation] keys that point a config at the served sandboxes; the
    OAuth keys too (used when ``auth = "oauth"``, after ``bp-tui auth login``)."""
    bp_keys = (
        bp.oauth_settings(base_url)
        if auth == "oauth"
        else {**bp.settings(base_url), **{k: bp.oauth_settings(base_url)[k] for k in OAUTH_KEYS}}
    )
    doc = {
        "brightpearl": {
            k: bp_keys[k]
            for k in (
                "account_code",
                "integration_url",
                "auth",
                "username",
                "password",
                "app_ref",
                *OAUTH_KEYS,
                "staff_contact_id",
            )
            if auth != "oauth" or k not in ("username", "password")
        },
        "shipstation": {k: v for k, v in ss.settings(base_url + SS_PREFIX).items()},
    }
    return tomli_w.dumps(doc)


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def _gon_id(order_key: str | None) -> int | None:
    tail = (order_key or "").rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


def tally(bp: BrightpearlSandbox, ss: ShipStationAccount) -> dict[str, Any]:
    """Counts that show exactly-once from outside: duplicates and labelled-but-unconfirmed notes.

    The parts of a split order share one orderKey (not a duplicate); a note is labelled once
    every part of its order has a live outbound label, or the order it was merged into has one;
    return labels never count as labels."""
    originals = [o for o in ss.orders.values() if o["advancedOptions"].get("parentId") is None]
    keys = Counter(o["orderKey"] for o in originals)
    shw = {
        gid: sum(1 for e in g["events"] if e["eventCode"] == "SHW") for gid, g in bp.gons.items()
    }
    markers: Counter = Counter()
    for notes in bp.notes.values():
        for note in notes:
            if "[bp-tui " in note["text"]:
                markers[note["text"].rsplit("[bp-tui ", 1)[1]] += 1
    outbound = [s for s in ss.shipments.values() if not s.get("isReturnLabel")]
    labelled = {s["orderId"] for s in outbound if not s["voided"]}
    families: dict[str, list[dict]] = defaultdict(list)
    for order in ss.orders.values():
        families[order["orderKey"]].append(order)
    labelled_gons: set[int] = set()
    for parts in families.values():
        live = [p for p in parts if p["orderStatus"] != "cancelled"]
        if not live or not all(p["orderId"] in labelled for p in live):
            continue
        covered = [p["orderKey"] for p in live]
        covered += [
            ss.merged_orders[m]["orderKey"]
            for p in live
            for m in p["advancedOptions"]["mergedIds"]
            if m in ss.merged_orders
        ]
        labelled_gons.update(g for g in map(_gon_id, covered) if g is not None)
    chaos = {
        name: getattr(sb, "chaos", None) for name, sb in (("brightpearl", bp), ("shipstation", ss))
    }
    return {
        "eligible": sorted(
            gid
            for gid, g in bp.gons.items()
            if g["orderId"] and g["status"]["printed"] and not g["status"]["shipped"]
        ),
        "order_keys": sorted(keys),
        "orders": len(ss.orders),
        "open_orders": sum(
            1 for o in ss.orders.values() if o["orderStatus"] == "awaiting_shipment"
        ),
        "labelled": len(labelled),
        "labelled_unconfirmed": sorted(g for g in labelled_gons if shw.get(g, 0) == 0),
        "shipped_gons": sum(1 for n in shw.values() if n),
        "duplicate_orders": sorted(k for k, n in keys.items() if n > 1),
        "duplicate_shw": sorted(g for g, n in shw.items() if n > 1),
        "duplicate_notes": sorted(m for m, n in markers.items() if n > 1),
        "notes": sum(markers.values()),
        "split_parts": len(ss.orders) - len(originals),
        "merged_away": len(ss.merged_orders),
        "return_labels": sum(1 for s in ss.shipments.values() if s.get("isReturnLabel")),
        "voided_labels": sum(1 for s in outbound if s["voided"]),
        "violations": {
            "brightpearl": bp.violations
            + (chaos["brightpearl"].violations if chaos["brightpearl"] else 0),
            "shipstation": ss.violations
            + (chaos["shipstation"].violations if chaos["shipstation"] else 0),
        },
        "faults": {name: dict(c.injected) if c else {} for name, c in chaos.items()},
    }


class _ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _int(query: dict[str, str], name: str, default: int | None = None) -> int:
    value = query.get(name)
    if value in (None, ""):
        if default is None:
            raise _ControlError(400, f"{name} is required")
        return default
    try:
        return int(value)
    except ValueError:
        raise _ControlError(400, f"{name} must be a whole number") from None


def _se_or_int(query: dict[str, str], v2_name: str, v1_name: str) -> int:
    """An id given in V2 terms (``se-N``, under ``v2_name``) or V1 terms (``N``, under
    ``v1_name``)."""
    value = query.get(v2_name)
    if value:
        if not value.startswith("se-") or not value[3:].isdigit():
            raise _ControlError(400, f"{v2_name} must look like se-123")
        return int(value[3:])
    return _int(query, v1_name)


def _label_answer(made: dict) -> dict:
    """A label the control endpoints made, in V1 terms and in V2 terms (the same account)."""
    return {
        "orderId": made["orderId"],
        "shipmentId": made["shipmentId"],
        "trackingNumber": made["trackingNumber"],
        "label_id": f"se-{made['shipmentId']}",
        "shipment_id": f"se-{made['orderId']}",
        "tracking_number": made["trackingNumber"],
    }


def _ids(query: dict[str, str], name: str) -> list[int]:
    try:
        return [int(part) for part in (query.get(name) or "").split(",") if part.strip()]
    except ValueError:
        raise _ControlError(400, f"{name} must be whole numbers separated by commas") from None


def _moves(text: str) -> dict[str | int, int] | None:
    if not text:
        return None
    moves: dict[str | int, int] = {}
    for pair in text.split(","):
        key, _, count = pair.rpartition(":")
        if not key or not count.isdigit():
            raise _ControlError(
                400, "items must look like KEY:QTY,KEY:QTY (lineItemKey or orderItemId)"
            )
        moves[key] = int(count)
    return moves


def control_app(
    bp: BrightpearlSandbox, ss: ShipStationAccount, *, seed: int = 7, real_world: bool = False
) -> ASGIApp:
    """The ``/_sandbox`` test controls (see the module's docstring), loopback only."""
    rng = random.Random(seed)

    def labels(query: dict[str, str], body: Any) -> dict:
        made, events = label_open_orders(ss, rng, _int(query, "count", 1), real_world=real_world)
        answer: dict[str, Any] = {"labels": [_label_answer(m) for m in made]}
        if real_world:
            answer["events"] = events
        return answer

    def split(query: dict[str, str], body: Any) -> dict:
        order_id = _int(query, "orderId")
        part = ss.split_order(order_id, _moves(query.get("items", "")))
        return {"order": ss.orders[order_id], "part": part}

    def merge(query: dict[str, str], body: Any) -> dict:
        return {"order": ss.merge_orders(_int(query, "orderId"), _ids(query, "merge"))}

    def return_label(query: dict[str, str], body: Any) -> dict:
        return {
            "shipment": ss.create_return_label(
                _int(query, "orderId"), tracking_number=query.get("trackingNumber") or None
            )
        }

    def label(query: dict[str, str], body: Any) -> dict:
        order_id = _se_or_int(query, "shipment_id", "orderId")
        if order_id not in ss.orders:
            raise _ControlError(404, f"no open order or shipment {order_id}")
        if ss.orders[order_id]["orderStatus"] not in (
            "awaiting_shipment",
            "awaiting_payment",
            "on_hold",
            "pending_fulfillment",
        ):
            raise NotPossible(
                f"order {order_id} is {ss.orders[order_id]['orderStatus']}: no label can be bought"
            )
        status = query.get("status") or "completed"
        if status != "completed":  # a V2 label being made or failed (V1 has neither)
            if not hasattr(ss, "create_unfinished_label"):
                raise _ControlError(
                    400, "status processing or error needs the V2 sandbox (--ss-api v2)"
                )
            if status not in ("processing", "error"):
                raise _ControlError(
                    400, f"status must be completed, processing or error, not {status!r}"
                )
            return {
                "label": _label_answer(ss.create_unfinished_label(order_id, status)),
                "status": status,
            }
        made = ss.create_label(
            order_id,
            tracking_number=query.get("tracking_number") or None,
            carrier_code=query.get("carrier_code") or "ups",
            service_code=query.get("service_code") or "ups_ground",
        )
        return {"label": _label_answer(made)}

    def complete_label(query: dict[str, str], body: Any) -> dict:
        label_id = _se_or_int(query, "label_id", "shipmentId")
        unfinished = getattr(getattr(ss, "v2", None), "unfinished", {})
        if label_id not in unfinished:
            raise _ControlError(404, f"no processing label {label_id}")
        try:
            return {"label": _label_answer(ss.complete_label(label_id))}  # type: ignore[attr-defined]
        except ValueError as exc:
            raise NotPossible(str(exc)) from None

    def void(query: dict[str, str], body: Any) -> dict:
        shipment_id = _se_or_int(query, "label_id", "shipmentId")
        if shipment_id not in ss.shipments:
            raise _ControlError(404, f"no label {shipment_id}")
        if query.get("days"):
            return {"shipment": ss.void_late(shipment_id, days=_int(query, "days"))}
        if ss.shipments[shipment_id]["voided"]:
            raise NotPossible(f"Label {shipment_id} is already voided")
        ss.void_label(shipment_id)
        return {"shipment": ss.shipments[shipment_id]}

    def edit_order(query: dict[str, str], body: Any) -> dict:
        if not isinstance(body, dict):
            raise _ControlError(400, "send the fields to change as a JSON object")
        return {"order": ss.edit_order(_int(query, "orderId"), **body)}

    def set_timezone(query: dict[str, str], body: Any) -> dict:
        bp.set_timezone(query.get("name") or None)
        return {"timezone": bp.timezone_name}

    def staff(query: dict[str, str], body: Any) -> dict:
        return {"contactId": bp.add_staff(query.get("name", ""), query.get("email", ""))}

    def oauth_hold(query: dict[str, str], body: Any) -> dict:
        try:
            bp.oauth.hold_s = max(0.0, float(query.get("seconds") or 0))
        except ValueError:
            raise _ControlError(400, "seconds must be a number") from None
        return {"hold_s": bp.oauth.hold_s}

    routes: dict[tuple[str, str], Callable[[dict[str, str], Any], dict]] = {
        ("POST", "/labels"): labels,
        ("POST", "/label"): label,
        ("GET", "/tally"): lambda query, body: tally(bp, ss),
        ("POST", "/complete-label"): complete_label,
        ("POST", "/split"): split,
        ("POST", "/merge"): merge,
        ("POST", "/return-label"): return_label,
        ("POST", "/void"): void,
        ("POST", "/edit-order"): edit_order,
        ("POST", "/timezone"): set_timezone,
        ("POST", "/staff"): staff,
        ("GET", "/oauth"): lambda query, body: bp.oauth.tally(),
        ("POST", "/oauth/revoke"): lambda query, body: {"revoked": bp.oauth.revoke()},
        ("POST", "/oauth/expire"): lambda query, body: {"expired": bp.oauth.expire_access()},
        ("POST", "/oauth/hold"): oauth_hold,
    }

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        path, method = scope["path"][len(CONTROL_PREFIX) :], scope["method"]
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        raw = b""
        more = True
        while more:
            message = await receive()
            raw += message.get("body", b"")
            more = message.get("more_body", False)
        handler = routes.get((method, path))
        try:
            if handler is None:
                raise _ControlError(404, f"no control route {method} {path}")
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                raise _ControlError(400, "the body is not JSON") from None
            status, answer = 200, handler(query, body)
        except _ControlError as exc:
            status, answer = exc.status, {"message": str(exc)}
        except KeyError as exc:
            status, answer = 404, {"message": str(exc.args[0]) if exc.args else "not found"}
        except ValueError as exc:  # NotPossible and bad values
            status, answer = 400, {"message": str(exc)}
        raw = json.dumps(answer).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(raw)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": raw})

    return app
