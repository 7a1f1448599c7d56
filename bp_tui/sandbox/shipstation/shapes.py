"""Validation of incoming orders and the full V1 JSON shapes the sandbox answers with."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bp_tui.sandbox.shipstation.countries import ISO2
from bp_tui.shipstation.dates import parse_datetime, to_api_date, to_api_datetime

ORDER_STATUSES = (
    "awaiting_payment",
    "awaiting_shipment",
    "pending_fulfillment",
    "shipped",
    "on_hold",
    "cancelled",
    "rejected_fulfillment",
)
OPEN_STATUSES = frozenset(
    {"awaiting_payment", "awaiting_shipment", "pending_fulfillment", "on_hold"}
)

ADDRESS_KEYS = (
    "name",
    "company",
    "street1",
    "street2",
    "street3",
    "city",
    "state",
    "postalCode",
    "country",
    "phone",
    "residential",
    "addressVerified",
)
ITEM_KEYS = (
    "orderItemId",
    "lineItemKey",
    "sku",
    "name",
    "imageUrl",
    "weight",
    "quantity",
    "unitPrice",
    "taxAmount",
    "shippingAmount",
    "warehouseLocation",
    "options",
    "productId",
    "fulfillmentSku",
    "adjustment",
    "upc",
    "createDate",
    "modifyDate",
)
ADVANCED_KEYS = (
    "warehouseId",
    "nonMachinable",
    "saturdayDelivery",
    "containsAlcohol",
    "mergedOrSplit",
    "mergedIds",
    "parentId",
    "storeId",
    "customField1",
    "customField2",
    "customField3",
    "source",
    "billToParty",
    "billToAccount",
    "billToPostalCode",
    "billToCountryCode",
)
WRITABLE_ORDER_KEYS = (
    "orderNumber",
    "orderKey",
    "orderDate",
    "paymentDate",
    "shipByDate",
    "orderStatus",
    "customerUsername",
    "customerEmail",
    "amountPaid",
    "taxAmount",
    "shippingAmount",
    "customerNotes",
    "internalNotes",
    "gift",
    "giftMessage",
    "paymentMethod",
    "requestedShippingService",
    "carrierCode",
    "serviceCode",
    "packageCode",
    "confirmation",
    "shipDate",
    "holdUntilDate",
    "weight",
    "dimensions",
    "insuranceOptions",
    "internationalOptions",
    "tagIds",
)


def validate_order(order: Any) -> str | None:
    """Why ShipStation would refuse this createorders item, or None."""
    if not isinstance(order, dict):
        return "Each order must be a JSON object"
    number = order.get("orderNumber")
    if not isinstance(number, str) or not number.strip():
        return "orderNumber is required"
    if len(number) > 50:
        return f"orderNumber '{number[:20]}...' is longer than 50 characters"
    key = order.get("orderKey")
    if key is not None and (not isinstance(key, str) or len(key) > 50):
        return "orderKey must be a string of at most 50 characters"
    if not order.get("orderDate"):
        return "orderDate is required"
    for field in ("orderDate", "paymentDate", "shipByDate"):
        if order.get(field):
            try:
                parse_datetime(str(order[field]))
            except ValueError:
                return f"Invalid date for {field}: '{order[field]}'"
    status = order.get("orderStatus")
    if status not in ORDER_STATUSES:
        return f"Invalid orderStatus '{status}'"
    for field in ("shipTo", "billTo"):
        if not isinstance(order.get(field), dict):
            return f"{field} is required"
    country = order["shipTo"].get("country")
    if not isinstance(country, str) or country.upper() not in ISO2:
        return f"Invalid country code '{country}'"
    items = order.get("items")
    if items is not None and not isinstance(items, list):
        return "items must be an array"
    for index, item in enumerate(items or []):
        if not isinstance(item, dict):
            return f"items[{index}] must be an object"
        if item.get("name") is None:
            return f"items[{index}].name cannot be null"
        quantity = item.get("quantity", 1)
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            return f"items[{index}].quantity must be a whole number"
    return None


def api_datetime(value: Any) -> str | None:
    """A date-time as ShipStation answers it (Pacific, 7 digits, no offset), or None."""
    parsed = parse_datetime(str(value)) if value else None
    return to_api_datetime(parsed) if parsed else None


def address(data: dict | None, *, ship_to: bool) -> dict:
    data = data or {}
    out = {key: data.get(key) for key in ADDRESS_KEYS}
    if out["country"]:
        out["country"] = str(out["country"]).upper()
    if ship_to and not out["addressVerified"]:
        out["addressVerified"] = "Address not yet validated"
    return out


def items(data: list | None, *, next_item_id, stamp: str) -> list[dict]:
    out = []
    for raw in data or []:
        item = {key: raw.get(key) for key in ITEM_KEYS}
        item.update(orderItemId=next_item_id(), createDate=stamp, modifyDate=stamp)
        item["quantity"] = int(raw.get("quantity", 1))
        item["options"] = raw.get("options") or []
        item["adjustment"] = bool(raw.get("adjustment", False))
        out.append(item)
    return out


def order_record(
    body: dict,
    *,
    order_id: int,
    customer_id: int,
    store_id: int,
    create_date: str,
    modify_date: str,
    next_item_id,
) -> dict:
    """A full V1 order (the shape ``GET /orders`` answers with) from a createorders item."""
    record: dict[str, Any] = {"orderId": order_id}
    for key in WRITABLE_ORDER_KEYS:
        record[key] = body.get(key)
    for key in ("orderDate", "paymentDate", "shipByDate"):
        record[key] = api_datetime(body.get(key))
    ship_date = body.get("shipDate")
    record["shipDate"] = str(ship_date)[:10] if ship_date else None
    record["createDate"] = create_date
    record["modifyDate"] = modify_date
    record["customerId"] = customer_id
    record["billTo"] = address(body.get("billTo"), ship_to=False)
    record["shipTo"] = address(body.get("shipTo"), ship_to=True)
    record["items"] = items(body.get("items"), next_item_id=next_item_id, stamp=modify_date)
    record["orderTotal"] = order_total(record)
    record["gift"] = bool(body.get("gift", False))
    options = body.get("advancedOptions") or {}
    advanced = {key: options.get(key) for key in ADVANCED_KEYS}
    advanced.update(
        storeId=store_id,
        nonMachinable=bool(options.get("nonMachinable", False)),
        saturdayDelivery=bool(options.get("saturdayDelivery", False)),
        containsAlcohol=bool(options.get("containsAlcohol", False)),
        mergedOrSplit=False,
        mergedIds=[],
        parentId=None,
    )
    record["advancedOptions"] = advanced
    record["insuranceOptions"] = body.get("insuranceOptions") or {
        "provider": None,
        "insureShipment": False,
        "insuredValue": 0,
    }
    record["internationalOptions"] = body.get("internationalOptions") or {
        "contents": None,
        "customsItems": None,
        "nonDelivery": None,
    }
    record.update(
        userId=None,
        externallyFulfilled=False,
        externallyFulfilledBy=None,
        externallyFulfilledById=None,
        externallyFulfilledByName=None,
    )
    record["orderKey"] = body.get("orderKey")
    return record


def order_total(order: dict) -> float:
    """Goods plus tax plus shipping, as ShipStation computes ``orderTotal``."""
    goods = sum((i.get("unitPrice") or 0) * i["quantity"] for i in order.get("items") or [])
    return round(goods + (order.get("taxAmount") or 0) + (order.get("shippingAmount") or 0), 2)


# What a ShipStation user can change on an open order in the web UI (the rest is the order's
# identity, read-only, or the items). ``advancedOptions`` keys are listed separately.
UI_EDITABLE = (
    "carrierCode",
    "serviceCode",
    "packageCode",
    "confirmation",
    "weight",
    "dimensions",
    "internalNotes",
    "customerNotes",
    "gift",
    "giftMessage",
    "requestedShippingService",
    "shipByDate",
    "holdUntilDate",
    "insuranceOptions",
    "internationalOptions",
    "tagIds",
)
UI_EDITABLE_ADVANCED = (
    "warehouseId",
    "nonMachinable",
    "saturdayDelivery",
    "containsAlcohol",
    "customField1",
    "customField2",
    "customField3",
    "billToParty",
    "billToAccount",
    "billToPostalCode",
    "billToCountryCode",
)
READ_ONLY_ADVANCED = ("mergedOrSplit", "mergedIds", "parentId")
SAME_ADDRESS_KEYS = ("name", "street1", "street2", "city", "state", "postalCode", "country")


def recipient(address: dict) -> tuple[str, ...]:
    """Who and where a ship-to names; orders with equal ones can be combined (chosen: any case)."""
    return tuple(str(address.get(k) or "").strip().casefold() for k in SAME_ADDRESS_KEYS)


def same_recipient(a: dict, b: dict) -> bool:
    return recipient(a) == recipient(b)


def shipment_record(
    order: dict,
    *,
    shipment_id: int,
    tracking_number: str,
    carrier_code: str,
    service_code: str,
    when: datetime,
    user_id: str,
) -> dict:
    """A label shipment (the shape ``GET /shipments`` answers with); items kept for
    includeShipmentItems."""
    advanced = order.get("advancedOptions") or {}
    return {
        "shipmentId": shipment_id,
        "orderId": order["orderId"],
        "orderKey": order.get("orderKey"),
        "userId": user_id,
        "customerEmail": order.get("customerEmail"),
        "orderNumber": order["orderNumber"],
        "createDate": to_api_datetime(when),
        "shipDate": to_api_date(when),
        "shipmentCost": 9.87,
        "insuranceCost": 0,
        "trackingNumber": tracking_number,
        "isReturnLabel": False,
        "batchNumber": None,
        "carrierCode": carrier_code,
        "serviceCode": service_code,
        "packageCode": "package",
        "confirmation": None,
        "warehouseId": advanced.get("warehouseId"),
        "voided": False,
        "voidDate": None,
        "marketplaceNotified": False,
        "notifyErrorMessage": None,
        "shipTo": dict(order["shipTo"]),
        "weight": {**(order.get("weight") or {"value": 16, "units": "ounces"}), "WeightUnits": 1},
        "dimensions": order.get("dimensions")
        or {"units": "inches", "length": 10, "width": 8, "height": 4},
        "insuranceOptions": {"provider": None, "insureShipment": False, "insuredValue": 0},
        "advancedOptions": {
            "billToParty": None,
            "billToAccount": None,
            "billToPostalCode": None,
            "billToCountryCode": None,
            "storeId": advanced.get("storeId"),
        },
        "shipmentItems": [dict(item) for item in order.get("items") or []],
        "labelData": None,
        "formData": None,
    }


def fulfillment_record(
    order: dict,
    *,
    fulfillment_id: int,
    tracking_number: str,
    carrier_code: str | None,
    when: datetime,
    user_id: str,
    ship_date: date | None = None,
) -> dict:
    ship_day = (ship_date.isoformat() if ship_date else to_api_date(when)) + "T00:00:00.0000000"
    return {
        "fulfillmentId": fulfillment_id,
        "orderId": order["orderId"],
        "orderNumber": order["orderNumber"],
        "userId": user_id,
        "customerEmail": order.get("customerEmail"),
        "trackingNumber": tracking_number,
        "createDate": to_api_datetime(when),
        "shipDate": ship_day,
        "voidDate": None,
        "deliveryDate": None,
        "carrierCode": carrier_code,
        "sellerFillProviderId": None,
        "sellerFillProviderName": None,
        "fulfillmentProviderCode": None,
        "fulfillmentServiceCode": None,
        "fulfillmentFee": 0,
        "voidRequested": False,
        "voided": False,
        "marketplaceNotified": False,
        "notifyErrorMessage": None,
        "shipTo": dict(order["shipTo"]),
    }


def store_record(store_id: int, name: str, *, stamp: str) -> dict:
    return {
        "storeId": store_id,
        "storeName": name,
        "marketplaceId": 0,
        "marketplaceName": "ShipStation",
        "accountName": None,
        "email": None,
        "integrationUrl": None,
        "active": True,
        "companyName": "",
        "phone": "",
        "publicEmail": "",
        "website": "",
        "refreshDate": stamp,
        "lastRefreshAttempt": stamp,
        "createDate": stamp,
        "modifyDate": stamp,
        "autoRefresh": False,
        "statusMappings": None,
    }


CARRIERS = [
    {
        "name": "UPS by ShipStation",
        "code": "ups",
        "accountNumber": "SS1234",
        "requiresFundedAccount": True,
        "balance": 120.5,
        "nickname": None,
        "shippingProviderId": 12345,
        "primary": True,
    },
    {
        "name": "FedEx",
        "code": "fedex",
        "accountNumber": "297401",
        "requiresFundedAccount": False,
        "balance": 0,
        "nickname": None,
        "shippingProviderId": 12346,
        "primary": True,
    },
    {
        "name": "Stamps.com",
        "code": "stamps_com",
        "accountNumber": "example",
        "requiresFundedAccount": True,
        "balance": 24.12,
        "nickname": None,
        "shippingProviderId": 12347,
        "primary": True,
    },
]
SERVICES = {
    "ups": [
        ("ups_ground", "UPS® Ground", True, False),
        ("ups_next_day_air", "UPS Next Day Air®", True, False),
        ("ups_worldwide_expedited", "UPS Worldwide Expedited®", False, True),
    ],
    "fedex": [
        ("fedex_ground", "FedEx Ground®", True, False),
        ("fedex_2day", "FedEx 2Day®", True, False),
        ("fedex_international_economy", "FedEx International Economy®", False, True),
    ],
    "stamps_com": [
        ("usps_priority_mail", "USPS Priority Mail", True, False),
        ("usps_priority_mail_international", "USPS Priority Mail Intl", False, True),
    ],
}


def services(carrier_code: str) -> list[dict]:
    return [
        {
            "carrierCode": carrier_code,
            "code": code,
            "name": name,
            "domestic": dom,
            "international": intl,
        }
        for code, name, dom, intl in SERVICES[carrier_code]
    ]
