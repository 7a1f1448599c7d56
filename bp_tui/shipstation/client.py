"""Async client of the ShipStation V1 API (HTTP Basic, 40 requests/min per key pair).

Every request passes the shared :class:`RateGate` (paced on the ``X-Rate-Limit-*`` headers,
blocked for ``X-Rate-Limit-Reset`` seconds after a 429) and is retried with :class:`Backoff`
on 5xx, timeouts and dropped connections. ``createorders`` is safe to retry because every
order carries an ``orderKey``: a re-send updates, it never duplicates.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Any

import httpx

from bp_tui.apiclient import Backoff, RateGate
from bp_tui.config.model import ShipStationSettings
from bp_tui.errors import ApiError, ApiThrottled, ApiUnavailable
from bp_tui.shipstation.api_errors import SERVICE, decode_body, error_for, is_throttled
from bp_tui.shipstation.dates import to_filter
from bp_tui.shipstation.models import (
    Carrier,
    CarrierService,
    CreateOrderResult,
    Fulfillment,
    Order,
    Shipment,
    Store,
)

RATE_LIMIT = 40
RATE_WINDOW_S = 60.0
MAX_BATCH = 100
MAX_PAGE_SIZE = 500
MAX_PAGES = 10_000  # a guard against a server that never stops paging
MAX_THROTTLES = 5  # 429s in a row before giving up (other apps share the key's budget)
NO_RESULT = "ShipStation returned no result for this order"


def _header_number(response: httpx.Response, name: str) -> float | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _query(params: dict[str, Any]) -> dict[str, str]:
    """Drop unset filters; booleans as ``true``/``false``; datetimes as Pacific wall time."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, datetime):
            out[key] = to_filter(value)
        else:
            out[key] = str(value)
    return out


class ShipStationClient:
    """ShipStation V1 over ``httpx.AsyncClient``; one instance per key pair and process."""

    def __init__(
        self,
        settings: ShipStationSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        backoff: Backoff | None = None,
        gate: RateGate | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._base_url = settings.base_url.rstrip("/") + "/"
        self._secrets = (settings.api_key, settings.api_secret)
        self._sleep = sleep
        self.backoff = backoff or Backoff()
        self.gate = gate or RateGate(limit=RATE_LIMIT, window_s=RATE_WINDOW_S, sleep=sleep)
        self.requests_sent = 0
        self.last_server_date: str | None = None  # HTTP Date header of the last answer (clock check)
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            auth=httpx.BasicAuth(settings.api_key, settings.api_secret),
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"ShipStationClient(base_url={self._base_url!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ShipStationClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ---- transport ----------------------------------------------------------------------

    async def _request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                       json: Any = None, retry: bool = True) -> Any:
        """Send one logical request (with its retries) and return the decoded JSON body.

        ``retry=False``: a write that is not safe to repeat blind; a lost answer raises
        ApiUnavailable at once and the caller re-reads to find out whether it happened.
        """
        failures = 0 if retry else self.backoff.attempts - 1
        throttles = 0
        query = _query(params or {})
        while True:
            await self.gate.acquire()
            self.requests_sent += 1
            try:
                response = await self._http.request(method, path, params=query, json=json)
            except httpx.TransportError as exc:  # timeouts, refused/dropped connections
                failures += 1
                if failures >= self.backoff.attempts:
                    raise ApiUnavailable(
                        SERVICE, 0, f"no answer from ShipStation ({type(exc).__name__})",
                        hint=f"{method} {path} failed {failures} times; check the network and base_url",
                    ) from None
                await self._sleep(self.backoff.delay(failures))
                continue
            reset = _header_number(response, "X-Rate-Limit-Reset")
            remaining = _header_number(response, "X-Rate-Limit-Remaining")
            self.gate.observe(None if remaining is None else int(remaining), reset)
            self.last_server_date = response.headers.get("date") or self.last_server_date
            body = decode_body(response.content)
            status = response.status_code
            if is_throttled(status, body):
                throttles += 1
                if throttles > MAX_THROTTLES:
                    raise ApiThrottled(SERVICE, status, "Too Many Requests",
                                       hint="still throttled after waiting; is the key pair used elsewhere?")
                self.gate.block_for(reset if reset is not None else self.gate.window_s)
                continue
            throttles = 0
            if status < 400 and isinstance(body, str):
                # A 2xx whose body is not JSON (cut short on the way): retried like a dropped answer;
                # createorders is safe to re-send (orderKey), the other calls are reads or whole PUTs.
                failures += 1
                if failures >= self.backoff.attempts:
                    raise ApiUnavailable(SERVICE, status, "ShipStation's answer was not valid JSON",
                                         hint=f"{method} {path}: the answer was cut short {failures} times")
                await self._sleep(self.backoff.delay(failures))
                continue
            if status >= 500:
                failures += 1
                if failures < self.backoff.attempts:
                    await self._sleep(self.backoff.delay(failures))
                    continue
            if status >= 400:
                raise error_for(status, body, path=f"{method} /{path}", secrets=self._secrets)
            return body

    async def _paged(self, path: str, key: str, params: dict[str, Any], page_size: int) -> list[dict]:
        """All items of a paged list; ``null`` items are skipped, a missing ``pages`` tolerated."""
        size = max(1, min(MAX_PAGE_SIZE, int(page_size)))
        items: list[dict] = []
        page = 1
        while page <= MAX_PAGES:
            body = await self._request("GET", path, params={**params, "page": page, "pageSize": size})
            if not isinstance(body, dict):
                raise ApiError(SERVICE, 200, f"unexpected answer to GET /{path}: not an object")
            chunk = body.get(key) or []
            items.extend(item for item in chunk if isinstance(item, dict))
            pages = body.get("pages")
            if pages is None:
                if len(chunk) < size:
                    break
            elif page >= int(pages):
                break
            page += 1
        return items

    # ---- orders -------------------------------------------------------------------------

    async def create_orders(self, orders: Sequence[dict]) -> list[CreateOrderResult]:
        """Upsert orders in batches of <= 100; one result per input order, in input order.

        A batch refused as a whole (HTTP 400) gives each of its orders a failed result with
        ShipStation's reason; the other batches still go. Auth and availability errors raise.
        """
        keys: set[str] = set()
        for index, order in enumerate(orders):
            key = order.get("orderKey")
            if not isinstance(key, str) or not key.strip():
                raise ValueError(f"order #{index} ({order.get('orderNumber')!r}) has no orderKey")
            if key in keys:
                raise ValueError(f"orderKey {key!r} appears twice in one call")
            keys.add(key)
        results: list[CreateOrderResult] = []
        for start in range(0, len(orders), MAX_BATCH):
            batch = list(orders[start:start + MAX_BATCH])
            results.extend(await self._create_batch(batch))
        return results

    async def _create_batch(self, batch: list[dict]) -> list[CreateOrderResult]:
        try:
            body = await self._request("POST", "orders/createorders", json=batch)
        except ApiError as exc:
            if exc.status != 400 or type(exc) is not ApiError:
                raise
            return [CreateOrderResult(o["orderKey"], None, str(o.get("orderNumber") or ""), False, str(exc))
                    for o in batch]
        answers = body.get("results") if isinstance(body, dict) else None
        by_key: dict[str, CreateOrderResult] = {}
        for answer in answers or []:
            if isinstance(answer, dict) and answer.get("orderKey"):
                result = CreateOrderResult.from_api(answer)
                by_key[result.order_key] = result
        return [
            by_key.get(o["orderKey"])
            or CreateOrderResult(o["orderKey"], None, str(o.get("orderNumber") or ""), False, NO_RESULT)
            for o in batch
        ]

    async def mark_as_shipped(self, order_id: int, *, carrier_code: str, ship_date: date,
                              tracking_number: str = "", notify_customer: bool = False,
                              notify_sales_channel: bool = False) -> None:
        """POST /orders/markasshipped. Never sent twice blind: after a lost answer the order is
        re-read, and only an order that is still open gets the request again."""
        body = {"orderId": order_id, "carrierCode": carrier_code, "shipDate": ship_date.isoformat(),
                "trackingNumber": tracking_number or None, "notifyCustomer": notify_customer,
                "notifySalesChannel": notify_sales_channel}
        for attempt in range(self.backoff.attempts):
            try:
                await self._request("POST", "orders/markasshipped", json=body, retry=False)
                return
            except ApiUnavailable:
                if (await self.get_order(order_id)).order_status == "shipped":
                    return
                if attempt + 1 >= self.backoff.attempts:
                    raise
                await self._sleep(self.backoff.delay(attempt + 1))

    async def list_orders(self, *, store_id: int | None = None, order_status: str | None = None,
                          order_number: str | None = None, create_date_start: datetime | None = None,
                          modify_date_start: datetime | None = None, page_size: int = 500) -> list[Order]:
        params = {"storeId": store_id, "orderStatus": order_status, "orderNumber": order_number,
                  "createDateStart": create_date_start, "modifyDateStart": modify_date_start}
        return [Order.from_api(o) for o in await self._paged("orders", "orders", params, page_size)]

    async def get_order(self, order_id: int) -> Order:
        return Order.from_api(await self._request("GET", f"orders/{int(order_id)}"))

    async def find_orders_by_number(self, order_number: str, *, store_id: int | None = None) -> list[Order]:
        """Orders whose number is exactly ``order_number`` (the API filter is "starts with")."""
        found = await self.list_orders(order_number=order_number, store_id=store_id)
        return [o for o in found if o.order_number == order_number]

    # ---- shipments and fulfillments -----------------------------------------------------

    async def list_shipments(self, *, store_id: int | None = None, create_date_start: datetime | None = None,
                             order_id: int | None = None, include_items: bool = True,
                             page_size: int = 500) -> list[Shipment]:
        params = {"storeId": store_id, "createDateStart": create_date_start, "orderId": order_id,
                  "includeShipmentItems": include_items}
        return [Shipment.from_api(s) for s in await self._paged("shipments", "shipments", params, page_size)]

    async def list_fulfillments(self, *, create_date_start: datetime | None = None, order_id: int | None = None,
                                page_size: int = 500) -> list[Fulfillment]:
        params = {"createDateStart": create_date_start, "orderId": order_id}
        records = await self._paged("fulfillments", "fulfillments", params, page_size)
        return [Fulfillment.from_api(f) for f in records]

    # ---- stores and carriers ------------------------------------------------------------

    async def list_stores(self, *, show_inactive: bool = False) -> list[Store]:
        body = await self._request("GET", "stores", params={"showInactive": show_inactive})
        return [Store.from_api(s) for s in body or [] if isinstance(s, dict)]

    async def get_store(self, store_id: int) -> Store:
        return Store.from_api(await self._request("GET", f"stores/{int(store_id)}"))

    async def update_store_branding(self, store_id: int, *, company_name: str | None = None,
                                    phone: str | None = None, public_email: str | None = None,
                                    website: str | None = None) -> Store:
        """Change the branding fields; V1 has no partial update, so GET the store and PUT it whole."""
        current = await self.get_store(store_id)
        body = dict(current.raw)
        changes = {"companyName": company_name, "phone": phone, "publicEmail": public_email, "website": website}
        body.update({k: v for k, v in changes.items() if v is not None})
        answer = await self._request("PUT", f"stores/{int(store_id)}", json=body)
        return Store.from_api(answer if isinstance(answer, dict) and "storeId" in answer else body)

    async def list_carriers(self) -> list[Carrier]:
        body = await self._request("GET", "carriers")
        return [Carrier.from_api(c) for c in body or [] if isinstance(c, dict)]

    async def list_services(self, carrier_code: str) -> list[CarrierService]:
        body = await self._request("GET", "carriers/listservices", params={"carrierCode": carrier_code})
        return [CarrierService.from_api(s) for s in body or [] if isinstance(s, dict)]
