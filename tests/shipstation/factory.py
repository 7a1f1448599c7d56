"""Builders of order drafts, of V1 createorders items and of a client wired to an in-process
sandbox."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from bp_tui.apiclient import Backoff
from bp_tui.config.model import ShipStationSettings
from bp_tui.core.shipping import Address, LineItem, OrderDraft
from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
from bp_tui.shipstation.client import ShipStationClient

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "shipstation"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def order(n: int, **changes: Any) -> dict:
    """A valid createorders item for GON ``n``."""
    body = {
        "orderKey": f"bp-acme-gon-{n}",
        "orderNumber": str(100000 + n),
        "orderDate": "2024-09-17 10:51:14",
        "orderStatus": "awaiting_shipment",
        "customerEmail": f"customer{n}@example.com",
        "billTo": {"name": f"Customer {n}"},
        "shipTo": {
            "name": f"Customer {n}",
            "street1": "1 High St",
            "city": "Leeds",
            "postalCode": "LS1 1AA",
            "country": "GB",
        },
        "items": [
            {
                "lineItemKey": f"row-{n}",
                "sku": f"SKU-{n}",
                "name": f"Widget {n}",
                "quantity": 2,
                "unitPrice": 9.5,
            }
        ],
        "advancedOptions": {"customField1": "2", "source": "Brightpearl"},
    }
    body.update(changes)
    return body


def draft(n: int, **changes: Any) -> OrderDraft:
    """An order draft for GON ``n`` (the same order as ``order(n)``, in bp-tui's terms)."""
    values: dict[str, Any] = {
        "key": f"bp-acme-gon-{n}",
        "number": str(100000 + n),
        "placed_at": None,
        "email": f"customer{n}@example.com",
        "ship_to": Address(
            name=f"Customer {n}",
            street1="1 High St",
            city="Leeds",
            postal_code="LS1 1AA",
            country="GB",
        ),
        "bill_to": Address(name=f"Customer {n}"),
        "items": (LineItem(f"row-{n}", f"SKU-{n}", f"Widget {n}", 2, 9.5),),
        "warehouse_ref": "2",
    }
    values.update(changes)
    return OrderDraft(**values)


class SleepRecorder:
    """An injectable sleep that really sleeps (briefly) and remembers every delay asked for."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(seconds)


def client_for(
    sandbox: ShipStationSandbox,
    *,
    api_secret: str | None = None,
    sleep=None,
    backoff: Backoff | None = None,
    base_url: str = "http://shipstation.sandbox",
    transport: httpx.AsyncBaseTransport | None = None,
) -> ShipStationClient:
    values = sandbox.settings(base_url)
    if api_secret is not None:
        values["api_secret"] = api_secret
    settings = ShipStationSettings(**values)
    return ShipStationClient(
        settings,
        transport=transport or httpx.ASGITransport(app=sandbox.app),
        backoff=backoff or Backoff(attempts=4, base=0.01, cap=0.05),
        sleep=sleep or SleepRecorder(),
    )
