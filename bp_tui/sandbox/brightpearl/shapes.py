"""JSON shapes of Brightpearl resources, built like the recorded real payloads."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ACCOUNT_TZ = timezone(timedelta(hours=-6))  # the recordings carry the account's offset, -06:00


def bp_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """``2025-11-04T10:41:38.000-06:00``: in the account's time zone (default the recordings'
    -06:00)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone or ACCOUNT_TZ).isoformat(timespec="milliseconds")


def account_zone(name: str | None) -> tzinfo | None:
    """The time zone an account reads offset-less times in: an IANA name (``America/Chicago``),
    ``UTC`` or a fixed offset (``-06:00``, ``UTC-6``); None or "" = not set."""
    if not name:
        return None
    text = name.strip()
    fixed = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", text)
    if fixed:
        sign = -1 if fixed[1] == "-" else 1
        hours, minutes = int(fixed[2]), int(fixed[3] or 0)
        if hours > 14 or minutes > 59:
            raise ValueError(f"unknown time zone {name!r}")
        return timezone(sign * timedelta(hours=hours, minutes=minutes), text)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as America/Chicago, "
            "or an offset such as -06:00"
        ) from None


def party(
    *,
    name: str,
    company: str = "",
    line1: str = "",
    line2: str = "",
    line3: str = "",
    line4: str = "",
    postal_code: str = "",
    country: str = "",
    iso2: str = "",
    iso3: str = "",
    country_id: int = 0,
    telephone: str = "",
    mobile: str = "",
    email: str = "",
    contact_id: int | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {} if contact_id is None else {"contactId": contact_id}
    out.update(
        {
            "addressFullName": name,
            "companyName": company,
            "addressLine1": line1,
            "addressLine2": line2,
            "addressLine3": line3,
            "addressLine4": line4,
            "postalCode": postal_code,
            "country": country,
            "telephone": telephone,
            "mobileTelephone": mobile,
            "fax": "",
            "email": email,
            "countryId": country_id,
            "countryIsoCode": iso2,
            "countryIsoCode3": iso3,
        }
    )
    return out


def order_row(
    product: dict[str, Any], *, sequence: int, quantity: int, price: str, currency: str
) -> dict[str, Any]:
    net = f"{float(price) * quantity / 1.2:.4f}"
    tax = f"{float(price) * quantity - float(net):.2f}"
    return {
        "orderRowSequence": str(sequence * 10),
        "productId": product["id"],
        "productName": product["salesChannels"][0]["productName"],
        "productSku": product["identity"]["sku"],
        "quantity": {"magnitude": f"{quantity}.0000"},
        "itemCost": {"currencyCode": currency, "value": f"{float(price) / 2:.4f}"},
        "productPrice": {"currencyCode": currency, "value": f"{float(price):.4f}"},
        "discountPercentage": "0.00",
        "rowValue": {
            "taxRate": "20.0000",
            "taxCode": "T",
            "taxCalculator": "brightpearl",
            "rowNet": {"currencyCode": currency, "value": net},
            "rowTax": {"currencyCode": currency, "value": tax},
            "taxClassId": 2,
        },
        "nominalCode": "4000",
        "composition": {"bundleParent": False, "bundleChild": False, "parentOrderRowId": 0},
        "clonedFromId": 0,
    }


def order(
    order_id: int,
    *,
    placed_on: datetime,
    channel_id: int,
    warehouse_id: int,
    status_id: int,
    status_name: str,
    customer: dict[str, Any],
    delivery: dict[str, Any],
    billing: dict[str, Any],
    rows: dict[str, dict[str, Any]],
    currency: str = "GBP",
    reference: str = "",
    created_by: int = 4,
    zone: tzinfo | None = None,
) -> dict[str, Any]:
    net = sum(float(r["rowValue"]["rowNet"]["value"]) for r in rows.values())
    tax = sum(float(r["rowValue"]["rowTax"]["value"]) for r in rows.values())
    stamp = bp_time(placed_on, zone)
    return {
        "id": order_id,
        "parentOrderId": 0,
        "orderTypeCode": "SO",
        "reference": reference,
        "version": 1,
        "state": {"tax": "TAXABLE"},
        "orderStatus": {"orderStatusId": status_id, "name": status_name},
        "orderPaymentStatus": "PAID",
        "stockStatusCode": "SOA",
        "allocationStatusCode": "AAA",
        "shippingStatusCode": "SNS",
        "placedOn": stamp,
        "createdOn": stamp,
        "updatedOn": stamp,
        "createdById": created_by,
        "priceListId": 1,
        "priceModeCode": "INC",
        "delivery": {"shippingMethodId": 0},
        "invoices": [],
        "currency": {
            "accountingCurrencyCode": currency,
            "orderCurrencyCode": currency,
            "exchangeRate": "1.000000",
            "fixedExchangeRate": False,
        },
        "totalValue": {
            "net": f"{net:.2f}",
            "taxAmount": f"{tax:.2f}",
            "baseNet": f"{net:.2f}",
            "baseTaxAmount": f"{tax:.2f}",
            "baseTotal": f"{net + tax:.2f}",
            "total": f"{net + tax:.2f}",
        },
        "assignment": {
            "current": {
                "staffOwnerContactId": 0,
                "projectId": 0,
                "channelId": channel_id,
                "leadSourceId": 0,
                "teamId": 0,
            }
        },
        "parties": {"customer": customer, "delivery": delivery, "billing": billing},
        "orderRows": rows,
        "warehouseId": warehouse_id,
        "acknowledged": 0,
        "costPriceListId": 1,
        "historicalOrder": False,
        "orderWeighting": 100,
    }


def goods_out_note(
    *,
    order_id: int,
    warehouse_id: int,
    created_on: datetime,
    created_by: int,
    rows: dict[str, list[dict[str, Any]]],
    sequence: int,
    shipping_method_id: int,
    version: int,
    target_warehouse_id: int | None = None,
    zone: tzinfo | None = None,
) -> dict[str, Any]:
    stamp = bp_time(created_on, zone)
    gon: dict[str, Any] = {
        "orderId": order_id,
        "warehouseId": warehouse_id,
        "transfer": target_warehouse_id is not None,
        "priority": False,
        "status": {"shipped": False, "packed": False, "picked": False, "printed": False},
        "shipping": {"reference": "", "shippingMethodId": shipping_method_id},
        "releaseDate": stamp,
        "createdOn": stamp,
        "createdBy": created_by,
        "orderRows": rows,
        "sequence": sequence,
        "events": [{"occured": stamp, "eventOwnerId": created_by, "eventCode": "PLA"}],
        "lastEventVersion": version,
    }
    if target_warehouse_id is not None:
        gon["targetWarehouseId"] = target_warehouse_id
    return gon


def search_column(name: str, data_type: str, reference: list[str] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "sortable": True,
        "filterable": True,
        "reportDataType": data_type,
        "referenceData": reference or [],
        "isFreeTextSearchable": data_type == "SEARCH_STRING",
        "required": False,
    }


def search_envelope(
    columns: list[dict[str, Any]],
    rows: list[list[Any]],
    *,
    first_result: int,
    page_size: int,
    sort_column: str,
    direction: str,
    reference: dict[str, Any] | None = None,
) -> dict[str, Any]:
    page = rows[first_result - 1 : first_result - 1 + page_size]
    sort_meta = next((c for c in columns if c["name"] == sort_column), columns[0])
    return {
        "response": {
            "results": page,
            "metaData": {
                "morePagesAvailable": first_result - 1 + len(page) < len(rows),
                "resultsAvailable": len(rows),
                "resultsReturned": len(page),
                "firstResult": first_result,
                "lastResult": first_result - 1 + len(page),
                "columns": columns,
                "sorting": [{"filterable": sort_meta, "direction": direction}],
            },
        },
        "reference": reference or {},
    }
