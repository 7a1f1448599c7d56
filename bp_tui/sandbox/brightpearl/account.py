"""The Brightpearl sandbox's account: data in the API's JSON shape, plus control hooks.

``app.build_app`` serves an account over ASGI and ``sandbox.BrightpearlSandbox`` is an account
together with its app; this module imports neither. Tests and the demo also read and change
the data directly through the methods here.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from bp_tui.sandbox.brightpearl import shapes
from bp_tui.sandbox.brightpearl.errors import BpError, bad_request, not_found
from bp_tui.sandbox.brightpearl.oauth import REAL_ACCESS_TTL_S, OAuthServer
from bp_tui.sandbox.brightpearl.ratelimit import RollingWindow
from bp_tui.sandbox.brightpearl.seed import base_reference_data, seed_account

EVENT_CODES = ("PRI", "UPR", "PIC", "UPI", "PAC", "UPA", "SHW")
_FLAG_OF = {
    "PRI": ("printed", True),
    "UPR": ("printed", False),
    "PIC": ("picked", True),
    "UPI": ("picked", False),
    "PAC": ("packed", True),
    "UPA": ("packed", False),
    "SHW": ("shipped", True),
}


@dataclass
class Fault:
    """An injected failure: answer ``status`` instead of (or, with ``process``, after) the real
    work."""

    method: str
    path_contains: str
    status: int
    times: int
    process: bool


class BrightpearlAccount:
    def __init__(
        self,
        *,
        account_code: str = "demo",
        username: str = "ops@demo.example",
        password: str = "sandbox-password",
        app_ref: str = "demo_bptui",
        staff_token: str = "sandbox-staff-token",
        account_token: str = "sandbox-account-token",
        rate_limit: int = 200,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        timezone: str | None = None,
        oauth_ttl_s: float = REAL_ACCESS_TTL_S,
    ) -> None:
        """``timezone`` (opt-in): the account's own time zone, e.g. ``America/Chicago`` (see
        :meth:`set_timezone`); without it offset-less times are read as UTC, as before.
        ``oauth_ttl_s``: the life of an OAuth access token (real: 7 days)."""
        self.account_code = account_code
        self.username = username
        self.password = password
        self.app_ref = app_ref
        self.staff_token = staff_token
        self.account_token = account_token
        self.api_access = True  # False: authorise answers GWYB-003
        self.clock = clock
        self.window = RollingWindow(rate_limit, window_s, clock)
        self.tokens: set[str] = set()
        # The OAuth instance app registered for this account (see oauth.py).
        self.oauth = OAuthServer(
            account_code=account_code, app_ref=app_ref, access_ttl_s=oauth_ttl_s
        )
        self.orders: dict[int, dict[str, Any]] = {}
        self.gons: dict[int, dict[str, Any]] = {}
        self._gons_by_order: dict[
            int, list[int]
        ] = {}  # order id -> its GON ids (an index over ``gons``)
        self.products: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.warehouses: dict[int, dict[str, Any]] = {}
        self.shipping_methods: dict[int, dict[str, Any]] = {}
        self.statuses: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}  # order id -> notes
        self.staff: dict[int, str] = {4: "Sam Picker", 203: "Alex Admin", 206: "Jo Ops"}
        self.staff_emails: dict[int, str] = {
            4: "sam.picker@demo.example",
            203: "alex.admin@demo.example",
            206: "jo.ops@demo.example",
        }
        self.zone: tzinfo | None = None
        self.timezone_name: str | None = None
        self.set_timezone(timezone)
        self.request_log: list[tuple[float, str, str, int]] = []
        self.faults: list[Fault] = []
        self.counts: dict[str, Any] = {}
        self._order_ids = itertools.count(100001)
        self._gon_ids = itertools.count(50001)
        self._row_ids = itertools.count(900001)
        self._note_ids = itertools.count(70001)
        self._event_version = itertools.count(3130001)
        base_reference_data(self)

    # ------------------------------------------------------------------ settings and control

    @property
    def violations(self) -> int:
        return self.window.violations

    @property
    def staff_contact_id(self) -> int:
        return 203

    def settings(self, base_url: str = "https://brightpearl.sandbox") -> dict[str, Any]:
        """The ``[brightpearl]`` config keys that point at this sandbox."""
        return {
            "datacenter": "euw1",
            "account_code": self.account_code,
            "integration_url": f"{base_url.rstrip('/')}/public-api/{self.account_code}",
            "auth": "password",
            "username": self.username,
            "password": self.password,
            "app_ref": self.app_ref,
            "token": "",
            "staff_contact_id": self.staff_contact_id,
        }

    def oauth_settings(self, base_url: str = "https://brightpearl.sandbox") -> dict[str, Any]:
        """The ``[brightpearl]`` config keys for connecting to this sandbox by OAuth (then run
        ``bp-tui auth login``, or ``SandboxEnvironment.oauth_login``)."""
        base = base_url.rstrip("/")
        return {
            **self.settings(base),
            "auth": "oauth",
            "username": "",
            "password": "",
            "dev_ref": self.oauth.dev_ref,
            "client_secret": self.oauth.client_secret,
            "oauth_url": f"{base}/oauth",
            "redirect_uri": self.oauth.redirect_uri,
        }

    def set_timezone(self, name: str | None) -> None:
        """Make this an account in time zone ``name`` (IANA, e.g. ``America/Chicago``, or an offset
        such as ``-06:00``): it reads offset-less times in search filters (``updatedOn=
        2026-01-01T10:00:00/``) and in event ``occured`` in that zone, times with an offset or ``Z``
        as given, and answers with that zone's offset. None: offset-less times are UTC and answers
        carry the recordings' fixed -06:00 (the behaviour before time zones)."""
        self.zone = shapes.account_zone(name)
        self.timezone_name = name or None

    def stamp(self, moment: datetime) -> str:
        """A moment as this account writes it (its zone's offset)."""
        return shapes.bp_time(moment, self.zone)

    def parse_time(self, value: Any) -> datetime | None:
        """A date-time as this account reads it: no offset means the account's own zone."""
        return _parse_time(value, self.zone)

    def add_staff(self, name: str, email: str) -> int:
        """A new staff contact (found by ``contact-search?isStaff=true``, usable as
        eventOwnerId)."""
        if not name.strip() or "@" not in email:
            raise ValueError("a staff member needs a name and an email address")
        contact_id = max(self.staff) + 1
        self.staff[contact_id] = name.strip()
        self.staff_emails[contact_id] = email.strip()
        return contact_id

    def expire_tokens(self) -> None:
        """Forget every legacy session token, as if they had timed out."""
        self.tokens.clear()

    def new_token(self) -> str:
        token = str(uuid.uuid4())
        self.tokens.add(token)
        return token

    def consume_requests(self, n: int) -> None:
        """Spend ``n`` requests of the shared pool, as other apps on the account would."""
        self.window.consume(n)

    def fail_next(
        self,
        method: str,
        path_contains: str,
        *,
        status: int = 500,
        times: int = 1,
        process: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status``; ``process`` = do the work
        first (the answer is lost after the change took effect)."""
        self.faults.append(Fault(method.upper(), path_contains, status, times, process))

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.path_contains in path and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def seed(self, orders: int = 60, seed: int = 1, *, now: datetime | None = None) -> None:
        """Realistic, deterministic data (see ``seed.py``); counts land in ``self.counts``."""
        seed_account(self, orders=orders, seed=seed, now=now or datetime.now(UTC))
        self.counts = self.count_gons()

    def count_gons(self) -> dict[str, Any]:
        by_state: dict[str, int] = {}
        for gon in self.gons.values():
            by_state[gon_state(gon)] = by_state.get(gon_state(gon), 0) + 1
        return {
            "orders": len(self.orders),
            "gons": len(self.gons),
            "by_state": by_state,
            "printed_unshipped": self.eligible_count("printed"),
            "picked_unshipped": self.eligible_count("picked"),
            "packed_unshipped": self.eligible_count("packed"),
            "transfers": sum(1 for g in self.gons.values() if g["orderId"] == 0),
        }

    def eligible_count(self, import_when: str = "printed") -> int:
        """GONs of sales orders that reached ``import_when`` and are not shipped."""
        return sum(
            1
            for g in self.gons.values()
            if g["orderId"] != 0 and g["status"][import_when] and not g["status"]["shipped"]
        )

    # ------------------------------------------------------------------ orders

    def add_order(
        self,
        *,
        channel_id: int = 1,
        warehouse_id: int = 2,
        rows: list[tuple[int, int]] | None = None,
        customer: dict[str, Any] | None = None,
        delivery: dict[str, Any] | None = None,
        placed_on: datetime | None = None,
        status_id: int = 2,
        contact_id: int = 300,
        currency: str = "GBP",
        reference: str = "",
    ) -> int:
        """A sales order; ``rows`` = (product id, quantity) pairs; parties default to a UK
        customer."""
        order_id = next(self._order_ids)
        rows = rows or [(min(self.products), 1)]
        cust = dict(
            customer
            or shapes.party(
                name="Demo Customer",
                line1="34 Lime St",
                line2="Barton",
                line3="Sheffield",
                line4="South Yorkshire",
                postal_code="S1 4RT",
                country="United Kingdom",
                iso2="GB",
                iso3="GBR",
                country_id=222,
                telephone="01245 845632",
                email="demo@test.example",
            )
        )
        cust["contactId"] = contact_id
        deliv = (
            dict(delivery)
            if delivery is not None
            else {k: v for k, v in cust.items() if k != "contactId"}
        )
        deliv.pop("contactId", None)
        row_json: dict[str, dict[str, Any]] = {}
        for seq, (product_id, qty) in enumerate(rows, start=1):
            product = self.products[product_id]
            price = product.get("_price", "10.00")
            row_json[str(next(self._row_ids))] = shapes.order_row(
                product, sequence=seq, quantity=qty, price=price, currency=currency
            )
        status = self.statuses[status_id]
        self.orders[order_id] = shapes.order(
            order_id,
            placed_on=placed_on or datetime.now(UTC),
            channel_id=channel_id,
            warehouse_id=warehouse_id,
            status_id=status_id,
            status_name=status["name"],
            customer=cust,
            delivery=deliv,
            billing=dict(cust),
            rows=row_json,
            currency=currency,
            reference=reference,
            zone=self.zone,
        )
        return order_id

    def update_order(self, order_id: int, *, delivery: dict[str, Any] | None = None) -> None:
        """Edit an order as a person would in Brightpearl (e.g. correct the delivery address)."""
        order = self.orders[order_id]
        if delivery:
            order["parties"]["delivery"].update(delivery)
        self.touch_order(order)

    def touch_order(self, order: dict[str, Any]) -> None:
        order["version"] += 1
        order["updatedOn"] = self.stamp(datetime.now(UTC))

    def set_order_status(self, order_id: int, status_id: int) -> None:
        order = self.orders.get(order_id)
        if order is None:
            raise not_found(f"Cannot find order {order_id}")
        status = self.statuses.get(status_id)
        if (
            status is None
            or status["orderTypeCode"] != order["orderTypeCode"]
            or not status["visible"]
        ):
            raise bad_request(
                "ORDB-028", f"Order status {status_id} does not exist for this order type"
            )
        order["orderStatus"] = {"orderStatusId": status_id, "name": status["name"]}
        self.touch_order(order)
        self.add_note(
            order_id, f"Order status changed to {status['name']}", added_by=self.staff_contact_id
        )

    def add_note(
        self, order_id: int, text: str, *, is_public: bool = False, added_by: int = 203
    ) -> int:
        order = self.orders.get(order_id)
        if order is None:
            raise not_found(f"Cannot find order {order_id}")
        note_id = next(self._note_ids)
        self.notes.setdefault(order_id, []).append(
            {
                "noteId": note_id,
                "contactId": order["parties"]["customer"].get("contactId", 0),
                "text": text,
                "isPublic": is_public,
                "addedOn": self.stamp(datetime.now(UTC)),
                "addedBy": added_by,
                "orderStatusId": order["orderStatus"]["orderStatusId"],
            }
        )
        return note_id

    # ------------------------------------------------------------------ goods-out notes

    def add_printed_gon(self) -> int:
        """A printed note for a new order of one item (product 1001): a note ready to import."""
        return self.add_gon(self.add_order(rows=[(1001, 1)]), state="printed")

    def add_gon(
        self,
        order_id: int,
        rows: Mapping[int, int] | None = None,
        warehouse_id: int | None = None,
        *,
        state: str = "new",
        sequence: int | None = None,
        created_on: datetime | None = None,
        target_warehouse_id: int | None = None,
        shipping_method_id: int = 1,
    ) -> int:
        """A goods-out note. ``rows`` = order row id -> quantity (None: every stock-tracked row in
        full). For a transfer (``order_id`` 0) the keys are product ids. ``state`` is one of
        new / printed / picked / packed / shipped."""
        order = self.orders.get(order_id) if order_id else None
        if order_id and order is None:
            raise KeyError(f"no order {order_id}")
        if warehouse_id is None:
            warehouse_id = order["warehouseId"] if order else min(self.warehouses)
        parts: dict[str, list[dict[str, Any]]] = {}
        if order is not None:
            if rows is None:
                rows = {
                    int(rid): int(float(r["quantity"]["magnitude"]))
                    for rid, r in order["orderRows"].items()
                    if self.products.get(r["productId"], {})
                    .get("stock", {})
                    .get("stockTracked", True)
                }
            for rid, qty in rows.items():
                product_id = order["orderRows"][str(rid)]["productId"]
                parts[str(rid)] = [
                    {"productId": product_id, "quantity": qty, "locationId": warehouse_id * 10}
                ]
        else:
            for product_id, qty in (rows or {}).items():
                parts[str(next(self._row_ids))] = [
                    {"productId": product_id, "quantity": qty, "locationId": warehouse_id * 10}
                ]
        if sequence is None:
            sequence = 1 + (len(self._gons_of_order(order_id)) if order_id else 0)
        gon_id = next(self._gon_ids)
        self._gons_by_order.setdefault(order_id, []).append(gon_id)
        created = created_on or datetime.now(UTC)
        self.gons[gon_id] = shapes.goods_out_note(
            order_id=order_id,
            warehouse_id=warehouse_id,
            created_on=created,
            created_by=self.staff_contact_id,
            rows=parts,
            sequence=sequence,
            shipping_method_id=shipping_method_id,
            version=next(self._event_version),
            target_warehouse_id=target_warehouse_id,
            zone=self.zone,
        )
        codes = {
            "new": [],
            "printed": ["PRI"],
            "picked": ["PRI", "PIC"],
            "packed": ["PRI", "PIC", "PAC"],
            "shipped": ["SHW"],
        }[state]
        if codes:
            self.apply_events(
                gon_id,
                [
                    {"eventCode": c, "occured": self.stamp(created), "eventOwnerId": 4}
                    for c in codes
                ],
            )
        return gon_id

    def set_gon_state(
        self,
        gon_id: int,
        *,
        printed: bool | None = None,
        picked: bool | None = None,
        packed: bool | None = None,
    ) -> None:
        """Post PRI/UPR, PIC/UPI, PAC/UPA events as the warehouse staff would."""
        now = self.stamp(datetime.now(UTC))
        events = []
        for flag, on, off in (
            ("printed", "PRI", "UPR"),
            ("picked", "PIC", "UPI"),
            ("packed", "PAC", "UPA"),
        ):
            wanted = {"printed": printed, "picked": picked, "packed": packed}[flag]
            if wanted is not None:
                events.append(
                    {"eventCode": on if wanted else off, "occured": now, "eventOwnerId": 4}
                )
        if events:
            self.apply_events(gon_id, events)

    def ship_outside(
        self,
        gon_id: int,
        *,
        reference: str | None = None,
        when: str = "2026-01-01T10:00:00.000+00:00",
    ) -> None:
        """The note shipped in Brightpearl by warehouse staff, outside ShipStation: an SHW event
        (and the shipping reference they typed, if given)."""
        self.apply_events(gon_id, [{"eventCode": "SHW", "occured": when, "eventOwnerId": 4}])
        if reference is not None:
            self.gons[gon_id]["shipping"]["reference"] = reference

    def delete_gon(self, gon_id: int) -> dict[str, Any]:
        """Delete the note, as a person would in Brightpearl; the note as it was."""
        gon = self.gons.pop(gon_id, None)
        if gon is None:
            raise KeyError(f"no goods-out note {gon_id}")
        siblings = self._gons_by_order.get(gon["orderId"], [])
        if gon_id in siblings:
            siblings.remove(gon_id)
        return gon

    def restore_gon(self, gon_id: int, gon: dict[str, Any]) -> None:
        """Put back a note ``delete_gon`` took out: to the engine, a note listed again (Brightpearl
        cannot undelete; this is what a glitch that hid a note looks like from outside)."""
        self.gons[gon_id] = gon
        siblings = self._gons_by_order.setdefault(gon["orderId"], [])
        if gon_id not in siblings:
            siblings.append(gon_id)

    def _gons_of_order(self, order_id: int) -> list[dict[str, Any]]:
        """The GONs of one order, without scanning every GON (seeding 10,000 orders stays
        linear)."""
        return [self.gons[g] for g in self._gons_by_order.get(order_id, ()) if g in self.gons]

    def update_gon(self, gon_id: int, body: Any) -> None:
        gon = self.gons.get(gon_id)
        if gon is None:
            raise not_found(f"Cannot find goods-out note {gon_id}")
        if not isinstance(body, dict):
            raise bad_request("CMNC-010", "You must supply a JSON formatted body with your request")
        if gon["status"]["shipped"]:
            raise bad_request(
                "WHSC-062",
                f"Goods-out note {gon_id} has been shipped; no further updates are allowed",
            )
        shipping = body.get("shipping") or {}
        if not isinstance(shipping, dict):
            raise bad_request("WHSC-070", "shipping must be an object")
        reference = shipping.get("reference")
        if reference is not None and (not isinstance(reference, str) or len(reference) > 64):
            raise bad_request(
                "WHSC-070", "shipping.reference must be a string of at most 64 characters"
            )
        label = body.get("labelUri")
        if label is not None and (not isinstance(label, str) or len(label) > 512):
            raise bad_request("WHSC-070", "labelUri must be a string of at most 512 characters")
        method = shipping.get("shippingMethodId")
        if method is not None and method not in self.shipping_methods:
            raise bad_request("WHSB-038", f"Shipping method {method} does not exist")
        for key in ("reference", "shippingMethodId", "boxes", "weight"):
            if key in shipping:
                gon["shipping"][key] = shipping[key]
        if "priority" in body:
            gon["priority"] = bool(body["priority"])
        if label is not None:
            gon["labelUri"] = label

    def post_events(self, gon_id: int, body: Any, if_match: str | None) -> None:
        gon = self.gons.get(gon_id)
        if gon is None:
            raise not_found(f"Cannot find goods-out note {gon_id}")
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list) or not events:
            raise bad_request("CMNC-010", "You must supply a JSON formatted body with your request")
        for event in events:
            if not isinstance(event, dict) or event.get("eventCode") not in EVENT_CODES:
                raise bad_request("WHSB-041", "eventCode must be one of " + ", ".join(EVENT_CODES))
            if (
                not isinstance(event.get("eventOwnerId"), int)
                or event["eventOwnerId"] not in self.staff
            ):
                raise bad_request(
                    "WHSB-042", f"eventOwnerId {event.get('eventOwnerId')} is not a staff contact"
                )
            if not self.parse_time(event.get("occured")):
                raise bad_request("WHSB-043", "occured must be an ISO-8601 date-time")
        if gon["status"]["shipped"]:
            raise BpError(
                409,
                "WHSC-097",
                f"Goods-out note {gon_id} is already shipped; no events can be added",
            )
        if if_match is not None and if_match.strip().strip('"') != str(gon["lastEventVersion"]):
            raise BpError(
                409,
                "WHSC-098",
                f"Goods-out note {gon_id} was changed "
                f"(lastEventVersion is {gon['lastEventVersion']})",
            )
        self.apply_events(gon_id, events)

    def apply_events(self, gon_id: int, events: list[dict[str, Any]]) -> None:
        """Record events; SHW first adds any missing PRI/PIC/PAC with the same time."""
        gon = self.gons[gon_id]
        status = gon["status"]
        for event in events:
            code = event["eventCode"]
            when = self.stamp(self.parse_time(event["occured"]) or datetime.now(UTC))
            owner = event["eventOwnerId"]
            added = [code]
            if code == "SHW":
                added += [
                    c
                    for c, flag in (("PRI", "printed"), ("PIC", "picked"), ("PAC", "packed"))
                    if not status[flag]
                ]
            for each in added:
                flag, value = _FLAG_OF[each]
                status[flag] = value
                if value:
                    status[f"{flag}On"] = when
                    status[f"{flag}ById"] = owner
                else:
                    status.pop(f"{flag}On", None)
                    status.pop(f"{flag}ById", None)
                gon["events"].append({"occured": when, "eventOwnerId": owner, "eventCode": each})
            gon["lastEventVersion"] = next(self._event_version)
        order = self.orders.get(gon["orderId"])
        if order is not None:
            mine = self._gons_of_order(gon["orderId"])
            shipped = sum(1 for g in mine if g["status"]["shipped"])
            order["shippingStatusCode"] = (
                "ASS" if shipped == len(mine) else ("SPS" if shipped else "SNS")
            )


def gon_state(gon: dict[str, Any]) -> str:
    for word in ("shipped", "packed", "picked", "printed"):
        if gon["status"][word]:
            return word
    return "new"


def _parse_time(value: Any, zone: tzinfo | None = None) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone or UTC)
