"""Async client of the ShipStation V1 API (HTTP Basic, 40 requests/min per key pair).

Every request passes the shared :class:`RateGate` (paced on the ``X-Rate-Limit-*`` headers,
blocked for ``X-Rate-Limit-Reset`` seconds after a 429) and is retried with :class:`Backoff`
on 5xx, timeouts and dropped connections. ``createorders`` is safe to retry because every
order carries an ``orderKey``: a re-send updates, it never duplicates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import httpx

from bp_tui.apiclient import bounds
from bp_tui.apiclient.backoff import Backoff
from bp_tui.apiclient.pacing import RateGate
from bp_tui.apiclient.sender import (
    Sender,
    SenderClient,
    Shape,
    has_key,
    has_list,
    is_json_list,
    is_json_object,
    page_of,
)
from bp_tui.config.model import ShipStationSettings
from bp_tui.core.shipping import OrderDraft, SendResult
from bp_tui.errors import ApiError, ApiProblem, ApiThrottled, ApiUnavailable
from bp_tui.shipstation import orders as v1
from bp_tui.shipstation.api_errors import SERVICE, error_for, is_throttled
from bp_tui.shipstation.dates import pacific_day, to_filter
from bp_tui.shipstation.models import (
    Carrier,
    CarrierService,
    CreateOrderResult,
    Fulfillment,
    Order,
    OrderUpdate,
    Shipment,
    Store,
)

RATE_LIMIT = 40
RATE_WINDOW_S = 60.0
MAX_BATCH = 100
MAX_PAGE_SIZE = 500
OPEN_STATUSES = (
    "awaiting_payment",
    "awaiting_shipment",
    "on_hold",
)  # the statuses an update may change
BATCH_READ_MIN = 10  # up to this many orders to read, a GET each is as cheap as listing by status
MAX_PAGES = 10_000  # a guard against a server that never stops paging
MAX_THROTTLES = 5  # 429s in a row before giving up (other apps share the key's budget)
NO_RESULT = "ShipStation returned no result for this order"


def _reset(response: httpx.Response) -> float | None:
    """``X-Rate-Limit-Reset`` in seconds, at most the 60 s window; None when unusable."""
    raw = response.headers.get("X-Rate-Limit-Reset")
    wait = bounds.seconds(raw)
    return (
        None
        if wait is None
        else bounds.clamp_wait(wait, bounds.WINDOW_MAX_S, "X-Rate-Limit-Reset", raw)
    )


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


class _Policy:
    """How ShipStation V1 paces and words its errors (for the shared Sender). Auth is HTTP
    Basic on the httpx client."""

    service = SERVICE
    name = "ShipStation"
    max_throttles = MAX_THROTTLES

    def __init__(self, gate: RateGate, secrets: tuple[str, ...]) -> None:
        self.gate = gate
        self.secrets = secrets

    async def headers(self, authenticated: bool) -> dict[str, str]:
        return {}

    def observe(self, response: httpx.Response) -> None:
        self.gate.observe(
            bounds.count(response.headers.get("X-Rate-Limit-Remaining")), _reset(response)
        )

    def throttle_wait(self, status: int, body: Any, response: httpx.Response) -> float | None:
        if not is_throttled(status, body):
            return None
        reset = _reset(response)
        return reset if reset is not None else self.gate.window_s

    def throttled(self, status: int, body: Any) -> ApiThrottled:
        return ApiThrottled(
            SERVICE,
            status,
            "Too Many Requests",
            hint="still throttled after waiting; is the key pair used elsewhere?",
        )

    def reauthenticate(self, status: int, body: Any) -> bool:
        return False  # a key pair has no session to renew

    def error(self, status: int, body: Any, method: str, url: str) -> ApiProblem:
        return error_for(status, body, path=f"{method} /{url.lstrip('/')}", secrets=self.secrets)

    def retry_server_error(self, status: int, body: Any) -> bool:
        return True

    def unreachable_hint(self, method: str, url: str) -> str:
        return f"{method} /{url.lstrip('/')} failed; check the network and shipstation.base_url"


class ShipStationClient(SenderClient):
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
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self.gate = gate or RateGate(limit=RATE_LIMIT, window_s=RATE_WINDOW_S, sleep=sleep)
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            auth=httpx.BasicAuth(settings.api_key, settings.api_secret),
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json"},
        )
        self._sender = Sender(
            _Policy(self.gate, (settings.api_key, settings.api_secret)),
            self._http,
            gate=self.gate,
            backoff=self.backoff,
            sleep=sleep,
            secrets=lambda: (settings.api_key, settings.api_secret),
        )

    def __repr__(self) -> str:
        return f"ShipStationClient(base_url={self._base_url!r})"

    # ---- transport ----------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        retry: bool = True,
        shape: Shape = is_json_object,
    ) -> Any:
        """One logical request (with its retries); the decoded, validated JSON body.

        ``retry=False``: a write that is not safe to repeat blind; a lost answer raises
        ApiUnavailable at once and the caller re-reads to find out whether it happened.
        """
        return await self._sender.send(
            method, path, params=_query(params or {}), json=json, retry=retry, shape=shape
        )

    async def _paged(
        self,
        path: str,
        key: str,
        params: dict[str, Any],
        page_size: int,
        convert: Callable[[dict[str, Any]], Any] | None = None,
    ) -> list[Any]:
        """All items of a paged list; ``null`` items are skipped, a missing ``pages`` tolerated.
        ``convert`` turns each item into what is kept, a page at a time (the raw page is freed)."""
        size = max(1, min(MAX_PAGE_SIZE, int(page_size)))
        items: list[Any] = []
        page = 1
        while page <= MAX_PAGES:
            body = await self._request(
                "GET", path, params={**params, "page": page, "pageSize": size}, shape=page_of(key)
            )
            chunk = body.get(key) or []
            items.extend((convert or _same)(item) for item in chunk if isinstance(item, dict))
            pages = body.get("pages")
            if pages is None:
                if len(chunk) < size:
                    break
            elif page >= int(pages):
                break
            page += 1
        return items

    # ---- orders -------------------------------------------------------------------------

    async def create_orders(self, drafts: Sequence[OrderDraft]) -> list[SendResult]:
        """New orders: one upsert per 100 (an order already under the key is updated, never
        doubled)."""
        return list(await self.upsert_orders([v1.order_body(d) for d in drafts]))

    async def update_orders(self, updates: Sequence[OrderUpdate]) -> list[SendResult]:
        """Each order as read with bp-tui's fields changed, upserted 100 per call."""
        return list(await self.upsert_orders([v1.update_body(u.order, u.draft) for u in updates]))

    async def cancel_orders(self, orders: Sequence[Order]) -> list[SendResult]:
        """Each order as read, upserted with ``orderStatus: cancelled``, 100 per call."""
        return list(await self.upsert_orders([v1.cancel_body(o) for o in orders]))

    async def upsert_orders(self, orders: Sequence[dict[str, Any]]) -> list[CreateOrderResult]:
        """Upsert V1 orders in batches of <= 100; one result per input order, in input order.

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
            batch = list(orders[start : start + MAX_BATCH])
            results.extend(await self._create_batch(batch))
        return results

    async def _create_batch(self, batch: list[dict[str, Any]]) -> list[CreateOrderResult]:
        try:
            body = await self._request(
                "POST", "orders/createorders", json=batch, shape=has_list("results")
            )
        except ApiError as exc:
            if exc.status != 400:
                raise
            return [
                CreateOrderResult(
                    o["orderKey"], None, str(o.get("orderNumber") or ""), False, str(exc)
                )
                for o in batch
            ]
        answers = body.get("results") if isinstance(body, dict) else None
        by_key: dict[str, CreateOrderResult] = {}
        for answer in answers or []:
            if isinstance(answer, dict) and answer.get("orderKey"):
                result = CreateOrderResult.from_api(answer)
                by_key[result.order_key] = result
        return [
            by_key.get(o["orderKey"])
            or CreateOrderResult(
                o["orderKey"], None, str(o.get("orderNumber") or ""), False, NO_RESULT
            )
            for o in batch
        ]

    async def mark_as_shipped(
        self,
        order_id: int,
        *,
        carrier_code: str,
        shipped_at: datetime,
        tracking_number: str = "",
        notify_customer: bool = False,
        notify_sales_channel: bool = False,
    ) -> None:
        """POST /orders/markasshipped, with the Pacific calendar date of ``shipped_at`` (V1's
        dates are Pacific). Never sent twice blind: after a lost answer the order is re-read,
        and only an order that is still open gets the request again."""
        body = {
            "orderId": order_id,
            "carrierCode": carrier_code,
            "shipDate": pacific_day(shipped_at).isoformat(),
            "trackingNumber": tracking_number or None,
            "notifyCustomer": notify_customer,
            "notifySalesChannel": notify_sales_channel,
        }
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

    async def list_orders(
        self,
        *,
        store_id: int | None = None,
        order_status: str | None = None,
        order_number: str | None = None,
        create_date_start: datetime | None = None,
        modify_date_start: datetime | None = None,
        page_size: int = 500,
    ) -> list[Order]:
        params = {
            "storeId": store_id,
            "orderStatus": order_status,
            "orderNumber": order_number,
            "createDateStart": create_date_start,
            "modifyDateStart": modify_date_start,
        }
        return [Order.from_api(o) for o in await self._paged("orders", "orders", params, page_size)]

    async def list_modified_orders(
        self, *, modify_date_start: datetime, store_id: int | None = None, page_size: int = 500
    ) -> list[Order]:
        """Orders changed since ``modify_date_start`` (any status): how splits, merges and
        cancellations made in ShipStation are learnt. Read every cycle over a day or more of
        orders, so each is kept without its raw body (``raw`` is empty), a page at a time."""
        params = {"storeId": store_id, "modifyDateStart": modify_date_start}
        return await self._paged("orders", "orders", params, page_size, convert=_slim_order)

    async def get_order(self, order_id: int) -> Order:
        return Order.from_api(
            await self._request("GET", f"orders/{int(order_id)}", shape=has_key("orderId"))
        )

    async def get_open_orders(
        self, order_ids: Sequence[int], *, store_id: int | None = None
    ) -> dict[int, Order]:
        """The open orders (awaiting payment, awaiting shipment, on hold) among ``order_ids``,
        whole, read by status a page of 500 at a time when that costs fewer calls than a GET
        each (the first page of each status tells how many pages follow). Ids not returned are
        not open, gone or not worth the pages: the caller reads those one by one."""
        wanted = {int(i) for i in order_ids}
        if len(wanted) <= BATCH_READ_MIN:
            return {}
        found: dict[int, Order] = {}
        pages: dict[str, int] = {}
        for status in OPEN_STATUSES:
            pages[status] = await self._open_page(status, 1, store_id, wanted, found)
        if sum(p - 1 for p in pages.values()) >= len(wanted - set(found)):
            return found  # the rest cost fewer calls one by one
        for status, count in pages.items():
            for page in range(2, min(count, MAX_PAGES) + 1):
                await self._open_page(status, page, store_id, wanted, found)
        return found

    async def _open_page(
        self,
        status: str,
        page: int,
        store_id: int | None,
        wanted: set[int],
        found: dict[int, Order],
    ) -> int:
        """One page of the orders in ``status``; keeps the wanted ones; answers the page count."""
        body = await self._request(
            "GET",
            "orders",
            shape=page_of("orders"),
            params={
                "storeId": store_id,
                "orderStatus": status,
                "page": page,
                "pageSize": MAX_PAGE_SIZE,
            },
        )
        for item in body.get("orders") or []:
            if isinstance(item, dict) and item.get("orderId") in wanted:
                order = Order.from_api(item)
                found[order.order_id] = order
        return int(body.get("pages") or 1)

    async def find_orders_by_key(
        self, order_key: str, *, number_prefix: str, store_id: int | None = None
    ) -> list[Order]:
        """The orders with this ``orderKey`` (a split's parts share it). V1 cannot filter by key:
        its ``orderNumber`` filter matches numbers starting with ``number_prefix``, and the key
        is matched here."""
        found = await self.list_orders(order_number=number_prefix, store_id=store_id)
        return [o for o in found if o.order_key == order_key]

    async def find_orders_by_number(
        self, order_number: str, *, store_id: int | None = None
    ) -> list[Order]:
        """Orders whose number is exactly ``order_number`` (the API filter is "starts with")."""
        found = await self.list_orders(order_number=order_number, store_id=store_id)
        return [o for o in found if o.order_number == order_number]

    # ---- shipments and fulfillments -----------------------------------------------------

    async def list_shipments(
        self,
        *,
        store_id: int | None = None,
        create_date_start: datetime | None = None,
        order_id: int | None = None,
        include_items: bool = True,
        page_size: int = 500,
        void_date_start: datetime | None = None,
    ) -> list[Shipment]:
        """Labels (voided ones included), created since ``create_date_start`` and/or voided since
        ``void_date_start`` (a void weeks after the label is found by the second)."""
        params = {
            "storeId": store_id,
            "createDateStart": create_date_start,
            "orderId": order_id,
            "voidDateStart": void_date_start,
            "includeShipmentItems": include_items,
        }
        return [
            Shipment.from_api(s)
            for s in await self._paged("shipments", "shipments", params, page_size)
        ]

    async def list_fulfillments(
        self,
        *,
        create_date_start: datetime | None = None,
        order_id: int | None = None,
        page_size: int = 500,
    ) -> list[Fulfillment]:
        params = {"createDateStart": create_date_start, "orderId": order_id}
        records = await self._paged("fulfillments", "fulfillments", params, page_size)
        return [Fulfillment.from_api(f) for f in records]

    # ---- stores and carriers ------------------------------------------------------------

    async def list_stores(self, *, show_inactive: bool = False) -> list[Store]:
        body = await self._request(
            "GET", "stores", params={"showInactive": show_inactive}, shape=is_json_list
        )
        return [Store.from_api(s) for s in body or [] if isinstance(s, dict)]

    async def get_store(self, store_id: int) -> Store:
        return Store.from_api(
            await self._request("GET", f"stores/{int(store_id)}", shape=has_key("storeId"))
        )

    async def update_store_branding(
        self,
        store_id: int,
        *,
        company_name: str | None = None,
        phone: str | None = None,
        public_email: str | None = None,
        website: str | None = None,
    ) -> Store:
        """Change the branding fields; V1 has no partial update, so GET the store and PUT it
        whole."""
        current = await self.get_store(store_id)
        body = dict(current.raw)
        changes = {
            "companyName": company_name,
            "phone": phone,
            "publicEmail": public_email,
            "website": website,
        }
        body.update({k: v for k, v in changes.items() if v is not None})
        answer = await self._request("PUT", f"stores/{int(store_id)}", json=body)
        return Store.from_api(answer if isinstance(answer, dict) and "storeId" in answer else body)

    async def list_carriers(self) -> list[Carrier]:
        body = await self._request("GET", "carriers", shape=is_json_list)
        return [Carrier.from_api(c) for c in body or [] if isinstance(c, dict)]

    async def list_services(self, carrier_code: str) -> list[CarrierService]:
        body = await self._request(
            "GET", "carriers/listservices", params={"carrierCode": carrier_code}, shape=is_json_list
        )
        return [CarrierService.from_api(s) for s in body or [] if isinstance(s, dict)]


def _same(item: dict[str, Any]) -> dict[str, Any]:
    return item


def _slim_order(data: dict[str, Any]) -> Order:
    order = Order.from_api(data)
    order.raw = {}
    return order
