"""ASGI app of the Brightpearl sandbox: auth, rate limit, routing, envelopes."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bp_tui.sandbox.brightpearl import shapes
from bp_tui.sandbox.brightpearl.errors import (
    NOT_AUTHENTICATED,
    TOO_MANY,
    BpError,
    bad_filter,
    bad_request,
    not_found,
)
from bp_tui.sandbox.brightpearl.oauth import BAD_REFS

if TYPE_CHECKING:
    from bp_tui.sandbox.brightpearl.account import BrightpearlAccount

MAX_GON_IDS = 500
MAX_ORDER_IDS = 200
MAX_PRODUCT_IDS = 200
MAX_PAGE_SIZE = 500

Handler = Callable[["BrightpearlAccount", Request, re.Match[str], Any], Any]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _ROUTES.append((method, re.compile(pattern + r"$"), fn))
        return fn

    return register


def build_app(sb: BrightpearlAccount) -> Starlette:
    async def authorise(request: Request) -> Response:
        return await _serve(sb, request, _authorise, counted=False)

    async def public_api(request: Request) -> Response:
        return await _serve(sb, request, _dispatch, counted=True)

    async def oauth_authorize(request: Request) -> Response:
        status, answer = sb.oauth.authorize(request.path_params["account"], request.query_params)
        if status == 302:
            response: Response = RedirectResponse(answer["location"], status_code=302)
        else:
            response = JSONResponse(answer, status)
        return _log(sb, request.method, request.url.path, response)

    async def oauth_token(request: Request) -> Response:
        kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            status, answer = (
                400,
                {"error": "invalid_request", "error_description": "send the form url-encoded"},
            )
        else:
            raw = (await request.body()).decode("utf-8", "replace")
            form = dict(
                parse_qsl(raw, keep_blank_values=True)
            )  # last value of a repeated name wins
            status, answer = sb.oauth.token(request.path_params["account"], form)
        if sb.oauth.hold_s > 0:  # issued, not yet answered: a client killed now never hears of it
            await asyncio.sleep(sb.oauth.hold_s)
        return _log(sb, request.method, request.url.path, JSONResponse(answer, status))

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
    return Starlette(
        routes=[
            Route("/{account}/authorise", authorise, methods=["POST"]),
            Route("/oauth/authorize/{account}", oauth_authorize, methods=["GET"]),
            Route("/oauth/token/{account}", oauth_token, methods=["POST"]),
            Route("/public-api/{account}/{rest:path}", public_api, methods=methods),
        ]
    )


async def _serve(
    sb: BrightpearlAccount, request: Request, work: Callable[..., Any], *, counted: bool
) -> Response:
    method, path = request.method, request.url.path
    headers: dict[str, str] = {}
    if counted:
        admission = sb.window.admit()
        headers = {
            "brightpearl-requests-remaining": str(admission.remaining),
            "brightpearl-next-throttle-period": str(admission.next_period_ms),
        }
        if not admission.allowed:
            return _log(
                sb, method, path, JSONResponse({"response": TOO_MANY}, 503, headers=headers)
            )
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
        if method in ("POST", "PUT"):
            err = bad_request("CMNC-010", "You must supply a JSON formatted body with your request")
            return _log(sb, method, path, JSONResponse(err.body(), err.status, headers=headers))
    fault = sb.take_fault(method, path)
    try:
        if fault is not None and not fault.process:
            raise BpError(fault.status, "CMNU-003", "Internal Server Error")
        result = work(sb, request, body)
        if fault is not None:
            raise BpError(fault.status, "CMNU-003", "Internal Server Error")
        response = JSONResponse(result, 200, headers=headers)
    except BpError as err:
        response = JSONResponse(err.body(), err.status, headers=headers)
    return _log(sb, method, path, response)


def _log(sb: BrightpearlAccount, method: str, path: str, response: Response) -> Response:
    sb.request_log.append((sb.clock(), method, path, response.status_code))
    return response


def _authorise(sb: BrightpearlAccount, request: Request, body: Any) -> Any:
    account = request.path_params["account"]
    creds = body.get("apiAccountCredentials") if isinstance(body, dict) else None
    if not isinstance(creds, dict):
        raise bad_request("CMNC-010", "You must supply a JSON formatted body with your request")
    if account != sb.account_code or not sb.api_access:
        raise BpError(403, "GWYB-003", f"Account '{account}' does not have API access")
    email = str(creds.get("emailAddress", ""))
    if email != sb.username or creds.get("password") != sb.password:
        raise BpError(401, "GWYB-006", f"Unable to authenticate {email}")
    return {"response": sb.new_token()}


def _dispatch(sb: BrightpearlAccount, request: Request, body: Any) -> Any:
    if request.path_params["account"] != sb.account_code:
        raise not_found(f"Cannot find the resource {request.url.path}")
    _check_auth(sb, request)
    rest = "/" + request.path_params["rest"]
    for method, pattern, handler in _ROUTES:
        match = pattern.match(rest)
        if match and method == request.method:
            return handler(sb, request, match, body)
    raise not_found(f"Cannot find the resource /app{rest}")


def _check_auth(sb: BrightpearlAccount, request: Request) -> None:
    h = request.headers
    if h.get("authorization", "").startswith("Bearer "):
        if (
            h.get("brightpearl-app-ref") != sb.app_ref
            or h.get("brightpearl-dev-ref") != sb.oauth.dev_ref
        ):
            raise BpError(401, None, BAD_REFS)
        refused = sb.oauth.check_access(h["authorization"][len("Bearer ") :])
        if refused:
            raise BpError(401, None, refused)
        return
    if "brightpearl-auth" in h:
        ok = h["brightpearl-auth"] in sb.tokens
    elif "brightpearl-staff-token" in h:
        ok = (
            h.get("brightpearl-app-ref") == sb.app_ref
            and h["brightpearl-staff-token"] == sb.staff_token
        )
    elif "brightpearl-account-token" in h:
        ok = (
            h.get("brightpearl-app-ref") == sb.app_ref
            and h["brightpearl-account-token"] == sb.account_token
        )
    else:
        ok = False
    if not ok:
        raise BpError(401, None, NOT_AUTHENTICATED)


# ---------------------------------------------------------------------- id sets and filters


def _ids(text: str, limit: int, what: str) -> list[int] | str:
    from bp_tui.brightpearl.idset import parse_idset

    try:
        ids = parse_idset(text)
    except ValueError:
        raise bad_request("CMNC-023", f"The ID set '{text}' is not valid") from None
    if ids != "*" and len(ids) > limit:
        raise bad_request(
            "CMNC-031", f"Too many {what} ids in ID set: {len(ids)}; the maximum is {limit}"
        )
    return ids


def _bool_filter(name: str, value: str) -> bool:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise bad_filter(name, value, "BOOLEAN")


# Filters are parsed once per request value, not once per row (a 10,000-row search stays linear).
@lru_cache(maxsize=256)
def _int_filter(name: str, value: str, data_type: str = "INTEGER") -> frozenset[int]:
    from bp_tui.brightpearl.idset import parse_idset

    try:
        ids = parse_idset(value)
    except ValueError:
        raise bad_filter(name, value, data_type) from None
    if ids == "*" or (data_type == "INTEGER" and len(ids) != 1):
        raise bad_filter(name, value, data_type)
    return frozenset(ids)


@lru_cache(maxsize=256)
def _period_filter(
    name: str, value: str, zone: tzinfo | None = None
) -> tuple[datetime | None, datetime | None]:
    """``from/to``, either end optional; an end without an offset is in the account's ``zone``
    (UTC when the account has none)."""
    if "/" not in value:
        raise bad_filter(name, value, "PERIOD")
    start_s, _, end_s = value.partition("/")
    out: list[datetime | None] = []
    for part in (start_s, end_s):
        if not part:
            out.append(None)
            continue
        moment = _parse_dt(part, zone)
        if moment is None:
            raise bad_filter(name, value, "PERIOD")
        out.append(moment)
    return out[0], out[1]


def _parse_dt(text: str | None, zone: tzinfo | None = None) -> datetime | None:
    if not text:
        return None
    text = text.strip().replace(" ", "+")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone or UTC)


def _paging(request: Request) -> tuple[int, int]:
    q = request.query_params
    try:
        page_size = int(q.get("pageSize", MAX_PAGE_SIZE))
        first = int(q.get("firstResult", 1))
    except ValueError:
        raise bad_request("CMNC-018", "pageSize and firstResult must be integers") from None
    return max(1, min(page_size, MAX_PAGE_SIZE)), max(1, first)


def _search(
    request: Request,
    columns: list[dict[str, Any]],
    rows: list[list[Any]],
    filters: dict[str, Callable[[Any, str], bool]],
    reference: dict[str, Any] | None = None,
) -> dict[str, Any]:
    names = [c["name"] for c in columns]
    selected = rows
    for name, value in request.query_params.items():
        if name in ("pageSize", "firstResult", "sort", "columns"):
            continue
        if name not in filters:
            raise BpError(500, "CMNC-018", f"The filter {name} is not a column of this search")
        index = names.index(name)
        test = filters[name]
        selected = [r for r in selected if test(r[index], value)]
    sort = request.query_params.get("sort", f"{names[0]}|ASC")
    column, _, direction = sort.partition("|")
    direction = (direction or "ASC").upper()
    if column not in names or direction not in ("ASC", "DESC"):
        raise BpError(500, "CMNC-018", f"Cannot sort by {sort}")
    index = names.index(column)
    selected = sorted(
        selected, key=lambda r: (r[index] is None, r[index]), reverse=direction == "DESC"
    )
    page_size, first = _paging(request)
    wanted = request.query_params.get("columns")
    if wanted:  # only the named columns, in the order asked for
        picks = [n.strip() for n in wanted.split(",") if n.strip()]
        unknown = [n for n in picks if n not in names]
        if unknown:
            raise BpError(500, "CMNC-018", f"Unknown column(s) {', '.join(unknown)}")
        indexes = [names.index(n) for n in picks]
        columns = [columns[i] for i in indexes]
        selected = [[r[i] for i in indexes] for r in selected]
    return shapes.search_envelope(
        columns,
        selected,
        first_result=first,
        page_size=page_size,
        sort_column=column,
        direction=direction,
        reference=reference,
    )


def _filter_bool(name: str) -> Callable[[Any, str], bool]:
    return lambda cell, value: bool(cell) == _bool_filter(name, value)


def _filter_ids(name: str, data_type: str = "IDSET") -> Callable[[Any, str], bool]:
    return lambda cell, value: cell in _int_filter(name, value, data_type)


def _filter_period(name: str, zone: tzinfo | None = None) -> Callable[[Any, str], bool]:
    def test(cell: Any, value: str) -> bool:
        start, end = _period_filter(name, value, zone)
        moment = _parse_dt(cell)
        if moment is None:
            return False
        return (start is None or moment >= start) and (end is None or moment <= end)

    return test


# ---------------------------------------------------------------------- goods-out notes

GON_COLUMNS = [
    ("goodsOutNoteId", "INTEGER"),
    ("printed", "BOOLEAN"),
    ("picked", "BOOLEAN"),
    ("packed", "BOOLEAN"),
    ("shipped", "BOOLEAN"),
    ("shippedOn", "PERIOD"),
    ("orderId", "INTEGER"),
    ("shippingMethodId", "IDSET"),
    ("warehouseId", "INTEGER"),
    ("priority", "BOOLEAN"),
    ("createdOn", "PERIOD"),
    ("releaseDate", "PERIOD"),
    ("createdBy", "INTEGER"),
    ("labelUri", "STRING"),
    ("channelId", "INTEGER"),
    ("transfer", "BOOLEAN"),
]


@route("GET", r"/warehouse-service/goods-note/goods-out-search")
def gon_search(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    rows = []
    for gon_id, g in sb.gons.items():
        order = sb.orders.get(g["orderId"])
        channel = order["assignment"]["current"]["channelId"] if order else None
        st = g["status"]
        rows.append(
            [
                gon_id,
                st["printed"],
                st["picked"],
                st["packed"],
                st["shipped"],
                st.get("shippedOn"),
                g["orderId"],
                g["shipping"].get("shippingMethodId"),
                g["warehouseId"],
                g["priority"],
                g["createdOn"],
                g["releaseDate"],
                g["createdBy"],
                g.get("labelUri"),
                channel,
                g["transfer"],
            ]
        )
    filters: dict[str, Callable[[Any, str], bool]] = {}
    for name, kind in GON_COLUMNS:
        if kind == "BOOLEAN":
            filters[name] = _filter_bool(name)
        elif kind == "PERIOD":
            filters[name] = _filter_period(name, sb.zone)
        elif name != "labelUri":
            # orderId and the other integer columns also accept id sets (e.g. 1,5,9-20)
            filters[name] = _filter_ids(name)
    columns = [shapes.search_column(n, t) for n, t in GON_COLUMNS]
    return _search(request, columns, rows, filters)


@route("GET", r"/warehouse-service/order/(?P<orders>[^/]+)/goods-note/goods-out/?(?P<gons>[^/]*)")
def gon_get(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    orders = _ids(m["orders"], MAX_ORDER_IDS if m["orders"] != "*" else 0, "order")
    gons = _ids(m["gons"], MAX_GON_IDS, "goods-out note") if m["gons"] else "*"
    if orders == "*" and gons == "*":
        raise bad_request("WHSB-001", "Supply a goods-out note ID set or an order ID set")
    # An id set names at most 500 notes: look those up instead of scanning every note.
    pool = (
        sorted(sb.gons.items())
        if isinstance(gons, str)
        else [(g, sb.gons[g]) for g in sorted(set(gons)) if g in sb.gons]
    )
    order_set = None if orders == "*" else set(orders)
    found = {str(gid): g for gid, g in pool if order_set is None or g["orderId"] in order_set}
    if not found:
        # (chosen) ids none of which exist: 404 with Brightpearl's error body, code CMNC-404 (the
        # form documented for an empty multi-resource read); bp-tui takes no other 404 as "none
        # exist".
        raise not_found("No goods out notes found within range of order IDs and goods out note IDs")
    return {"response": found}


@route("PUT", r"/warehouse-service/goods-note/goods-out/(?P<id>\d+)")
def gon_put(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    sb.update_gon(int(m["id"]), body)
    return {}


@route("POST", r"/warehouse-service/goods-note/goods-out/(?P<id>\d+)/event")
def gon_event(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    sb.post_events(int(m["id"]), body, request.headers.get("if-match"))
    return {}


@route("DELETE", r"/warehouse-service/order/(?P<order>\d+)/goods-note/goods-out/(?P<id>\d+)")
def gon_delete(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    gon = sb.gons.get(int(m["id"]))
    if gon is None or gon["orderId"] != int(m["order"]):
        raise not_found(f"Cannot find goods-out note {m['id']}")
    if gon["status"]["shipped"]:
        raise bad_request(
            "WHSC-062", f"Goods-out note {m['id']} has been shipped and cannot be deleted"
        )
    sb.delete_gon(int(m["id"]))
    return {}


# ---------------------------------------------------------------------- orders and notes


@route("GET", r"/order-service/order/(?P<ids>[0-9,\-*]+)")
def order_get(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    ids = _ids(m["ids"], MAX_ORDER_IDS, "order")
    if ids == "*":
        raise bad_request("CMNC-023", "The ID set '*' is not valid here")
    return {"response": [sb.orders[i] for i in ids if i in sb.orders]}


@route("PUT", r"/order-service/order/(?P<id>\d+)/status")
def order_status_put(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    status_id = body.get("orderStatusId") if isinstance(body, dict) else None
    if not isinstance(status_id, int):
        raise bad_request("ORDB-027", "orderStatusId is required")
    sb.set_order_status(int(m["id"]), status_id)
    return {}


@route("POST", r"/order-service/order/(?P<id>\d+)/note")
def order_note_post(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text:
        raise bad_request("ORDB-040", "text is required")
    return {
        "response": sb.add_note(int(m["id"]), text, is_public=bool(body.get("isPublic", False)))
    }


@route("GET", r"/order-service/order/(?P<id>\d+)/note/?(?P<notes>[0-9,\-]*)")
def order_note_get(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    order_id = int(m["id"])
    if order_id not in sb.orders:
        raise not_found(f"Cannot find order {order_id}")
    wanted = _ids(m["notes"], 500, "note") if m["notes"] else "*"
    return {
        "response": [
            n for n in sb.notes.get(order_id, []) if wanted == "*" or n["noteId"] in wanted
        ]
    }


NOTE_COLUMNS = [
    ("orderId", "IDSET"),
    ("noteId", "IDSET"),
    ("contactId", "IDSET"),
    ("noteText", "SEARCH_STRING"),
    ("isPublic", "BOOLEAN"),
    ("dateAdded", "PERIOD"),
    ("addedBy", "IDSET"),
    ("orderStatusId", "IDSET"),
]


ORDER_COLUMNS = [
    ("orderId", "IDSET"),
    ("orderTypeId", "IDSET"),
    ("contactId", "INTEGER"),
    ("orderStatusId", "INTEGER"),
    ("orderStockStatusId", "INTEGER"),
    ("createdOn", "PERIOD"),
    ("createdById", "INTEGER"),
    ("customerRef", "STRING"),
    ("orderPaymentStatusId", "INTEGER"),
    ("updatedOn", "PERIOD"),
    ("parentOrderId", "IDSET"),
    ("orderShippingStatusId", "INTEGER"),
    ("externalRef", "STRING"),
    ("installedIntegrationInstanceId", "INTEGER"),
    ("warehouseId", "IDSET"),
    ("staffOwnerContactId", "INTEGER"),
    ("taxDate", "PERIOD"),
    ("departmentId", "INTEGER"),
    ("deliveryDate", "PERIOD"),
]
ORDER_TYPE_IDS = {"SO": 1, "PO": 2, "SC": 3, "PC": 4}
SHIPPING_STATUS_IDS = {"NST": 1, "SNS": 2, "SPS": 3, "ASS": 4}


@route("GET", r"/order-service/order-search")
def order_search(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    rows = []
    for order_id, o in sb.orders.items():
        rows.append(
            [
                order_id,
                ORDER_TYPE_IDS.get(o.get("orderTypeCode", "SO"), 1),
                (o.get("parties", {}).get("customer") or {}).get("contactId"),
                o.get("orderStatus", {}).get("orderStatusId"),
                None,
                o.get("createdOn"),
                o.get("createdById"),
                o.get("reference") or None,
                None,
                o.get("updatedOn"),
                o.get("parentOrderId", 0),
                SHIPPING_STATUS_IDS.get(o.get("shippingStatusCode", ""), None),
                o.get("externalRef"),
                None,
                o.get("warehouseId"),
                o.get("assignment", {}).get("current", {}).get("staffOwnerContactId"),
                None,
                0,
                (o.get("delivery") or {}).get("deliveryDate"),
            ]
        )
    filters: dict[str, Callable[[Any, str], bool]] = {}
    for name, kind in ORDER_COLUMNS:
        if kind == "PERIOD":
            filters[name] = _filter_period(name, sb.zone)
        elif kind in ("IDSET", "INTEGER"):
            filters[name] = _filter_ids(name)
    columns = [shapes.search_column(n, t) for n, t in ORDER_COLUMNS]
    return _search(request, columns, rows, filters)


@route("GET", r"/order-service/order-note-search")
def order_note_search(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    rows = [
        [
            oid,
            n["noteId"],
            n["contactId"],
            n["text"],
            n["isPublic"],
            n["addedOn"],
            n["addedBy"],
            n["orderStatusId"],
        ]
        for oid, notes in sb.notes.items()
        for n in notes
    ]
    filters: dict[str, Callable[[Any, str], bool]] = {
        "orderId": _filter_ids("orderId"),
        "noteId": _filter_ids("noteId"),
        "contactId": _filter_ids("contactId"),
        "addedBy": _filter_ids("addedBy"),
        "orderStatusId": _filter_ids("orderStatusId"),
        "isPublic": _filter_bool("isPublic"),
        "dateAdded": _filter_period("dateAdded", sb.zone),
        "noteText": lambda cell, value: value.lower() in str(cell).lower(),
    }
    columns = [shapes.search_column(n, t) for n, t in NOTE_COLUMNS]
    return _search(request, columns, rows, filters)


# ---------------------------------------------------------------------- contacts

# The first ten columns are as documented (api-docs.brightpearl.com/contact/contact/search.html);
# createdOn and updatedOn are chosen (a third-party description lists them; their place is not
# known).
CONTACT_COLUMNS = [
    ("contactId", "IDSET"),
    ("primaryEmail", "SEARCH_STRING"),
    ("secondaryEmail", "SEARCH_STRING"),
    ("tertiaryEmail", "SEARCH_STRING"),
    ("firstName", "SEARCH_STRING"),
    ("lastName", "SEARCH_STRING"),
    ("isSupplier", "BOOLEAN"),
    ("companyName", "SEARCH_STRING"),
    ("isStaff", "BOOLEAN"),
    ("isCustomer", "BOOLEAN"),
    ("createdOn", "PERIOD"),
    ("updatedOn", "PERIOD"),
]
STAFF_SINCE = "2024-01-10T09:00:00.000-06:00"  # when the demo account's staff were set up (chosen)


def _names(full: str) -> tuple[str, str]:
    first, _, last = (full or "").strip().partition(" ")
    return first, last


def _filter_text() -> Callable[[Any, str], bool]:
    return lambda cell, value: value.casefold() in str(cell or "").casefold()


@route("GET", r"/contact-service/contact-search")
def contact_search(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    """Staff (``isStaff=true``) and the customers of the account's orders, in the generic search
    envelope."""
    rows: dict[int, list[Any]] = {}
    for contact_id, name in sb.staff.items():
        first, last = _names(name)
        rows[contact_id] = [
            contact_id,
            sb.staff_emails.get(contact_id, ""),
            "",
            "",
            first,
            last,
            False,
            "",
            True,
            False,
            STAFF_SINCE,
            STAFF_SINCE,
        ]
    for order_id in sorted(sb.orders):
        order = sb.orders[order_id]
        customer = order["parties"]["customer"]
        contact_id = customer.get("contactId")
        if contact_id is None or contact_id in rows:
            continue
        first, last = _names(customer.get("addressFullName", ""))
        rows[contact_id] = [
            contact_id,
            customer.get("email", ""),
            "",
            "",
            first,
            last,
            False,
            customer.get("companyName", ""),
            False,
            True,
            order["createdOn"],
            order["createdOn"],
        ]
    filters: dict[str, Callable[[Any, str], bool]] = {}
    for name, kind in CONTACT_COLUMNS:
        if kind == "IDSET":
            filters[name] = _filter_ids(name)
        elif kind == "BOOLEAN":
            filters[name] = _filter_bool(name)
        elif kind == "PERIOD":
            filters[name] = _filter_period(name, sb.zone)
        else:  # SEARCH_STRING: case-insensitive "contains" (chosen)
            filters[name] = _filter_text()
    columns = [shapes.search_column(n, t) for n, t in CONTACT_COLUMNS]
    return _search(request, columns, list(rows.values()), filters)


# ---------------------------------------------------------------------- lookups


def _lookup(
    items: dict[int, dict[str, Any]], ids_text: str | None, limit: int = 500
) -> dict[str, Any]:
    ids = _ids(ids_text, limit, "resource") if ids_text else "*"
    chosen = [_public(items[i]) for i in sorted(items) if ids == "*" or i in ids]
    if ids != "*" and not chosen:
        raise not_found(f"No resources found in ID set {ids_text}")
    return {"response": chosen}


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


@route("GET", r"/product-service/product/(?P<ids>[0-9,\-]+)")
def product_get(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    ids = _ids(m["ids"], MAX_PRODUCT_IDS, "product")
    return {"response": [_public(sb.products[i]) for i in ids if i in sb.products]}


@route("GET", r"/product-service/channel/?(?P<ids>[0-9,\-]*)")
def channel_get(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    try:
        return _lookup(sb.channels, m["ids"])
    except BpError as err:
        if err.status == 404:
            raise not_found(f"Cannot find channel {m['ids']}") from None
        raise


@route("GET", r"/warehouse-service/warehouse/?(?P<ids>[0-9,\-]*)")
def warehouse_get(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    return _lookup(sb.warehouses, m["ids"])


@route("GET", r"/warehouse-service/shipping-method/?(?P<ids>[0-9,\-]*)")
def shipping_method_get(
    sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any
) -> Any:
    return _lookup(sb.shipping_methods, m["ids"])


@route("GET", r"/order-service/order-status/?(?P<ids>[0-9,\-]*)")
def order_status_get(sb: BrightpearlAccount, request: Request, m: re.Match[str], body: Any) -> Any:
    return _lookup(sb.statuses, m["ids"])
