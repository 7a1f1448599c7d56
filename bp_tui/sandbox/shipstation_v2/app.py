"""The ASGI app of the ShipStation V2 sandbox: ``/v2/...`` endpoints, the ``api-key`` header,
200 requests/min with ``429`` + ``Retry-After`` (no remaining-count headers, as observed live),
the error envelope on every error, and an ``x-shipengine-requestid`` header on every answer."""

from __future__ import annotations

import hmac
import json
import math
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bp_tui.sandbox.shipstation_v2 import shapes
from bp_tui.sandbox.shipstation_v2.face import ERROR_SOURCE, NotFound, V2Face, V2Refused
from bp_tui.shipstation.dates import parse_datetime

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 500  # (chosen) the fulfillments list documents 1-500; the others state no maximum
MAX_BATCH = 100  # (chosen) ShipStation's own MCP tool caps its bulk create at 100
# Wrappers put around every V2 app built from now on, first innermost. The tests install one that
# holds every request and answer to ShipStation's published contract (tests/contract/).
APP_WRAPPERS: list[Callable[[ASGIApp], ASGIApp]] = []


def envelope(errors: list[dict], status: int) -> JSONResponse:
    return JSONResponse({"request_id": str(uuid.uuid4()), "errors": errors}, status_code=status)


def failure(status: int) -> Response:
    """An injected failure: a 5xx answers with no body, as the contract's ``ServerError`` (and the
    gateway's 502-504, chosen); other statuses with the error envelope."""
    if status >= 500:
        return Response(status_code=status)
    return envelope(
        [
            {
                "error_source": ERROR_SOURCE,
                "error_type": "system",
                "error_code": "unspecified",
                "message": "An unknown error has occurred.",
            }
        ],
        status,
    )


def refused(exc: V2Refused) -> JSONResponse:
    return envelope([exc.entry()], exc.status)


def retry_after(seconds: float, window_s: float) -> str:
    """Whole seconds, rounded up, as HTTP says; milliseconds for the sub-10-second test windows
    (chosen)."""
    if window_s >= 10:
        return str(max(1, math.ceil(seconds)))
    return f"{max(0.001, math.ceil(seconds * 1000) / 1000):.3f}"


class _Gate:
    """Auth (``api-key``), the rate limit, injected faults and the request log."""

    def __init__(self, app: ASGIApp, face: V2Face) -> None:
        self.app = app
        self.face = face

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        face, account = self.face, self.face.account
        root = scope.get("root_path", "")
        path = (
            scope["path"][len(root) :] if root and scope["path"].startswith(root) else scope["path"]
        )
        query = scope.get("query_string", b"").decode("latin-1")
        target = path + (f"?{query}" if query else "")
        received_at = account.clock()
        status_seen: list[int] = []
        response: Response | None = None
        key = Headers(scope=scope).get("api-key") or ""
        if not key or not hmac.compare_digest(key.encode(), face.api_key.encode()):
            response = envelope(
                [
                    {
                        "error_source": ERROR_SOURCE,
                        "error_type": "security",
                        "error_code": "unauthorized",
                        "message": "Access denied.",
                    }
                ],
                401,
            )
        else:
            verdict = face.limiter.hit()
            if not verdict.allowed:
                account.violations += int(verdict.violation)
                response = envelope(
                    [
                        {
                            "error_source": ERROR_SOURCE,
                            "error_type": "system",
                            "error_code": "rate_limit_exceeded",
                            "message": "You have exceeded the rate limit. Please retry later.",
                        }
                    ],
                    429,
                )
                response.headers["Retry-After"] = retry_after(verdict.reset_s, face.window_s)
            else:
                fault = account.take_fault(path)
                if fault is not None:
                    response = failure(fault)
        request_id = str(uuid.uuid4()).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen.append(message["status"])
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (b"x-shipengine-requestid", request_id),
                    ],
                }
            await send(message)

        try:
            if response is not None:
                await response(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            account.request_log.append(
                (received_at, scope["method"], target, status_seen[0] if status_seen else 500)
            )


def _int(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise V2Refused(f"{name} must be a whole number", field=name) from None


def _enum(request: Request, name: str, allowed: tuple[str, ...]) -> None:
    value = request.query_params.get(name)
    if value is not None and value not in allowed:
        raise V2Refused(f"{name} '{value}' is not one of {', '.join(allowed)}", field=name)


def _when(request: Request, name: str) -> datetime | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        return shapes.parse_filter(value)
    except ValueError as exc:
        raise V2Refused(f"{name}: {exc}", field=name) from None


def _window(
    records: list[dict], field: str, start: datetime | None, end: datetime | None
) -> list[dict]:
    if start is None and end is None:
        return records
    out = []
    for record in records:
        moment = parse_datetime(record.get(field))
        if (
            moment is not None
            and (start is None or moment >= start)
            and (end is None or moment <= end)
        ):
            out.append(record)
    return out


def _page(
    request: Request,
    key: str,
    records: list[dict],
    *,
    default_dir: str,
    sort_fields: tuple[str, ...] = ("created_at", "modified_at"),
) -> JSONResponse:
    """One page of ``records``; ``sort_fields``: the ``sort_by`` values the endpoint documents."""
    sort_by = request.query_params.get("sort_by") or "created_at"
    if sort_by not in sort_fields:
        raise V2Refused(
            f"sort_by '{sort_by}' is not one of {', '.join(sort_fields)}", field="sort_by"
        )
    sort_dir = request.query_params.get("sort_dir") or default_dir
    if sort_dir not in ("asc", "desc"):
        raise V2Refused(f"sort_dir '{sort_dir}' is not asc or desc", field="sort_dir")
    # a label has no modified_at: its void modifies it (chosen); shipped_at is a fulfillment's
    # ship_date
    field = {"shipped_at": "ship_date"}.get(sort_by, sort_by)

    def moment(record: dict) -> datetime:
        value = record.get(field) or (record.get("voided_at") if field == "modified_at" else None)
        return parse_datetime(value or record.get("created_at")) or datetime.min

    records = sorted(
        records, key=lambda r: (moment(r), str(r.get(f"{key[:-1]}_id"))), reverse=sort_dir == "desc"
    )
    page_no = _int(request, "page", 1)
    size = _int(request, "page_size", DEFAULT_PAGE_SIZE)
    if page_no < 1:
        raise V2Refused("page must be 1 or more", field="page")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise V2Refused(f"page_size must be between 1 and {MAX_PAGE_SIZE}", field="page_size")
    return JSONResponse(
        shapes.page(records, key=key, page_no=page_no, size=size, base=request.url.path)
    )


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        raise V2Refused("the request body is not valid JSON", code="invalid_field_value") from None


def build_v2_app(face: V2Face) -> ASGIApp:
    """The Starlette app serving ``face`` (mountable under a path prefix)."""

    async def create_shipments(request: Request) -> Response:
        body = await _json(request)
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("shipments"), list)
            or not body["shipments"]
        ):
            raise V2Refused(
                "shipments must be a non-empty array",
                code="field_value_required",
                field="shipments",
            )
        if len(body["shipments"]) > MAX_BATCH:
            raise V2Refused(f"at most {MAX_BATCH} shipments per request", field="shipments")
        answers = []
        for item in body["shipments"]:
            try:
                answers.append({**face.create(item), "errors": [], "address_validation": None})
            except V2Refused as exc:  # the published form: the key and the errors as strings
                key = item.get("external_shipment_id") if isinstance(item, dict) else None
                kept = key[: shapes.MAX_ID_LENGTH] if isinstance(key, str) else None
                answers.append(
                    {"external_shipment_id": kept, "errors": [str(exc)], "address_validation": None}
                )
        return JSONResponse({"has_errors": any(a["errors"] for a in answers), "shipments": answers})

    async def list_shipments(request: Request) -> Response:
        q = request.query_params
        key = q.get("external_shipment_id")
        # the account indexes keys: a look-up by key reads its shipments only
        _enum(request, "shipment_status", shapes.SHIPMENT_STATUSES)
        records = (
            face.shipments()
            if not key
            else [face.shipment(o) for o in face.account.split_parts(key)]
        )
        for name in ("external_shipment_id", "shipment_number", "shipment_status", "store_id"):
            if q.get(name):
                records = [r for r in records if str(r.get(name)) == q[name]]
        if q.get("ship_to_name"):
            records = [
                r
                for r in records
                if q["ship_to_name"].lower() in str(r["ship_to"].get("name") or "").lower()
            ]
        records = _window(
            records,
            "created_at",
            _when(request, "created_at_start"),
            _when(request, "created_at_end"),
        )
        records = _window(
            records,
            "modified_at",
            _when(request, "modified_at_start"),
            _when(request, "modified_at_end"),
        )
        return _page(request, "shipments", records, default_dir="desc")

    async def get_shipment(request: Request) -> Response:
        return JSONResponse(face.shipment(face.order(request.path_params["shipment_id"])))

    async def get_by_external_id(request: Request) -> Response:
        key = request.path_params["external_shipment_id"]
        found = face.account.split_parts(key) or []
        if not found:
            raise NotFound(f"Shipment with external_shipment_id {key}")
        return JSONResponse(face.shipment(found[0]))

    async def put_shipment(request: Request) -> Response:
        return JSONResponse(face.replace(request.path_params["shipment_id"], await _json(request)))

    async def cancel_shipment(request: Request) -> Response:
        face.cancel(request.path_params["shipment_id"])
        return Response(status_code=204)

    async def list_labels(request: Request) -> Response:
        _enum(request, "label_status", shapes.LABEL_STATUSES)
        records = face.labels()
        q = request.query_params
        if q.get("label_status"):
            records = [r for r in records if r["status"] == q["label_status"]]
        for name in ("shipment_id", "tracking_number", "carrier_id", "service_code"):
            if q.get(name):
                records = [r for r in records if str(r.get(name)) == q[name]]
        if q.get("warehouse_id"):
            ids = {s for s in (shapes.number_of(r["shipment_id"]) for r in records)}
            wanted = shapes.number_of(q["warehouse_id"])
            keep = {
                i
                for i in ids
                if i is not None
                and (face.account.orders.get(i) or {}).get("advancedOptions", {}).get("warehouseId")
                == wanted
            }
            records = [r for r in records if shapes.number_of(r["shipment_id"]) in keep]
        records = _window(
            records,
            "created_at",
            _when(request, "created_at_start"),
            _when(request, "created_at_end"),
        )
        return _page(request, "labels", records, default_dir="desc")

    async def get_label(request: Request) -> Response:
        wanted = request.path_params["label_id"]
        found = [r for r in face.labels() if r["label_id"] == wanted]
        if not found:
            raise NotFound(f"Label {wanted}")
        return JSONResponse(found[0])

    async def list_fulfillments(request: Request) -> Response:
        records = face.fulfillments()
        q = request.query_params
        for name in ("shipment_id", "shipment_number", "fulfillment_id", "tracking_number"):
            if q.get(name):
                records = [r for r in records if str(r.get(name)) == q[name]]
        records = _window(
            records,
            "created_at",
            _when(request, "create_date_start"),
            _when(request, "create_date_end"),
        )
        records = _window(
            records, "ship_date", _when(request, "ship_date_start"), _when(request, "ship_date_end")
        )
        return _page(
            request,
            "fulfillments",
            records,
            default_dir="asc",
            sort_fields=("created_at", "modified_at", "shipped_at"),
        )

    async def create_fulfillments(request: Request) -> Response:
        body = await _json(request)
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("fulfillments"), list)
            or not body["fulfillments"]
        ):
            raise V2Refused(
                "fulfillments must be a non-empty array",
                code="field_value_required",
                field="fulfillments",
            )
        for index, item in enumerate(body["fulfillments"]):
            face.check_fulfillment(item, index)
        results = [face.fulfill(item) for item in body["fulfillments"]]
        return JSONResponse(
            {"has_errors": any(r["error_message"] for r in results), "fulfillments": results}
        )

    async def list_warehouses(request: Request) -> Response:
        return JSONResponse({"warehouses": list(face.warehouses.values())})

    def guarded(
        endpoint: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                return await endpoint(request)
            except V2Refused as exc:
                return refused(exc)

        return run

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if status == 405:
            return envelope(
                [
                    {
                        "error_source": ERROR_SOURCE,
                        "error_type": "validation",
                        "error_code": "invalid_field_value",
                        "message": "Method not allowed",
                    }
                ],
                405,
            )
        return envelope(
            [
                {
                    "error_source": ERROR_SOURCE,
                    "error_type": "validation",
                    "error_code": "unspecified",
                    "message": f"{request.url.path} was not found",
                }
            ],
            404,
        )

    routes = [
        Route("/v2/shipments", guarded(create_shipments), methods=["POST"]),
        Route("/v2/shipments", guarded(list_shipments), methods=["GET"]),
        Route(
            "/v2/shipments/external_shipment_id/{external_shipment_id:path}",
            guarded(get_by_external_id),
            methods=["GET"],
        ),
        Route("/v2/shipments/{shipment_id}", guarded(get_shipment), methods=["GET"]),
        Route("/v2/shipments/{shipment_id}", guarded(put_shipment), methods=["PUT"]),
        Route("/v2/shipments/{shipment_id}/cancel", guarded(cancel_shipment), methods=["PUT"]),
        Route("/v2/labels", guarded(list_labels), methods=["GET"]),
        Route("/v2/labels/{label_id}", guarded(get_label), methods=["GET"]),
        Route("/v2/fulfillments", guarded(list_fulfillments), methods=["GET"]),
        Route("/v2/fulfillments", guarded(create_fulfillments), methods=["POST"]),
        Route("/v2/warehouses", guarded(list_warehouses), methods=["GET"]),
    ]
    app: ASGIApp = Starlette(
        routes=routes,
        middleware=[Middleware(_Gate, face=face)],
        exception_handlers={404: not_found, 405: not_found},
    )
    for wrap in APP_WRAPPERS:
        app = wrap(app)
    return app
