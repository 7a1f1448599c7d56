"""The ASGI app of the ShipStation V1 sandbox: endpoints, Basic auth, rate-limit headers and 429."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bp_tui.sandbox.shipstation import shapes
from bp_tui.sandbox.shipstation.account import CreateRefused, ShipStationAccount
from bp_tui.shipstation.dates import parse_date, parse_datetime, to_api_datetime

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
MAX_BATCH = 100


def _invalid(field: str, reason: str) -> JSONResponse:
    """An ASP.NET Web API 400 body, as V1 answers malformed requests."""
    return JSONResponse(
        {"Message": "The request is invalid.", "ModelState": {field: [reason]}}, status_code=400
    )


def _not_found() -> JSONResponse:
    return JSONResponse({"message": "Resource not found"}, status_code=404)


class _BadQuery(ValueError):
    def __init__(self, field: str, value: str):
        super().__init__(field)
        self.response = _invalid(field, f"The value '{value}' is not valid for {field}.")


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise _BadQuery(name, value) from None


def _date_param(request: Request, name: str) -> datetime | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        raise _BadQuery(name, value) from None


def _bool_param(request: Request, name: str) -> bool:
    return (request.query_params.get(name) or "").strip().lower() in {"true", "1"}


def _page(request: Request, key: str, records: list[dict]) -> JSONResponse:
    page = _int_param(request, "page") or 1
    size = min(MAX_PAGE_SIZE, max(1, _int_param(request, "pageSize") or DEFAULT_PAGE_SIZE))
    start = (max(1, page) - 1) * size
    return JSONResponse(
        {
            key: records[start : start + size],
            "total": len(records),
            "page": page,
            "pages": math.ceil(len(records) / size),
        }
    )


def _since(records: list[dict], field: str, start: datetime | None) -> list[dict]:
    if start is None:
        return records
    return [r for r in records if (parse_datetime(r.get(field)) or start) >= start]


def _within(value: str | None, start: datetime | None, end: datetime | None) -> bool:
    moment = parse_datetime(value)
    return (
        moment is not None and (start is None or moment >= start) and (end is None or moment <= end)
    )


class _Gate:
    """Auth, rate limit, injected faults, request log and the X-Rate-Limit-* headers on every
    answer."""

    def __init__(self, app: ASGIApp, sandbox: ShipStationAccount) -> None:
        self.app = app
        self.sandbox = sandbox

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.lower().startswith("basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        key, _, secret = decoded.partition(":")
        return hmac.compare_digest(key, self.sandbox.api_key) & hmac.compare_digest(
            secret, self.sandbox.api_secret
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sandbox = self.sandbox
        root = scope.get("root_path", "")
        path = (
            scope["path"][len(root) :] if root and scope["path"].startswith(root) else scope["path"]
        )
        query = scope.get("query_string", b"").decode("latin-1")
        target = path + (f"?{query}" if query else "")
        method = scope["method"]
        received_at = sandbox.clock()
        status_seen: list[int] = []
        response: Response | None = None
        if not self._authorized(Headers(scope=scope).get("authorization")):
            verdict = sandbox.limiter.peek()
            response = JSONResponse(
                {"message": "Invalid API credentials"},
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="ShipStation"'},
            )
        else:
            verdict = sandbox.limiter.hit()
            if not verdict.allowed:
                sandbox.violations += int(verdict.violation)
                response = JSONResponse({"message": "Too Many Requests"}, status_code=429)
            else:
                fault = sandbox.take_fault(path)
                if fault is not None:
                    response = JSONResponse(
                        {
                            "Message": "An error has occurred.",
                            "ExceptionMessage": "Object reference not set to an instance "
                            "of an object.",
                            "ExceptionType": "System.NullReferenceException",
                            "StackTrace": None,
                        },
                        status_code=fault,
                    )
        rate_headers = [
            (k.lower().encode(), v.encode()) for k, v in verdict.headers(sandbox.window_s).items()
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen.append(message["status"])
                message = {**message, "headers": list(message.get("headers", [])) + rate_headers}
            await send(message)

        try:
            if response is not None:
                await response(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            sandbox.request_log.append(
                (received_at, method, target, status_seen[0] if status_seen else 500)
            )


def build_app(sandbox: ShipStationAccount) -> Starlette:
    """The Starlette app serving ``sandbox`` (mountable under a path prefix)."""

    async def create_orders(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            return _invalid("apiOrders", "The request body is not valid JSON.")
        if not isinstance(body, list):
            return _invalid(
                "apiOrders",
                "Cannot deserialize the current JSON object into type "
                "'System.Collections.Generic.List`1[SS.OpenApi.Models.Orders.Order]' because the "
                "type requires a JSON array to deserialize correctly.",
            )
        if len(body) > MAX_BATCH:
            return _invalid(
                "apiOrders",
                f"A maximum of {MAX_BATCH} orders may be sent per request; got {len(body)}.",
            )
        results = []
        for item in body:
            key = item.get("orderKey") if isinstance(item, dict) else None
            number = item.get("orderNumber") if isinstance(item, dict) else None
            try:
                record = sandbox.upsert_order(item)
            except CreateRefused as exc:
                results.append(
                    {
                        "orderId": None,
                        "orderNumber": number,
                        "orderKey": key,
                        "success": False,
                        "errorMessage": str(exc),
                    }
                )
            else:
                results.append(
                    {
                        "orderId": record["orderId"],
                        "orderNumber": record["orderNumber"],
                        "orderKey": record["orderKey"],
                        "success": True,
                        "errorMessage": None,
                    }
                )
        return JSONResponse(
            {"hasErrors": any(not r["success"] for r in results), "results": results}
        )

    async def mark_as_shipped(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            return _invalid("request", "The request body is not valid JSON.")
        if not isinstance(body, dict):
            return _invalid(
                "request", "Cannot deserialize the body into type 'MarkAsShippedRequest'."
            )
        order_id, carrier = body.get("orderId"), body.get("carrierCode")
        if not isinstance(order_id, int) or isinstance(order_id, bool):
            return _invalid("request.orderId", "The orderId field is required.")
        if not isinstance(carrier, str) or not carrier.strip():
            return _invalid("request.carrierCode", "The carrierCode field is required.")
        for flag in ("notifyCustomer", "notifySalesChannel"):
            if flag in body and body[flag] is not None and not isinstance(body[flag], bool):
                return _invalid(
                    f"request.{flag.lower()}", f"The value '{body[flag]}' is not valid for {flag}."
                )
        ship_date = body.get("shipDate")
        try:  # a date, or a date-time whose day is taken (chosen); absent: today
            ship_day = parse_date(ship_date) if isinstance(ship_date, str) else None
        except ValueError:
            ship_day = None
        if ship_date is not None and ship_day is None:
            return _invalid(
                "request.shipDate", f"The value '{ship_date}' is not valid for ShipDate."
            )
        order = sandbox.orders.get(order_id)
        if order is None:
            return _not_found()
        if order["orderStatus"] not in shapes.OPEN_STATUSES:
            return _invalid(
                "request.orderId",
                f"Order {order['orderNumber']} is "
                f"{order['orderStatus']} and cannot be marked as "
                "shipped.",
            )
        sandbox.mark_shipped(
            order_id,
            tracking_number=body.get("trackingNumber") or "",
            carrier_code=carrier,
            notify_customer=bool(body.get("notifyCustomer")),
            notify_sales_channel=bool(body.get("notifySalesChannel")),
            ship_date=ship_day,
        )
        return JSONResponse({"orderId": order_id, "orderNumber": order["orderNumber"]})

    async def list_orders(request: Request) -> Response:
        records = sorted(sandbox.orders.values(), key=lambda o: o["orderId"])
        number = request.query_params.get("orderNumber")
        if number:
            records = [o for o in records if o["orderNumber"].lower().startswith(number.lower())]
        store_id = _int_param(request, "storeId")
        if store_id is not None:
            records = [o for o in records if o["advancedOptions"]["storeId"] == store_id]
        status = request.query_params.get("orderStatus")
        if (
            status and status not in shapes.ORDER_STATUSES
        ):  # the documented enum only (reference §3)
            return _invalid("orderStatus", f"The value '{status}' is not valid for orderStatus.")
        if status:
            records = [o for o in records if o["orderStatus"] == status]
        records = _since(records, "createDate", _date_param(request, "createDateStart"))
        records = _since(records, "modifyDate", _date_param(request, "modifyDateStart"))
        return _page(request, "orders", records)

    async def get_order(request: Request) -> Response:
        order = sandbox.orders.get(request.path_params["order_id"])
        return JSONResponse(order) if order is not None else _not_found()

    async def list_shipments(request: Request) -> Response:
        records = sorted(
            sandbox.shipments.values(),
            key=lambda s: (parse_datetime(s["createDate"]), s["shipmentId"]),
        )
        store_id = _int_param(request, "storeId")
        if store_id is not None:
            records = [s for s in records if s["advancedOptions"]["storeId"] == store_id]
        order_id = _int_param(request, "orderId")
        if order_id is not None:
            records = [s for s in records if s["orderId"] == order_id]
        records = _since(records, "createDate", _date_param(request, "createDateStart"))
        void_start, void_end = (
            _date_param(request, "voidDateStart"),
            _date_param(request, "voidDateEnd"),
        )
        if (
            void_start is not None or void_end is not None
        ):  # only voided labels, voided in the window
            records = [
                s
                for s in records
                if s["voided"] and _within(s.get("voidDate"), void_start, void_end)
            ]
        if sandbox.merged_orders:  # a merged-away order's labels vanish with it
            records = [s for s in records if s["orderId"] not in sandbox.merged_orders]
        if not _bool_param(request, "includeShipmentItems"):
            records = [{**s, "shipmentItems": None} for s in records]
        return _page(request, "shipments", records)

    async def list_fulfillments(request: Request) -> Response:
        records = sorted(sandbox.fulfillments.values(), key=lambda f: f["fulfillmentId"])
        order_id = _int_param(request, "orderId")
        if order_id is not None:
            records = [f for f in records if f["orderId"] == order_id]
        records = _since(records, "createDate", _date_param(request, "createDateStart"))
        return _page(request, "fulfillments", records)

    def _store_view(store: dict, *, detail: bool) -> dict:
        view = {k: v for k, v in store.items() if k != "statusMappings"}
        if detail:
            view["statusMappings"] = store.get("statusMappings")
        return view

    async def list_stores(request: Request) -> Response:
        show_inactive = _bool_param(request, "showInactive")
        return JSONResponse(
            [
                _store_view(s, detail=False)
                for s in sandbox.stores.values()
                if show_inactive or s["active"]
            ]
        )

    async def get_store(request: Request) -> Response:
        store = sandbox.stores.get(request.path_params["store_id"])
        return JSONResponse(_store_view(store, detail=True)) if store else _not_found()

    async def put_store(request: Request) -> Response:
        store_id = request.path_params["store_id"]
        store = sandbox.stores.get(store_id)
        if store is None:
            return _not_found()
        try:
            body: Any = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        missing = [] if isinstance(body, dict) else ["storeId", "storeName"]
        if isinstance(body, dict):
            missing = [k for k in ("storeId", "storeName") if body.get(k) in (None, "")]
        if missing:
            return JSONResponse(
                {
                    "message": f"Invalid request parameters: {', '.join(missing)} required "
                    "(this call does not support partial updates)"
                },
                status_code=400,
            )
        if body["storeId"] != store_id:
            return JSONResponse(
                {"message": "Invalid request parameters: storeId does not match the URL"},
                status_code=400,
            )
        for key in (
            "storeName",
            "companyName",
            "phone",
            "publicEmail",
            "website",
            "active",
            "autoRefresh",
            "statusMappings",
        ):
            if key in body:
                store[key] = body[key]
        store["modifyDate"] = to_api_datetime(sandbox.now())
        return JSONResponse(_store_view(store, detail=True))

    async def list_carriers(request: Request) -> Response:
        return JSONResponse(shapes.CARRIERS)

    async def list_services(request: Request) -> Response:
        code = request.query_params.get("carrierCode") or ""
        if code not in shapes.SERVICES:
            return _invalid("carrierCode", f"Invalid carrier code '{code}'.")
        return JSONResponse(shapes.services(code))

    def guarded(endpoint):
        async def run(request: Request) -> Response:
            try:
                return await endpoint(request)
            except _BadQuery as exc:
                return exc.response

        return run

    routes = [
        Route("/orders/createorders", guarded(create_orders), methods=["POST"]),
        Route("/orders/markasshipped", guarded(mark_as_shipped), methods=["POST"]),
        Route("/orders", guarded(list_orders), methods=["GET"]),
        Route("/orders/list", guarded(list_orders), methods=["GET"]),
        Route("/orders/{order_id:int}", guarded(get_order), methods=["GET"]),
        Route("/shipments", guarded(list_shipments), methods=["GET"]),
        Route("/fulfillments", guarded(list_fulfillments), methods=["GET"]),
        Route("/stores", guarded(list_stores), methods=["GET"]),
        Route("/stores/{store_id:int}", guarded(get_store), methods=["GET"]),
        Route("/stores/{store_id:int}", guarded(put_store), methods=["PUT"]),
        Route("/carriers", guarded(list_carriers), methods=["GET"]),
        Route("/carriers/listservices", guarded(list_services), methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(_Gate, sandbox=sandbox)])
