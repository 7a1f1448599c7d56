"""Async client of the Brightpearl public API (the calls bp-tui needs).

Every request goes through one path (``_request``) that authenticates, paces against
the rate-limit headers, waits out throttling, and retries idempotent calls (GET, PUT)
on 5xx answers, timeouts and dropped connections. POSTs are never retried blind: the
callers re-read the resource to learn whether a lost attempt took effect.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import httpx

from bp_tui.apiclient import bounds
from bp_tui.apiclient.backoff import Backoff
from bp_tui.apiclient.pacing import RateGate
from bp_tui.apiclient.sender import Sender, SenderClient, Shape, is_json_object
from bp_tui.brightpearl.apierrors import (
    HINT_THROTTLED,
    SERVICE,
    GonConflict,
    api_error,
    error_parts,
    is_throttled_text,
)
from bp_tui.brightpearl.auth import Credentials
from bp_tui.brightpearl.idset import chunks, format_idset
from bp_tui.brightpearl.models import (
    Channel,
    GoodsOutNote,
    GoodsOutSearchRow,
    Order,
    OrderNote,
    OrderStatus,
    Product,
    ShippingMethod,
    StaffContact,
    Warehouse,
)
from bp_tui.brightpearl.oauth import OAuthSession, TokenEndpoint
from bp_tui.brightpearl.parsing import as_int, utc_iso
from bp_tui.config.model import BrightpearlSettings
from bp_tui.errors import ApiError, ApiProblem, ApiThrottled, ApiUnavailable
from bp_tui.state.tokens import TokenStore

GON_IDS_PER_CALL = 500
ORDER_IDS_PER_CALL = 200
PRODUCT_IDS_PER_CALL = 50  # the documented maximum is unknown: stay conservative
SEARCH_PAGE_SIZE = 500
REFERENCE_MAX = 64
NOT_FOUND_CODE = "CMNC-404"
MAX_THROTTLE_WAITS = 8

SearchRow = dict[str, Any]


class _Policy:
    """How Brightpearl authenticates, paces and words its errors (for the shared Sender)."""

    service = SERVICE
    name = "Brightpearl"
    max_throttles = MAX_THROTTLE_WAITS

    def __init__(
        self, creds: Credentials, gate: RateGate, login: Callable[[], Awaitable[None]]
    ) -> None:
        self.creds = creds
        self.gate = gate
        self.login = login
        self._sent_authorization: str | None = None

    async def headers(self, authenticated: bool) -> dict[str, str]:
        if not authenticated:
            return {}
        if self.creds.oauth is not None:
            return await self.creds.oauth.headers()
        if self.creds.needs_login and not self.creds.has_token:
            await self.login()
        return self.creds.headers()

    def observe(self, response: httpx.Response) -> None:
        # The Sender calls ``reauthenticate`` for this same answer right after this, with no await
        # in between: OAuth learns there which access token the refused request carried.
        self._sent_authorization = response.request.headers.get("authorization")
        remaining = bounds.count(response.headers.get("brightpearl-requests-remaining"))
        self.gate.observe(
            remaining, _header_wait(response, "brightpearl-next-throttle-period", 0.001)
        )

    def throttle_wait(self, status: int, body: Any, response: httpx.Response) -> float | None:
        if not _is_throttled(status, error_parts(body)[1]):
            return None
        for name, scale in (
            ("brightpearl-throttle-time", 1.0),
            ("retry-after", 1.0),
            ("brightpearl-next-throttle-period", 0.001),
        ):
            wait = _header_wait(response, name, scale)
            if wait is not None:
                return wait
        return self.gate.window_s

    def throttled(self, status: int, body: Any) -> ApiThrottled:
        return ApiThrottled(
            SERVICE, status, error_parts(body)[1] or "throttled", hint=HINT_THROTTLED
        )

    def reauthenticate(self, status: int, body: Any) -> bool:
        if self.creds.oauth is not None:
            return self.creds.oauth.rejected(self._sent_authorization, status, body)
        if not self.creds.needs_login:
            return False
        if status == 401 or "not authenticated" in error_parts(body)[1].lower():
            self.creds.set_token(None)
            return True
        return False

    def error(self, status: int, body: Any, method: str, url: str) -> ApiProblem:
        return api_error(status, body, auth_mode=self.creds.mode, secrets=self.creds.secrets())

    def retry_server_error(self, status: int, body: Any) -> bool:
        return not (error_parts(body)[0] or "").startswith("CMNC-")

    def unreachable_hint(self, method: str, url: str) -> str:
        return (
            "check the network and brightpearl.integration_url (it must be the https API address)"
        )


class BrightpearlClient(SenderClient):
    def __init__(
        self,
        settings: BrightpearlSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        backoff: Backoff | None = None,
        gate: RateGate | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        tokens: TokenStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``tokens``: where the OAuth tokens are (auth = "oauth"); ``clock``: Unix time, for
        their expiry."""
        self._settings = settings
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)
        self._backoff = backoff or Backoff()
        self._sleep = sleep
        self._oauth: OAuthSession | None = None
        if settings.auth == "oauth":
            endpoint = TokenEndpoint(
                settings, self._http, backoff=self._backoff, sleep=sleep, clock=clock
            )
            self._oauth = OAuthSession(settings, tokens, endpoint, clock=clock)
        self._creds = Credentials(settings, self._oauth)
        self.gate = gate or RateGate(limit=200, window_s=60.0, reserve=5, sleep=sleep)
        self._auth_lock = asyncio.Lock()
        self._sender = Sender(
            _Policy(self._creds, self.gate, self._ensure_token),
            self._http,
            gate=self.gate,
            backoff=self._backoff,
            sleep=sleep,
            secrets=self._creds.secrets,
        )

    def __repr__(self) -> str:
        base = self._settings.integration_url or (
            "(the grant's api_domain)" if self._oauth else self._settings.api_base
        )
        return f"BrightpearlClient(base={base!r}, auth={self._creds.mode!r})"

    @property
    def _base(self) -> str:
        """The API base: for OAuth without integration_url, the one the grant names."""
        return self._oauth.api_base() if self._oauth is not None else self._settings.api_base

    # ------------------------------------------------------------------ auth

    async def authenticate(self) -> None:
        """Password mode: get a session token. OAuth: a stored access token, refreshed if due.
        Token modes need no request."""
        if self._oauth is not None:
            await self._oauth.fresh()
            return
        if not self._creds.needs_login:
            return
        async with self._auth_lock:
            body = await self._sender.send(
                "POST",
                self._creds.authorise_url,
                json=self._creds.authorise_body(),
                authenticated=False,
                shape=_has_response(str),
            )
            token = body.get("response")
            if not token:
                raise ApiError(SERVICE, 200, "the authorise answer carried no token")
            self._creds.set_token(token)

    async def refresh_access(self) -> datetime | None:
        """OAuth: the access token, refreshed first only when it is due (stored before it is
        used), and when it expires (UTC). None in the other modes, which have nothing to refresh.
        Checks call this often (doctor, Test connection): a refresh on each would wear the grant."""
        if self._oauth is None:
            return None
        tokens = await self._oauth.fresh()
        return datetime.fromtimestamp(tokens.expires_at, UTC)

    async def _ensure_token(self) -> None:
        """Log in unless a concurrent request already did while we waited for the lock."""
        if self._auth_lock.locked():
            async with self._auth_lock:
                pass
        if not self._creds.has_token:
            await self.authenticate()

    # ------------------------------------------------------------------ transport

    async def _request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        shape: Shape = is_json_object,
    ) -> Any:
        """One logical request; the decoded, validated JSON body. Reads and PUTs are retried;
        POSTs are not (the callers re-read to learn whether a lost attempt took effect)."""
        if not url.startswith(("http://", "https://")):
            url = self._base + url
        return await self._sender.send(
            method,
            url,
            params=params,
            json=json,
            headers=headers,
            retry=method in ("GET", "PUT", "HEAD", "OPTIONS"),
            shape=shape,
        )

    async def _get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        empty_on_404: bool = False,
        shape: Shape | None = None,
    ) -> Any:
        """A GET answering ``{"response": [...] or {...}}``; None when ``empty_on_404`` and
        Brightpearl itself says none of the ids exist (:func:`is_not_found`). Any other 404 (a
        gateway's HTML page, an empty or unknown body) is an error, never "none exist"."""
        try:
            return await self._request("GET", path, params=params, shape=shape or _RESPONSE_ITEMS)
        except ApiError as exc:
            if empty_on_404 and is_not_found(exc):
                return None
            if _is_foreign_404(exc):
                raise _foreign_404(exc, path) from exc
            raise

    async def _search(self, path: str, params: dict[str, Any]) -> list[SearchRow]:
        """All pages of a search, each row zipped with ``metaData.columns``."""
        rows: list[SearchRow] = []
        first = 1
        while True:
            body = await self._get(
                path,
                {**params, "pageSize": SEARCH_PAGE_SIZE, "firstResult": first},
                shape=_search_shape,
            )
            response = body["response"]
            meta = response["metaData"]
            names = [c.get("name") for c in meta.get("columns") or []]
            results = response.get("results") or []
            for values in results:
                rows.append(
                    {n: v for n, v in zip(names, values, strict=False) if n}
                )  # (as many as both)
            if not meta.get("morePagesAvailable") or not results:
                return rows
            last = as_int(meta.get("lastResult"))
            first = (last if last is not None else first + len(results) - 1) + 1

    # ------------------------------------------------------------------ goods-out notes

    async def search_goods_out(
        self,
        *,
        import_when: str | None = None,
        shipped: bool | None = None,
        warehouse_id: int | None = None,
        created_after: datetime | None = None,
        order_ids: Iterable[int] | None = None,
    ) -> list[GoodsOutSearchRow]:
        params: dict[str, Any] = {"sort": "goodsOutNoteId|ASC"}
        if import_when is not None:
            if import_when not in ("printed", "picked", "packed"):
                raise ValueError(
                    f"import_when must be printed, picked or packed, not {import_when!r}"
                )
            params[import_when] = "true"
        if shipped is not None:
            params["shipped"] = "true" if shipped else "false"
        if warehouse_id is not None:
            params["warehouseId"] = str(warehouse_id)
        if created_after is not None:
            params["createdOn"] = _period_start(created_after)
        if order_ids is not None:
            ids = list(order_ids)
            if not ids:
                return []
            out: list[GoodsOutSearchRow] = []
            for chunk in chunks(ids, ORDER_IDS_PER_CALL):
                params["orderId"] = format_idset(chunk)
                out.extend(
                    GoodsOutSearchRow.from_api(r) for r in await self._search(_GON_SEARCH, params)
                )
            return out
        return [GoodsOutSearchRow.from_api(r) for r in await self._search(_GON_SEARCH, params)]

    async def search_updated_orders(self, updated_after: datetime) -> list[int]:
        """Ids of orders changed since ``updated_after`` (order-search on updatedOn, paged)."""
        params: dict[str, Any] = {
            "updatedOn": _period_start(updated_after),
            "columns": "orderId",
            "sort": "orderId|ASC",
        }
        rows = await self._search("/order-service/order-search", params)
        return [int(r["orderId"]) for r in rows if r.get("orderId") is not None]

    async def get_goods_out_notes(self, ids: Iterable[int]) -> dict[int, GoodsOutNote]:
        out: dict[int, GoodsOutNote] = {}
        for chunk in chunks(ids, GON_IDS_PER_CALL):
            path = f"/warehouse-service/order/*/goods-note/goods-out/{format_idset(chunk)}"
            out.update(_gon_map(await self._get(path, empty_on_404=True)))
        return out

    async def goods_out_note_deleted(self, gon_id: int) -> bool | None:
        """Whether this one note is gone: True only when Brightpearl's own error body says so
        (:func:`is_not_found`); False when it answers the note; None ("cannot tell") for any
        other answer: a 404 of a gateway or proxy, an empty 404, a 200 without the note."""
        try:
            path = f"/warehouse-service/order/*/goods-note/goods-out/{int(gon_id)}"
            body = await self._request("GET", path, shape=_RESPONSE_ITEMS)
        except ApiError as exc:
            if is_not_found(exc):
                return True
            if _is_foreign_404(exc):
                return None
            raise
        return False if int(gon_id) in _gon_map(body) else None

    async def get_goods_out_notes_for_orders(
        self, order_ids: Iterable[int]
    ) -> dict[int, GoodsOutNote]:
        out: dict[int, GoodsOutNote] = {}
        for chunk in chunks(order_ids, ORDER_IDS_PER_CALL):
            path = f"/warehouse-service/order/{format_idset(chunk)}/goods-note/goods-out/"
            out.update(_gon_map(await self._get(path, empty_on_404=True)))
        return out

    async def set_shipping_reference(self, gon_id: int, reference: str) -> None:
        if len(reference) > REFERENCE_MAX:
            raise ValueError(
                "a shipping reference holds at most "
                f"{REFERENCE_MAX} characters, got {len(reference)}"
            )
        await self._request(
            "PUT",
            f"/warehouse-service/goods-note/goods-out/{gon_id}",
            json={"shipping": {"reference": reference}},
        )

    async def post_shipped_event(
        self, gon_id: int, *, occurred: datetime, owner_id: int, last_event_version: int | None
    ) -> None:
        """Mark a GON shipped. A lost answer is resolved by re-reading the GON, never a blind
        re-post."""
        body = {
            "events": [{"eventCode": "SHW", "occured": utc_iso(occurred), "eventOwnerId": owner_id}]
        }
        headers = {} if last_event_version is None else {"If-Match": str(last_event_version)}
        path = f"/warehouse-service/goods-note/goods-out/{gon_id}/event"
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._request("POST", path, json=body, headers=headers, shape=_empty_object)
                return
            except ApiUnavailable:
                gon = (await self.get_goods_out_notes([gon_id])).get(gon_id)
                if gon is not None and gon.shipped:
                    return
                if attempt >= self._backoff.attempts:
                    raise
                await self._sleep(self._backoff.delay(attempt))
            except ApiError as exc:
                if exc.status != 409:
                    raise
                already = "shipped" in exc.message.lower()
                if not already:
                    gon = (await self.get_goods_out_notes([gon_id])).get(gon_id)
                    already = gon is not None and gon.shipped
                raise GonConflict(
                    exc.status, exc.message, code=exc.code, already_shipped=already
                ) from None

    # ------------------------------------------------------------------ orders

    async def get_orders(self, ids: Iterable[int]) -> dict[int, Order]:
        return await self._get_by_idset(
            "/order-service/order", ids, ORDER_IDS_PER_CALL, Order.from_api
        )

    async def _get_by_idset(
        self, path: str, ids: Iterable[int], per_call: int, parse: Callable[[dict[str, Any]], Any]
    ) -> dict[int, Any]:
        """GET ``{path}/{idset}`` in chunks of ``per_call`` ids; answers keyed by their ``id``.
        Ids the API does not know are simply absent (it answers 200 [] or 404 for them)."""
        out: dict[int, Any] = {}
        for chunk in chunks(ids, per_call):
            body = await self._get(f"{path}/{format_idset(chunk)}", empty_on_404=True)
            for item in _response_list(body):
                parsed = parse(item)
                out[parsed.id] = parsed
        return out

    async def set_order_status(self, order_id: int, status_id: int) -> None:
        """Set the order's status (Brightpearl adds an order note for each change, so a lost or
        unusable answer is settled by reading the order back, never by a blind second PUT)."""
        path = f"/order-service/order/{order_id}/status"
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._sender.send(
                    "PUT",
                    self._base + path,
                    json={"orderStatusId": status_id},
                    retry=False,
                    shape=_empty_object,
                )
                return
            except ApiUnavailable:
                order = (await self.get_orders([order_id])).get(order_id)
                if order is not None and order.status_id == status_id:
                    return
                if attempt >= self._backoff.attempts:
                    raise
                await self._sleep(self._backoff.delay(attempt))

    async def add_order_note(self, order_id: int, text: str, *, is_public: bool = False) -> int:
        """Post a note; a lost answer is resolved by reading the notes back (never two notes)."""
        path = f"/order-service/order/{order_id}/note"
        attempt = 0
        while True:
            attempt += 1
            try:
                # Documented: {"response": <new note id>}. Anything else ({"response": "ok"}, {},
                # the body echoed) is unusable: the POST is not retried, the notes are read back
                # below.
                body = await self._request(
                    "POST", path, json={"text": text, "isPublic": is_public}, shape=_new_id
                )
                return int(body["response"])
            except ApiUnavailable:
                for note in await self.get_order_notes(order_id):
                    if note.text == text:
                        return note.id
                if attempt >= self._backoff.attempts:
                    raise
                await self._sleep(self._backoff.delay(attempt))

    async def get_order_notes(self, order_id: int) -> list[OrderNote]:
        body = await self._get(f"/order-service/order/{order_id}/note", empty_on_404=True)
        return [OrderNote.from_api(n) for n in _response_list(body)]

    async def search_order_notes(self, order_ids: Iterable[int]) -> dict[int, list[OrderNote]]:
        out: dict[int, list[OrderNote]] = {}
        for chunk in chunks(order_ids, ORDER_IDS_PER_CALL):
            params = {"orderId": format_idset(chunk), "sort": "noteId|ASC"}
            for row in await self._search("/order-service/order-note-search", params):
                order_id = as_int(row.get("orderId"))
                if order_id is not None:
                    out.setdefault(order_id, []).append(OrderNote.from_api(row))
        return out

    # ------------------------------------------------------------------ products and lookups

    async def get_products(self, ids: Iterable[int]) -> dict[int, Product]:
        return await self._get_by_idset(
            "/product-service/product", ids, PRODUCT_IDS_PER_CALL, Product.from_api
        )

    async def list_channels(self) -> list[Channel]:
        return [
            Channel.from_api(i) for i in _response_list(await self._get("/product-service/channel"))
        ]

    async def list_warehouses(self) -> list[Warehouse]:
        return [
            Warehouse.from_api(i)
            for i in _response_list(await self._get("/warehouse-service/warehouse"))
        ]

    async def list_shipping_methods(self) -> list[ShippingMethod]:
        body = await self._get("/warehouse-service/shipping-method")
        return [ShippingMethod.from_api(i) for i in _response_list(body)]

    async def list_order_statuses(self) -> list[OrderStatus]:
        return [
            OrderStatus.from_api(i)
            for i in _response_list(await self._get("/order-service/order-status"))
        ]

    async def list_staff(self) -> list[StaffContact]:
        """The account's staff (``GET /contact-service/contact-search?isStaff=true``, every page,
        the columns setup shows), in contact id order: the candidates for ``staff_contact_id``."""
        params = {"isStaff": "true", "columns": ",".join(STAFF_COLUMNS), "sort": "contactId|ASC"}
        rows = await self._search("/contact-service/contact-search", params)
        return [c for c in (StaffContact.from_search_row(r) for r in rows) if c.id]


_GON_SEARCH = "/warehouse-service/goods-note/goods-out-search"
STAFF_COLUMNS = ("contactId", "firstName", "lastName", "primaryEmail")


def _header_wait(response: httpx.Response, name: str, scale: float) -> float | None:
    """A wait header in seconds, at most Brightpearl's window (60 s); None when unusable."""
    raw = response.headers.get(name)
    wait = bounds.seconds(raw, scale=scale)
    return None if wait is None else bounds.clamp_wait(wait, bounds.WINDOW_MAX_S, name, raw)


def _is_throttled(status: int, message: str) -> bool:
    return status == 429 or (status == 503 and is_throttled_text(message))


def _has_response(*types: type) -> Shape:
    """The shape ``{"response": <one of types>}``."""

    def check(body: Any) -> str | None:
        if not isinstance(body, dict) or "response" not in body:
            return "has no response"
        value = body["response"]
        if not isinstance(value, types) or isinstance(value, bool):
            return f"has a response of the wrong type ({type(value).__name__})"
        return None

    return check


_RESPONSE_ITEMS = _has_response(list, dict)


def _new_id(body: Any) -> str | None:
    """What a create answers: ``{"response": <id>}``, the id a positive integer."""
    value = body.get("response") if isinstance(body, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return 'is not a new id ({"response": <id>})'
    return None


def _empty_object(body: Any) -> str | None:
    """What a PUT or an event POST answers: ``{}``."""
    return None if body == {} else "is not the empty object {} that this write answers"


def is_not_found(exc: ApiError) -> bool:
    """Brightpearl's own "none of these exist": a 404 with its JSON error envelope and the code
    CMNC-404 (the only code it gives a read of missing ids)."""
    return exc.status == 404 and exc.code == NOT_FOUND_CODE


def _is_foreign_404(exc: ApiError) -> bool:
    return exc.status == 404 and exc.code != NOT_FOUND_CODE


def _foreign_404(exc: ApiError, path: str) -> ApiError:
    where = path.split("?", 1)[0]
    return ApiError(
        SERVICE,
        404,
        f"GET {where} answered 404 without Brightpearl's error body "
        "(a gateway or proxy in between?): nothing is concluded from it",
        hint="check brightpearl.integration_url and any proxy between bp-tui and Brightpearl",
    )


def _search_shape(body: Any) -> str | None:
    """``{"response": {"results": [...], "metaData": {...}}}``: anything else is not "no
    results"."""
    problem = _has_response(dict)(body)
    if problem:
        return problem
    response = body["response"]
    if not isinstance(response.get("results"), list) or not isinstance(
        response.get("metaData"), dict
    ):
        return "is not a search result (results and metaData missing)"
    return None


def _response_list(body: Any) -> list[dict[str, Any]]:
    items = body.get("response") if isinstance(body, dict) else None
    if isinstance(items, dict):  # a map keyed by id
        items = list(items.values())
    return [i for i in items or [] if isinstance(i, dict)]


def _gon_map(body: Any) -> dict[int, GoodsOutNote]:
    response = body.get("response") if isinstance(body, dict) else None
    out: dict[int, GoodsOutNote] = {}
    if isinstance(response, dict):
        for key, value in response.items():
            if isinstance(value, dict) and as_int(key) is not None:
                gon = GoodsOutNote.from_api(key, value)
                out[gon.id] = gon
    return out


def _period_start(moment: datetime) -> str:
    """PERIOD filter ``from/`` (open end), in UTC with an explicit ``Z``: Brightpearl reads a
    time without an offset in the account's own time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "/"
