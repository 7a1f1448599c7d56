"""What ShipStation V2 does to the account: create, replace and cancel shipments, mark them
shipped, and what only V2 keeps (its key and rate limit, extra packages, a custom ship-from).

Rules from the reference, and the forms chosen where it is open:
- create refuses an ``external_shipment_id`` already on the account (the parts of a split share
  one and count as taken); longer ids and numbers are cut to 50 characters, silently; without an
  ``external_shipment_id`` the shipment gets ``se-<shipment_id>``;
- every shipment needs ``warehouse_id`` or ``ship_from``, never both (spec); the store is
  ``se-<storeId>``, the account's manual store when omitted (chosen: as V1);
- ``PUT /v2/shipments/{id}`` replaces the whole shipment: a field the body leaves out is cleared
  (practice, reference §7); only pending shipments; ``external_shipment_id`` and ``store_id``
  cannot change, read-only keys are ignored (chosen), unknown keys refused (chosen: the create
  schema's ``additionalProperties: false``);
- cancel needs every label voided first; cancelling a cancelled or shipped one is refused
  (chosen: ``invalid_status``);
- a refused batch item answers inside the 200 with ``external_shipment_id`` and its ``errors`` as
  strings, as the published schema has them (chosen; the client also reads objects);
- errors carry only the published envelope's keys and enum values: ``error_source``
  ``ShipStation`` (chosen; live 401s were seen saying ``shipengine``), no ``field_name`` (the
  message names the field), ``invalid_identifier`` for an id that names nothing (the enum has no
  ``not_found``; chosen).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from bp_tui.sandbox.shipstation import shapes as v1shapes
from bp_tui.sandbox.shipstation.account import CreateRefused, ShipStationAccount
from bp_tui.sandbox.shipstation.ratelimit import RateWindow
from bp_tui.sandbox.shipstation_v2 import shapes
from bp_tui.shipstation.dates import PACIFIC, to_api_datetime

DEFAULT_KEY = "sandbox-v2-key"
V2_RATE_LIMIT = 200  # requests per minute (docs.shipstation.com/rate-limits)
WAREHOUSE_ID = 524_391
V2_ONLY = (
    "validate_address",
    "zone",
    "display_scheme",
    "assigned_user",
    "notes_to_buyer",
    "return_to",
    "customs",
    "order_source_code",
    "external_order_id",
    "shipping_rule_id",
)
FULFILLMENT_KEYS = frozenset(
    {
        "shipment_id",
        "tracking_number",
        "carrier_code",
        "ship_date",
        "notify_customer",
        "notify_order_source",
    }
)
ERROR_SOURCE = "ShipStation"  # the published enum's spelling (chosen)
V1_ONLY_KEPT = (
    "paymentDate",
    "paymentMethod",
    "customerUsername",
    "insuranceOptions",
    "internationalOptions",
    "tagIds",
    "shipDate",
    "billTo",
    "orderDate",
)


class V2Refused(ValueError):
    """A V2 error: the HTTP status, and the envelope's ``error_code``, ``error_type`` and
    ``field_name``."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid_field_value",
        field: str | None = None,
        status: int = 400,
        error_type: str = "validation",
    ) -> None:
        super().__init__(message)
        self.code, self.field, self.status, self.error_type = code, field, status, error_type

    def entry(self) -> dict[str, Any]:
        """The error in the published envelope's form (``field`` stays on the exception)."""
        return {
            "error_source": ERROR_SOURCE,
            "error_type": self.error_type,
            "error_code": self.code,
            "message": str(self),
        }


class NotFound(V2Refused):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} was not found", code="invalid_identifier", status=404, error_type="validation"
        )


class V2Face:
    def __init__(
        self,
        account: ShipStationAccount,
        *,
        api_key: str = DEFAULT_KEY,
        rate_limit: int = V2_RATE_LIMIT,
        window_s: float = 60.0,
    ) -> None:
        self.account = account
        self.api_key = api_key
        self.window_s = window_s
        self.limiter = RateWindow(limit=rate_limit, window_s=window_s, clock=account.clock)
        self.extras: dict[
            int, dict[str, Any]
        ] = {}  # orderId -> what only V2 keeps for the shipment
        self.received: list[
            dict[str, Any]
        ] = []  # every POST /v2/shipments item as sent (tests read it)
        # Whether create keeps the shipment's number and custom fields, which the published create
        # schema lacks (chosen: kept, as integrations that send them report); False: dropped, as
        # the schema alone would have it (the number then is the external id), for the client's
        # check of the create answer.
        self.create_keeps_extras = True
        # labels not completed (V2 only: processing or error), by number, V1-shaped with "v2_status"
        self.unfinished: dict[int, dict[str, Any]] = {}
        address = {
            "name": "Warehouse",
            "company_name": "Sandbox Goods Ltd",
            "phone": "5125550100",
            "address_line1": "4009 Marathon Blvd",
            "city_locality": "Austin",
            "state_province": "TX",
            "postal_code": "78756",
            "country_code": "US",
            "address_residential_indicator": "no",
        }
        self.warehouses: dict[int, dict[str, Any]] = {
            WAREHOUSE_ID: {
                "warehouse_id": shapes.se(WAREHOUSE_ID),
                "name": "Main warehouse",
                "is_default": True,
                "created_at": "2024-01-02T03:04:05.000Z",
                "origin_address": address,
                "return_address": address,
            }
        }

    def settings(self, base_url: str) -> dict[str, Any]:
        """The ``[shipstation]`` config keys that point at this face."""
        return {
            "api_version": "v2",
            "api_key": self.api_key,
            "base_url": base_url,
            "store_id": getattr(self.account, "brightpearl_store_id", 0),
        }

    # ---- reading ----------------------------------------------------------------------

    def order(self, v2_id: str) -> dict:
        """The account order behind a V2 shipment id (merged-away orders are gone, as in V1)."""
        number = shapes.number_of(v2_id)
        order = self.account.orders.get(number) if number is not None else None
        if order is None:
            raise NotFound(f"Shipment {v2_id}")
        return order

    def shipment(self, order: dict) -> dict:
        extra = self.extras.get(order["orderId"], {})
        view = shapes.shipment_view(order, extra=extra, warehouses=self.warehouses)
        view.update(extra.get("v2_only", {}))
        return view

    def shipments(self) -> list[dict]:
        return [
            self.shipment(o)
            for o in sorted(self.account.orders.values(), key=lambda o: o["orderId"])
        ]

    def labels(self) -> list[dict]:
        merged = self.account.merged_orders
        orders = self.account.orders
        records = [*self.account.shipments.values(), *self.unfinished.values()]
        return [
            shapes.label_view(s, order=orders.get(s["orderId"]))
            for s in sorted(records, key=lambda s: s["shipmentId"])
            if s["orderId"] not in merged
        ]

    def fulfillments(self) -> list[dict]:
        return [
            shapes.fulfillment_view(f)
            for f in sorted(self.account.fulfillments.values(), key=lambda f: f["fulfillmentId"])
        ]

    # ---- writing ----------------------------------------------------------------------

    def create(self, body: Any) -> dict:
        """One ``POST /v2/shipments`` item: the new shipment, or V2Refused."""
        self.received.append(body if isinstance(body, dict) else {"(not an object)": body})
        if not isinstance(body, dict):
            raise V2Refused("each shipment must be a JSON object")
        self._known_keys(body, shapes.CREATE_KEYS | shapes.CREATE_PENDING, what="a new shipment")
        if not self.create_keeps_extras:
            body = {
                k: v for k, v in body.items() if k not in ("shipment_number", "advanced_options")
            }
        key = str(body.get("external_shipment_id") or "")[: shapes.MAX_ID_LENGTH]
        if key and (self.account.order_by_key(key) or self.account.split_parts(key)):
            taken = (self.account.split_parts(key) or [self.account.order_by_key(key) or {}])[0]
            raise V2Refused(
                f"A shipment with external_shipment_id '{key}' already "
                f"exists ({shapes.se(taken['orderId'])})",
                code="identifier_conflict",
                field="external_shipment_id",
                error_type="business_rules",
            )
        if body.get("shipment_status") not in (None, "pending"):
            raise V2Refused(
                "a new shipment can only be pending", code="invalid_status", field="shipment_status"
            )
        ship_to = self._ship_to(body)
        warehouse = self._warehouse(body)
        store = body.get("store_id")
        store_id = shapes.number_of(store) if store else None
        if store and store_id is None:
            raise V2Refused(
                f"store_id '{store}' is not a ShipStation id (se-...)",
                code="invalid_identifier",
                field="store_id",
            )
        number = str(body.get("shipment_number") or key)[: shapes.MAX_ID_LENGTH]
        v1 = self._v1_body(
            body,
            ship_to,
            key=key or f"pending-{uuid.uuid4()}",
            number=number or "pending",
            warehouse=warehouse,
        )
        v1["advancedOptions"]["storeId"] = store_id
        v1["orderDate"] = to_api_datetime(
            self.account.now()
        )  # chosen: V2 has no order date; creation time
        v1["orderStatus"] = "awaiting_shipment"
        v1["billTo"] = {"name": ship_to.get("name")}  # chosen: V2 has no bill-to address
        record = self._apply(v1)
        if not key:
            self.account.rekey_order(record["orderId"], shapes.se(record["orderId"]) or "")
            if not body.get("shipment_number"):
                record["orderNumber"] = record["orderKey"]
        self._keep_extras(record["orderId"], body)
        self.extras[record["orderId"]]["create_sales_order"] = bool(
            body.get("create_sales_order", False)
        )
        return self.shipment(record)

    def replace(self, v2_id: str, body: Any) -> dict:
        """``PUT /v2/shipments/{id}``: the whole shipment replaced by ``body``."""
        order = self.order(v2_id)
        if not isinstance(body, dict):
            raise V2Refused("the body must be a shipment object")
        read_only = sorted(set(body) & shapes.READ_ONLY)
        if read_only:
            raise V2Refused(
                f"read-only field(s) cannot be updated: {', '.join(read_only)}", field=read_only[0]
            )
        self._known_keys(body, shapes.UPDATE_KEYS, what="an update")
        status = shapes.STATUS.get(order["orderStatus"], "pending")
        if status != "pending":
            raise V2Refused(
                f"Shipment {v2_id} is {status}: only pending shipments can be updated",
                code="invalid_status",
                field="shipment_status",
                error_type="business_rules",
            )
        wanted = body.get("external_shipment_id")
        if wanted is not None and str(wanted)[: shapes.MAX_ID_LENGTH] != order["orderKey"]:
            raise V2Refused(
                "external_shipment_id cannot be changed after the shipment is created",
                field="external_shipment_id",
                error_type="business_rules",
            )
        store = body.get("store_id")
        if store is not None and shapes.number_of(store) != order["advancedOptions"]["storeId"]:
            raise V2Refused(
                "store_id cannot be changed after the shipment is created",
                field="store_id",
                error_type="business_rules",
            )
        ship_to = self._ship_to(body)
        warehouse = self._warehouse(body)
        number = (
            str(body.get("shipment_number") or "")[: shapes.MAX_ID_LENGTH] or order["orderNumber"]
        )
        v1 = self._v1_body(body, ship_to, key=order["orderKey"], number=number, warehouse=warehouse)
        v1["advancedOptions"]["storeId"] = order["advancedOptions"]["storeId"]
        v1["orderId"] = order["orderId"]
        v1["orderStatus"] = order["orderStatus"]
        for field in V1_ONLY_KEPT:  # what V2 cannot see, it does not clear
            v1[field] = order.get(field)
        record = self._apply(v1)
        created_sales_order = self.extras.get(order["orderId"], {}).get("create_sales_order", True)
        self._keep_extras(record["orderId"], body)
        self.extras[record["orderId"]]["create_sales_order"] = created_sales_order
        return self.shipment(record)

    def cancel(self, v2_id: str) -> None:
        """``PUT /v2/shipments/{id}/cancel``."""
        order = self.order(v2_id)
        if order["orderStatus"] == "cancelled":
            raise V2Refused(
                f"Shipment {v2_id} is already cancelled",
                code="invalid_status",
                error_type="business_rules",
            )
        live = [
            s
            for s in self.account.shipments.values()
            if s["orderId"] == order["orderId"] and not s["voided"] and not s.get("isReturnLabel")
        ]
        if live:
            raise V2Refused(
                f"Shipment {v2_id} has a label ({shapes.se(live[0]['shipmentId'])}): any label "
                "associated with the shipment needs to be voided first",
                code="invalid_status",
                error_type="business_rules",
            )
        if order["orderStatus"] not in v1shapes.OPEN_STATUSES:
            raise V2Refused(
                f"Shipment {v2_id} is "
                f"{shapes.STATUS.get(order['orderStatus'])} and "
                "cannot be cancelled",
                code="invalid_status",
                error_type="business_rules",
            )
        order["orderStatus"] = "cancelled"
        order["modifyDate"] = to_api_datetime(self.account.now())

    @staticmethod
    def check_fulfillment(item: Any, index: int) -> None:
        """An item outside the documented body refuses the whole request (chosen): an object with
        ``shipment_id``, ``tracking_number`` and ``carrier_code`` as non-empty strings, the flags
        true or false, no other key."""
        where = f"fulfillments[{index}]"
        if not isinstance(item, dict):
            raise V2Refused(f"{where} must be an object", field=where)
        unknown = sorted(set(item) - FULFILLMENT_KEYS)
        if unknown:
            raise V2Refused(
                f"unknown field(s) for {where}: {', '.join(unknown)}", field=f"{where}.{unknown[0]}"
            )
        for name in ("shipment_id", "tracking_number", "carrier_code"):
            value = item.get(name)
            if not isinstance(value, str) or not value.strip():
                shown = (
                    "missing" if name not in item else ("null" if value is None else repr(value))
                )
                raise V2Refused(
                    f"{where}.{name} is required (a non-empty string; got {shown})",
                    code="field_value_required",
                    field=f"{where}.{name}",
                )
        for flag in ("notify_customer", "notify_order_source"):
            if item.get(flag) is not None and not isinstance(item[flag], bool):
                raise V2Refused(f"{where}.{flag} must be true or false", field=f"{where}.{flag}")
        if "ship_date" in item and _ship_day(item["ship_date"]) is None:
            raise V2Refused(
                f"{where}.ship_date must be a date or an ISO 8601 date-time",
                field=f"{where}.ship_date",
            )

    def fulfill(self, item: Any) -> dict:
        """One ``POST /v2/fulfillments`` item (checked by ``check_fulfillment``): its result
        (``error_message`` set when refused)."""
        if not isinstance(item, dict):
            return {
                "shipment_id": None,
                "shipment_number": None,
                "error_message": "each fulfillment must be an object",
            }
        sid = item.get("shipment_id")
        result = {"shipment_id": sid, "shipment_number": None, "error_message": None}
        oid = shapes.number_of(sid)
        order = self.account.orders.get(oid) if oid is not None else None
        if order is None:
            result["error_message"] = f"Shipment {sid} was not found"
            return result
        result["shipment_number"] = order["orderNumber"]
        carrier = item.get("carrier_code")
        if order["orderStatus"] not in v1shapes.OPEN_STATUSES:
            result["error_message"] = (
                f"Shipment {sid} is {shapes.STATUS.get(order['orderStatus'])}: it cannot "
                "be fulfilled again"
            )
        else:
            self.account.mark_shipped(
                order["orderId"],
                tracking_number=str(item.get("tracking_number") or ""),
                carrier_code=carrier,
                notify_customer=bool(item.get("notify_customer")),
                notify_sales_channel=bool(item.get("notify_order_source")),
                ship_date=_ship_day(item.get("ship_date")),
            )
        return result

    # ---- helpers ----------------------------------------------------------------------

    @staticmethod
    def _known_keys(body: dict, allowed: frozenset[str], *, what: str) -> None:
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise V2Refused(f"unknown field(s) for {what}: {', '.join(unknown)}", field=unknown[0])

    @staticmethod
    def _ship_to(body: dict) -> dict:
        """``ship_to`` as the contract has it: its string lines strings (never null, never ""), the
        name, first line and country present, and a state or province where the country needs
        one."""
        ship_to = body.get("ship_to")
        if not isinstance(ship_to, dict):
            raise V2Refused("ship_to is required", code="field_value_required", field="ship_to")
        for name in shapes.ADDRESS_STRINGS:
            if name in ship_to and (
                not isinstance(ship_to[name], str) or not ship_to[name].strip()
            ):
                shown = "null" if ship_to[name] is None else repr(ship_to[name])
                raise V2Refused(
                    f"ship_to.{name} must be a non-empty string, not {shown}",
                    field=f"ship_to.{name}",
                )
        for name in shapes.ADDRESS_NEEDED:
            if name not in ship_to:
                raise V2Refused(
                    f"ship_to.{name} is required",
                    code="field_value_required",
                    field=f"ship_to.{name}",
                )
        country = str(ship_to["country_code"]).upper()
        if country in shapes.REGION_REQUIRED and "state_province" not in ship_to:
            raise V2Refused(
                f"ship_to.state_province is required for an address in {country}",
                code="field_value_required",
                field="ship_to.state_province",
            )
        return ship_to

    def _warehouse(self, body: dict) -> int | None:
        """The warehouse number (None with a custom ship_from); both or neither is refused."""
        warehouse, ship_from = body.get("warehouse_id"), body.get("ship_from")
        if warehouse and ship_from:
            raise V2Refused(
                "specify either warehouse_id or ship_from, not both", field="warehouse_id"
            )
        if not warehouse and not isinstance(ship_from, dict):
            raise V2Refused(
                "either warehouse_id or ship_from must be specified",
                code="field_value_required",
                field="warehouse_id",
            )
        if not warehouse:
            return None
        number = shapes.number_of(warehouse)
        if number not in self.warehouses:
            raise V2Refused(
                f"warehouse_id '{warehouse}' was not found",
                code="invalid_identifier",
                field="warehouse_id",
            )
        return number

    @staticmethod
    def _v1_body(
        body: dict, ship_to: dict, *, key: str, number: str, warehouse: int | None
    ) -> dict:
        options = body.get("advanced_options")
        if not isinstance(options, dict):
            options = {}
        advanced = {v1: options.get(v2) for v1, v2 in shapes.ADVANCED if v2}
        advanced["warehouseId"] = warehouse
        confirmation = body.get("confirmation")
        return {
            "orderKey": key,
            "orderNumber": number,
            "customerEmail": ship_to.get("email"),
            "shipTo": shapes.v1_address(ship_to),
            "items": [
                shapes.v1_item(i) if isinstance(i, dict) else i for i in body.get("items") or []
            ],
            "amountPaid": shapes.amount(body.get("amount_paid")),
            "shippingAmount": shapes.amount(body.get("shipping_paid")),
            "taxAmount": shapes.amount(body.get("tax_paid")),
            "customerNotes": body.get("notes_from_buyer"),
            "internalNotes": body.get("internal_notes"),
            "giftMessage": body.get("notes_for_gift"),
            "gift": bool(body.get("is_gift")),
            "requestedShippingService": body.get("requested_shipment_service"),
            "serviceCode": body.get("service_code"),
            "carrierCode": shapes.CARRIER_CODES.get(body.get("carrier_id") or ""),
            "confirmation": None if confirmation in (None, "none") else confirmation,
            "holdUntilDate": shapes.v1_time(body.get("hold_until_date")),
            "shipByDate": shapes.v1_time(body.get("ship_by_date")),
            **shapes.v1_package_fields(body.get("packages") or []),
            "advancedOptions": advanced,
        }

    def _apply(self, v1: dict) -> dict:
        try:
            return self.account.upsert_order(v1)
        except CreateRefused as exc:
            raise V2Refused(str(exc)) from None

    def _keep_extras(self, order_id: int, body: dict) -> None:
        packages = body.get("packages") or []
        ship_from = body.get("ship_from") if not body.get("warehouse_id") else None
        self.extras[order_id] = {
            "more_packages": [p for p in packages[1:] if isinstance(p, dict)],
            "ship_from": ship_from if isinstance(ship_from, dict) else None,
            "v2_only": {k: body[k] for k in V2_ONLY if k in body},
        }


def _ship_day(value: Any) -> date | None:
    """A fulfillment's ``ship_date``: a date, or a date-time whose Pacific day is taken (chosen);
    None for anything else."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(PACIFIC).date() if moment.tzinfo else moment.date()
