"""Generated activity in the ShipStation sandbox: packers printing labels and, opt-in, what
ShipStation users do to orders in a real account (split, combine, return labels, late voids).

Used by the demo heartbeat (``SandboxEnvironment.tick``) and by ``POST /_sandbox/labels`` of
``bp-tui sandbox serve``; ``real_world`` is off unless asked for (``--real-world``).
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from bp_tui.sandbox.shipstation import shapes
from bp_tui.sandbox.shipstation.account import ShipStationAccount

REAL_WORLD_EVENTS = ("split", "merge", "return_label", "late_void")
REAL_WORLD_SHARE = 0.3  # of label slots that also bring one real-world event


def open_orders(ss: ShipStationAccount) -> list[dict]:
    return [o for o in ss.orders.values() if o["orderStatus"] == "awaiting_shipment"]


def label_open_orders(
    ss: ShipStationAccount, rng: random.Random, count: int, *, real_world: bool = False
) -> tuple[list[dict], list[dict]]:
    """Labels for up to ``count`` open orders (the labels, and any real-world events).

    With ``real_world``, before each label a share of slots first brings one event of
    :func:`real_world_event`, so parts of split orders, survivors of merges, return labels and
    voids of old labels turn up among the labels a client reads back."""
    events: list[dict] = []
    if real_world:
        for _ in range(max(0, count)):
            if rng.random() < REAL_WORLD_SHARE:
                event = real_world_event(ss, rng)
                if event:
                    events.append(event)
    candidates = open_orders(ss)
    rng.shuffle(candidates)
    return [ss.create_label(o["orderId"]) for o in candidates[: max(0, count)]], events


def real_world_kinds(ss: ShipStationAccount) -> tuple[str, ...]:
    """The kinds of event the account's API can show (``ss.real_world_events``; all by default)."""
    return tuple(getattr(ss, "real_world_events", REAL_WORLD_EVENTS))


def real_world_event(
    ss: ShipStationAccount, rng: random.Random, prefer: tuple[str, ...] = ()
) -> dict[str, Any] | None:
    """One thing a ShipStation user does, picked at random among those possible now (None: none is),
    among :func:`real_world_kinds`; the kinds in ``prefer`` are tried first."""
    kinds = real_world_kinds(ss)
    first = [k for k in prefer if k in kinds]
    rest = [k for k in kinds if k not in first]
    for kind in rng.sample(first, len(first)) + rng.sample(rest, len(rest)):
        event = _EVENTS[kind](ss, rng)
        if event is not None:
            return {"event": kind, **event}
    return None


def _split(ss: ShipStationAccount, rng: random.Random) -> dict | None:
    splittable = [o for o in open_orders(ss) if sum(i["quantity"] for i in o["items"]) >= 2]
    if not splittable:
        return None
    order = rng.choice(splittable)
    part = ss.split_order(order["orderId"])
    return {
        "orderId": order["orderId"],
        "partOrderId": part["orderId"],
        "orderKey": order["orderKey"],
    }


def _merge(ss: ShipStationAccount, rng: random.Random) -> dict | None:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for order in open_orders(ss):
        if len(ss.split_parts(order["orderKey"])) > 1:
            continue
        groups[(order["advancedOptions"]["storeId"], shapes.recipient(order["shipTo"]))].append(
            order
        )
    pairs = [sorted(g, key=lambda o: o["orderId"]) for g in groups.values() if len(g) >= 2]
    if not pairs:
        return None
    survivor, merged = rng.choice(pairs)[:2]
    ss.merge_orders(survivor["orderId"], [merged["orderId"]])
    return {"orderId": survivor["orderId"], "mergedIds": [merged["orderId"]]}


def _outbound_live(ss: ShipStationAccount) -> list[dict]:
    return [
        s
        for s in ss.shipments.values()
        if not s["voided"] and not s["isReturnLabel"] and s["orderId"] in ss.orders
    ]


def _return_label(ss: ShipStationAccount, rng: random.Random) -> dict | None:
    labelled = sorted({s["orderId"] for s in _outbound_live(ss)})
    if not labelled:
        return None
    record = ss.create_return_label(rng.choice(labelled))
    return {key: record[key] for key in ("orderId", "shipmentId", "trackingNumber")}


def _late_void(ss: ShipStationAccount, rng: random.Random) -> dict | None:
    live = _outbound_live(ss)
    if not live:
        return None
    label = rng.choice(sorted(live, key=lambda s: s["shipmentId"]))
    days = rng.randint(3, 30)
    ss.void_late(label["shipmentId"], days=days)
    return {"orderId": label["orderId"], "shipmentId": label["shipmentId"], "days": days}


_EVENTS = {"split": _split, "merge": _merge, "return_label": _return_label, "late_void": _late_void}
