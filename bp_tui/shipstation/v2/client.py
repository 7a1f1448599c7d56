"""Async client of the ShipStation API V2: the same ``ShipStationPort`` as the V1 client.

``create_orders`` sends new drafts with ``POST /v2/shipments`` (<= 100 per call,
``create_sales_order: true``) and looks nothing up first: the engine sends only notes the
platform does not hold (it learns which from the changed-shipments read it makes each cycle).
A create refused because the key is taken (a lost answer, another process) is resolved by
reading that key. ``update_orders`` PUTs the whole shipment the engine just read, with only
bp-tui's fields changed; ``cancel_orders`` is ``PUT /v2/shipments/{id}/cancel``. Labels come
from ``GET /v2/labels``, marked-shipped records from ``GET /v2/fulfillments``.

Requests pass a client-side limiter below V2's 200/min, shared by every process on the key
(``limiter``), and wait out a 429's ``Retry-After``. Ids: ``se-<n>`` is carried as ``n``, the
V1 id of the same record (``ids``). What V2 lacks (stores, order date, ...) is said, not faked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
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
    is_json_object,
    page_of,
)
from bp_tui.config.model import ShipStationSettings
from bp_tui.core.shipping import OrderDraft, SendResult
from bp_tui.errors import ApiAuthError, ApiError, ApiProblem, ApiThrottled, ApiUnavailable
from bp_tui.shipstation.api_errors import SERVICE
from bp_tui.shipstation.dates import pacific_day
from bp_tui.shipstation.models import Fulfillment, Order, OrderUpdate, Shipment, Store
from bp_tui.shipstation.v2 import errors, translate
from bp_tui.shipstation.v2.cache import IdCache, cache_path
from bp_tui.shipstation.v2.ids import numeric_part
from bp_tui.shipstation.v2.limiter import CLIENT_LIMIT, WINDOW_S, SharedWindowGate, limiter_path
from bp_tui.state.profiles import shared_data_dir

MAX_BATCH = 100
MAX_PAGE_SIZE = 500
BATCH_READ_MIN = (
    10  # up to this many shipments to read, a GET each is as cheap as listing the pending ones
)
MAX_PAGES = 10_000
MAX_THROTTLES = 5
DEFAULT_RETRY_AFTER_S = WINDOW_S  # a 429 without Retry-After: wait the whole window
WAREHOUSE_FACT = "default_warehouse_id"
NO_RESULT = "ShipStation returned no result for this shipment"
NO_TRACKING = (
    "ShipStation V2 marks a shipment shipped only with a tracking number, and this one has none "
    "(V1 allowed it; V2's POST /v2/fulfillments requires tracking_number)"
)
NO_TRACKING_HINT = (
    "nothing was sent: add the tracking number in Brightpearl and mark the note shipped "
    "in ShipStation by hand, or print the label in ShipStation"
)
V1_ONLY = (
    'ShipStation API V2 has no stores endpoint: {what} works with api_version = "v1" only '
    "(stores and their branding are managed in the ShipStation web app)"
)


class V1OnlyError(ApiError):
    """A call the V1 API has and V2 does not (stores): nothing was sent."""

    def __init__(self, what: str) -> None:
        super().__init__(
            SERVICE,
            0,
            V1_ONLY.format(what=what),
            code="v1_only",
            hint="setup and doctor skip the store list on V2; set store_id by hand if needed",
        )


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds, at most 5 minutes: a number, or an HTTP date; None when absent
    or unreadable (negative, NaN, junk)."""
    raw = response.headers.get("retry-after")
    value = (raw or "").strip()
    if not value:
        return None
    seconds = bounds.seconds(value)
    if seconds is None:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if moment is None:
            return None
        now = datetime.now(moment.tzinfo)
        seconds = max(0.0, (moment - now).total_seconds())
    return bounds.clamp_wait(seconds, bounds.RETRY_AFTER_MAX_S, "Retry-After", raw)


class _Vanished(Exception):
    """The shipment an update names answers 404."""

    def __init__(self, shipment_id: str) -> None:
        super().__init__(shipment_id)
        self.shipment_id = shipment_id


class _Policy:
    """How V2 authenticates, paces and words its errors (for the shared Sender)."""

    service = SERVICE
    name = "ShipStation"
    max_throttles = MAX_THROTTLES

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.last_request_id: str | None = None

    async def headers(self, authenticated: bool) -> dict[str, str]:
        return {"api-key": self.api_key}

    def observe(self, response: httpx.Response) -> None:
        self.last_request_id = (
            response.headers.get("x-shipengine-requestid") or self.last_request_id
        )

    def throttle_wait(self, status: int, body: Any, response: httpx.Response) -> float | None:
        if not errors.is_throttled(status, body):
            return None
        wait = retry_after(response)
        return DEFAULT_RETRY_AFTER_S if wait is None else wait

    def throttled(self, status: int, body: Any) -> ApiThrottled:
        return ApiThrottled(
            SERVICE,
            status,
            "Too Many Requests",
            hint="still throttled after waiting as told "
            "(Retry-After); is the V2 key used elsewhere?",
        )

    def reauthenticate(self, status: int, body: Any) -> bool:
        return False

    def error(self, status: int, body: Any, method: str, url: str) -> ApiProblem:
        return errors.error_for(
            status, body, path=f"{method} /{url.lstrip('/')}", secrets=(self.api_key,)
        )

    def retry_server_error(self, status: int, body: Any) -> bool:
        return True

    def unreachable_hint(self, method: str, url: str) -> str:
        return (
            f"{method} /{url.lstrip('/')} failed; check the network and "
            "shipstation.base_url (V2: api.shipstation.com)"
        )


@dataclass
class _Job:
    """One order of a create, update or cancel call on its way to a result."""

    key: str
    number: str
    draft: OrderDraft | None = None
    current: Order | None = None  # the order as the engine read it (updates, cancels)
    result: SendResult | None = None


class ShipStationV2Client(SenderClient):
    """ShipStation V2 over ``httpx.AsyncClient``; one instance per key and process.

    ``state_path``: the state file; the id cache lives beside it and the shared limiter's file
    in its folder (the data directory). Without it both are kept in memory.
    ``void_lookback_days``: how old a label may be for its void to be looked for (V2 has no
    void-date filter; the service passes ``sync.lookback_days``)."""

    def __init__(
        self,
        settings: ShipStationSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        backoff: Backoff | None = None,
        gate: RateGate | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        state_path: Path | None = None,
        limit: int = CLIENT_LIMIT,
        window_s: float = WINDOW_S,
        void_lookback_days: int = 30,
    ) -> None:
        self._base_url = settings.api_base.rstrip("/") + "/"
        self.void_lookback_days = (
            void_lookback_days  # sync.lookback_days: how far back voids are looked for
        )
        self._api_key = settings.api_key
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self.gate = gate or SharedWindowGate(
            limiter_path(shared_data_dir(state_path), settings.api_key)
            if state_path is not None
            else None,
            limit=limit,
            window_s=window_s,
            sleep=sleep,
        )
        self.ids = IdCache(cache_path(state_path) if state_path is not None else None)
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json"},
        )
        self._policy = _Policy(settings.api_key)
        self._sender = Sender(
            self._policy,
            self._http,
            gate=self.gate,
            backoff=self.backoff,
            sleep=sleep,
            secrets=lambda: (settings.api_key,),
        )

    def __repr__(self) -> str:
        return f"ShipStationV2Client(base_url={self._base_url!r})"

    async def aclose(self) -> None:
        await super().aclose()
        self.ids.close()

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
        no_content: bool = False,
    ) -> Any:
        query = {
            k: (
                "true"
                if v is True
                else "false"
                if v is False
                else translate.to_filter(v)
                if isinstance(v, datetime)
                else str(v)
            )
            for k, v in (params or {}).items()
            if v is not None
        }
        return await self._sender.send(
            method, path, params=query, json=json, retry=retry, shape=shape, no_content=no_content
        )

    async def _paged(
        self, path: str, key: str, params: dict[str, Any], page_size: int
    ) -> list[dict[str, Any]]:
        """Every item of a V2 list (``{key: [...], total, page, pages, links}``)."""
        size = max(1, min(MAX_PAGE_SIZE, int(page_size)))
        items: list[dict[str, Any]] = []
        page = 1
        while page <= MAX_PAGES:
            body = await self._request(
                "GET", path, params={**params, "page": page, "page_size": size}, shape=page_of(key)
            )
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

    def _carried(self, v2_id: str) -> int:
        return self.ids.carried(v2_id)

    def _v2_id(self, carried: int) -> str:
        """The V2 id of a stored id; one that names no shipment is an error of the call (nothing
        sent)."""
        try:
            return self.ids.v2_of(int(carried))
        except (KeyError, ValueError) as exc:
            raise ApiError(
                SERVICE,
                0,
                f"no ShipStation V2 id for {carried!r}",
                code="no_id",
                hint=str(exc.args[0]) if exc.args else None,
            ) from None

    # ---- import ---------------------------------------------------------------------------

    async def create_orders(self, drafts: Sequence[OrderDraft]) -> list[SendResult]:
        """New shipments, 100 per ``POST``, no look-up first; one result per draft, in order.

        A key that is taken already (an answer lost earlier, another process) is read and
        adopted, or updated when still pending; a refusal of one draft fails that draft alone."""
        jobs = _jobs([(d.key, d.number, d, None) for d in drafts])
        creates: list[_Job] = []
        for job in jobs:
            assert job.draft is not None
            region = translate.missing_region(job.draft)
            if len(job.key) > translate.MAX_ID_LENGTH:
                job.result = self._failed(
                    job,
                    f"orderKey {job.key[:20]}... is longer than V2's "
                    f"{translate.MAX_ID_LENGTH} characters (V2 would cut it)",
                )
            elif region is not None:
                job.result = self._failed(job, region)  # refused alone, before anything is sent
            else:
                creates.append(job)
        for start in range(0, len(creates), MAX_BATCH):
            await self._create_batch(creates[start : start + MAX_BATCH])
        return [job.result or self._failed(job, NO_RESULT) for job in jobs]

    async def update_orders(self, updates: Sequence[OrderUpdate]) -> list[SendResult]:
        """Each shipment as the engine read it, PUT back with bp-tui's fields changed (only when
        they would change, and only while pending)."""
        jobs = _jobs([(u.draft.key, u.draft.number, u.draft, u.order) for u in updates])
        for job in jobs:
            assert job.current is not None and job.draft is not None
            region = translate.missing_region(job.draft)
            if region is not None:
                job.result = self._failed(job, region)
                continue
            try:
                current = job.current.raw if job.current.raw.get("shipment_id") else None
                if current is None:  # read slim (a changed-shipments page): read it whole
                    current = await self._shipment(self._v2_id(job.current.order_id))
            except ApiError as exc:
                if exc.code != "no_id":
                    raise
                job.result = self._failed(
                    job, exc.message
                )  # its stored id names no shipment: this order only
                continue
            if current is None:
                job.result = self._failed(
                    job,
                    f"shipment se-{job.current.order_id} no longer exists in "
                    "ShipStation (merged into another order, or deleted): "
                    "not created again",
                )
                continue
            job.result = await self._update(job, current, adopt=False)
        return [job.result or self._failed(job, NO_RESULT) for job in jobs]

    async def cancel_orders(self, orders: Sequence[Order]) -> list[SendResult]:
        """``PUT /v2/shipments/{id}/cancel`` each (V2 cancels one at a time)."""
        jobs = _jobs([(o.order_key, o.order_number, None, o) for o in orders])
        for job in jobs:
            try:
                job.result = await self._cancel(job)
            except ApiError as exc:
                if exc.code != "no_id":
                    raise
                job.result = self._failed(job, exc.message)
        return [job.result or self._failed(job, NO_RESULT) for job in jobs]

    def _failed(self, job: _Job, message: str) -> SendResult:
        return SendResult(job.key, None, job.number, False, message)

    def _ok(self, job: _Job, shipment_id: str, number: Any = None) -> SendResult:
        return SendResult(job.key, self._carried(shipment_id), str(number or job.number), True)

    async def _shipment(self, shipment_id: str) -> dict[str, Any] | None:
        """GET one shipment; None when it is gone (404)."""
        try:
            found: dict[str, Any] = await self._request(
                "GET", f"v2/shipments/{shipment_id}", shape=has_key("shipment_id")
            )
            return found
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    async def _lookup(self, key: str) -> list[dict[str, Any]]:
        """Every shipment with ``external_shipment_id`` = key (the parts of a split share it)."""
        found = await self._paged(
            "v2/shipments", "shipments", {"external_shipment_id": key}, MAX_PAGE_SIZE
        )
        return sorted(
            (s for s in found if s.get("external_shipment_id") == key and s.get("shipment_id")),
            key=lambda s: (numeric_part(str(s["shipment_id"])) or 0, str(s["shipment_id"])),
        )

    async def _taken(self, job: _Job) -> SendResult:
        """A create refused because the key is taken: the shipment under it, adopted (updated
        while pending); one cancelled under the key cannot be created again."""
        found = await self._lookup(job.key)
        if not found:
            return self._failed(job, "ShipStation says the key is taken, but no shipment has it")
        live = [s for s in found if s.get("shipment_status") != "cancelled"] or found
        chosen = live[0]
        self.ids.remember(job.key, str(chosen["shipment_id"]))
        return await self._update(job, chosen, adopt=True)

    async def _update(self, job: _Job, current: dict[str, Any], *, adopt: bool) -> SendResult:
        """Bring an existing shipment in line with the draft (PUT only if bp-tui's fields differ).
        ``adopt``: the note's own shipment found under its key (not yet known by id): one past
        pending is taken as it is."""
        assert job.draft is not None
        sid = str(current["shipment_id"])
        status = str(current.get("shipment_status") or "")
        if status == "cancelled":
            return self._failed(
                job,
                f"shipment {sid} with this key was cancelled in ShipStation; V2 does not "
                "re-create a shipment under a cancelled external_shipment_id",
            )
        if status != "pending":
            if adopt:
                return self._ok(
                    job, sid, current.get("shipment_number")
                )  # ours, already past pending: adopt it
            return self._failed(
                job, f"shipment {sid} is {status} in ShipStation; V2 updates pending shipments only"
            )
        body = translate.updated_shipment(current, job.draft)
        if translate.owned(body) == translate.owned(current):
            return self._ok(job, sid, current.get("shipment_number"))
        try:
            answer = await self._request("PUT", f"v2/shipments/{sid}", json=body)
        except ApiError as exc:
            if exc.status >= 500:
                raise
            if exc.status == 404:  # merged away or deleted since it was read: never created again
                return self._failed(
                    job,
                    f"shipment {sid} no longer exists in ShipStation (merged into another "
                    "order, or deleted): not created again",
                )
            return self._failed(job, exc.message or str(exc))
        return self._ok(
            job, sid, answer.get("shipment_number") if isinstance(answer, dict) else None
        )

    async def _warehouse(self) -> str | None:
        """The account's default warehouse (V2 wants a ship-from on every shipment); read once
        and kept in the id cache. None when the account lists none."""
        known = self.ids.fact(WAREHOUSE_FACT)
        if known is not None:
            return known or None
        try:
            body = await self._request("GET", "v2/warehouses", shape=has_list("warehouses"))
        except ApiAuthError as exc:
            if exc.status != 403:  # the key refused: the cycle stops
                raise
            return None  # 403: not readable on this plan: let ShipStation apply its own default
        except ApiError:
            return None
        found = [w for w in body["warehouses"] if isinstance(w, dict) and w.get("warehouse_id")]
        chosen = next((w for w in found if w.get("is_default")), found[0] if found else None)
        value = str(chosen["warehouse_id"]) if chosen else ""
        self.ids.set_fact(WAREHOUSE_FACT, value)
        return value or None

    async def _create_batch(self, batch: list[_Job]) -> None:
        warehouse = await self._warehouse()
        payload = {
            "shipments": [
                translate.new_shipment(job.draft, warehouse_id=warehouse)
                for job in batch
                if job.draft is not None
            ]
        }
        try:
            body = await self._request(
                "POST", "v2/shipments", json=payload, shape=has_list("shipments")
            )
        except ApiError as exc:
            if exc.status != 400:
                raise
            for job in batch:
                job.result = self._failed(job, exc.message or str(exc))
            return
        answers = {
            str(a.get("external_shipment_id")): a for a in body["shipments"] if isinstance(a, dict)
        }
        self.ids.remember_many(
            [
                (job.key, str(answers[job.key]["shipment_id"]))
                for job in batch
                if job.key in answers
                and answers[job.key].get("shipment_id")
                and not answers[job.key].get("errors")
            ]
        )
        for job in batch:
            answer = answers.get(job.key)
            if answer is None:
                continue
            problems = answer.get("errors")
            if answer.get("shipment_id") and not problems:
                job.result = (
                    await self._settled(job, answer)
                    if _not_kept(answer, job.draft)
                    else self._ok(job, str(answer["shipment_id"]), answer.get("shipment_number"))
                )
            elif errors.is_conflict(problems):
                job.result = await self._taken(
                    job
                )  # created meanwhile (a lost answer, another process)
            else:
                job.result = self._failed(job, errors.item_errors(problems) or NO_RESULT)

    async def _settled(self, job: _Job, answer: dict[str, Any]) -> SendResult:
        """A created shipment whose answer shows the number or the custom field not kept (the
        create schema lacks both): set them the documented way, with a PUT of the shipment (read
        first when the answer is not the whole shipment)."""
        current = answer if answer.get("ship_to") and answer.get("items") is not None else None
        if current is None:
            current = await self._shipment(str(answer["shipment_id"]))
            if current is None:
                return self._failed(
                    job, f"shipment {answer['shipment_id']} was created but cannot be read back"
                )
        return await self._update(job, current, adopt=True)

    async def _cancel(self, job: _Job) -> SendResult:
        """``PUT /v2/shipments/{id}/cancel`` (204). Refused (a live label, already cancelled):
        re-read; a shipment that is cancelled now counts as done."""
        assert job.current is not None
        sid = self._v2_id(job.current.order_id)
        try:
            await self._request(
                "PUT", f"v2/shipments/{sid}/cancel", json={}, no_content=True, shape=_no_body
            )
        except ApiError as exc:
            current = await self._shipment(sid)
            if current is None or current.get("shipment_status") != "cancelled":
                return self._failed(job, exc.message or str(exc))
        return self._ok(job, sid)

    async def find_orders_by_number(
        self, order_number: str, *, store_id: int | None = None
    ) -> list[Order]:
        """Shipments whose ``shipment_number`` is exactly ``order_number``."""
        params: dict[str, Any] = {"shipment_number": order_number}
        if store_id:
            params["store_id"] = self._v2_id(store_id)
        found = await self._paged("v2/shipments", "shipments", params, MAX_PAGE_SIZE)
        return [
            translate.order_of(s, self._carried)
            for s in found
            if s.get("shipment_id") and s.get("shipment_number") == order_number
        ]

    async def find_orders_by_key(
        self, order_key: str, *, number_prefix: str, store_id: int | None = None
    ) -> list[Order]:
        """The shipments with this ``external_shipment_id`` (a split's parts share it); V2 filters
        by it, so neither ``number_prefix`` nor ``store_id`` (the key names our account) is
        needed."""
        return [translate.order_of(s, self._carried) for s in await self._lookup(order_key)]

    async def get_open_orders(
        self, order_ids: Sequence[int], *, store_id: int | None = None
    ) -> dict[int, Order]:
        """The pending shipments among ``order_ids``, whole, read a page of 500 at a time
        (``shipment_status=pending``) when that costs fewer calls than a GET each (the first page
        tells how many follow). Ids not returned are not pending, gone or not worth the pages:
        the caller reads those one by one."""
        wanted = {int(i) for i in order_ids}
        if len(wanted) <= BATCH_READ_MIN:
            return {}
        found: dict[int, Order] = {}
        params: dict[str, Any] = {
            "shipment_status": "pending",
            "sort_by": "created_at",
            "sort_dir": "asc",
            "page_size": MAX_PAGE_SIZE,
        }
        if store_id:
            params["store_id"] = self._v2_id(store_id)
        page, pages = 1, 1
        while page <= min(pages, MAX_PAGES):
            body = await self._request(
                "GET", "v2/shipments", params={**params, "page": page}, shape=page_of("shipments")
            )
            for item in body.get("shipments") or []:
                if isinstance(item, dict) and item.get("shipment_id"):
                    order = translate.order_of(item, self._carried)
                    if order.order_id in wanted:
                        found[order.order_id] = order
            pages = _page_count(body.get("pages"))
            if page == 1 and pages - 1 >= len(wanted - set(found)):
                return found  # the rest cost fewer calls one by one
            page += 1
        return found

    async def get_order(self, order_id: int) -> Order:
        sid = self._v2_id(order_id)
        body = await self._request("GET", f"v2/shipments/{sid}", shape=has_key("shipment_id"))
        return translate.order_of(body, self._carried)

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
        """``POST /v2/fulfillments`` for one shipment. Never sent twice blind: after a lost answer
        the shipment is re-read, and only one still pending gets the request again. Without a
        tracking number (or carrier) nothing is sent: V2 requires both, so an ApiError
        (``no_tracking`` / ``no_carrier``) says why and the engine holds the note for a person."""
        if not tracking_number.strip():  # the docs require one: nothing is sent without it
            raise ApiError(SERVICE, 0, NO_TRACKING, code="no_tracking", hint=NO_TRACKING_HINT)
        if not carrier_code.strip():
            raise ApiError(
                SERVICE,
                0,
                "ShipStation V2 marks a shipment shipped only with a carrier code; "
                "this label has none",
                code="no_carrier",
                hint="POST /v2/fulfillments requires carrier_code: nothing was sent",
            )
        sid = self._v2_id(order_id)
        body = {
            "fulfillments": [
                {
                    "shipment_id": sid,
                    "tracking_number": tracking_number.strip(),
                    "carrier_code": carrier_code,
                    "ship_date": pacific_day(shipped_at).isoformat(),
                    "notify_customer": notify_customer,
                    "notify_order_source": notify_sales_channel,
                }
            ]
        }
        for attempt in range(self.backoff.attempts):
            try:
                answer = await self._request(
                    "POST",
                    "v2/fulfillments",
                    json=body,
                    retry=False,
                    shape=has_list("fulfillments"),
                )
            except ApiUnavailable:
                if (await self.get_order(order_id)).order_status == "shipped":
                    return
                if attempt + 1 >= self.backoff.attempts:
                    raise
                await self._sleep(self.backoff.delay(attempt + 1))
                continue
            problems = [
                str(f.get("error_message"))
                for f in answer["fulfillments"]
                if isinstance(f, dict) and f.get("error_message")
            ]
            if problems or answer.get("has_errors"):
                raise ApiError(
                    SERVICE,
                    400,
                    "; ".join(problems) or "the fulfillment was refused",
                    hint="POST /v2/fulfillments answered has_errors for this shipment",
                )
            return

    # ---- confirm --------------------------------------------------------------------------

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
        """Labels (``GET /v2/labels``), voided ones and return labels included (flagged).

        V2 labels cannot be filtered by store and carry no items: ``store_id`` and
        ``include_items`` change nothing (labels are matched to notes by shipment id).

        V2 has no void-date filter. ``void_date_start`` reads the voided labels
        (``label_status=voided``) created in the ``void_lookback_days`` before it, which covers
        the notes confirmed in the last ``sync.lookback_days``, in one paged read; a label
        whose ``voided_at`` is before ``void_date_start`` is left out (one without it is kept:
        the engine keeps what it has already seen)."""
        if void_date_start is not None:
            params: dict[str, Any] = {
                "label_status": "voided",
                "sort_by": "created_at",
                "sort_dir": "asc",
                "created_at_start": void_date_start - timedelta(days=self.void_lookback_days),
            }
        else:
            params = {
                "created_at_start": create_date_start,
                "sort_by": "created_at",
                "sort_dir": "asc",
            }
        if order_id is not None:
            params["shipment_id"] = self._v2_id(order_id)
        labels = await self._paged("v2/labels", "labels", params, page_size)
        found = [
            translate.shipment_of(label, self._carried) for label in labels if label.get("label_id")
        ]
        if void_date_start is None:
            return found
        return [
            s for s in found if s.voided and (s.void_date is None or s.void_date >= void_date_start)
        ]

    async def list_modified_orders(
        self, *, modify_date_start: datetime, store_id: int | None = None, page_size: int = 500
    ) -> list[Order]:
        """Shipments changed since ``modify_date_start`` (``GET /v2/shipments?modified_at_start=``,
        oldest first), store-scoped when a store is set. V2 shows no parent or merged ids: a
        split part is a shipment with our ``external_shipment_id`` and a shipment id of its own
        (the engine's rule), and a merged-away shipment is one that vanished."""
        params: dict[str, Any] = {
            "modified_at_start": modify_date_start,
            "sort_by": "modified_at",
            "sort_dir": "asc",
        }
        if store_id:
            params["store_id"] = self._v2_id(store_id)
        found = await self._paged("v2/shipments", "shipments", params, page_size)
        orders = [translate.order_of(s, self._carried) for s in found if s.get("shipment_id")]
        for order in orders:
            order.raw = {}  # read every cycle over a day or more of shipments: kept slim, as V1's
        return orders

    async def list_fulfillments(
        self,
        *,
        create_date_start: datetime | None = None,
        order_id: int | None = None,
        page_size: int = 500,
    ) -> list[Fulfillment]:
        params: dict[str, Any] = {
            "create_date_start": create_date_start,
            "sort_by": "created_at",
            "sort_dir": "asc",
        }
        if order_id is not None:
            params["shipment_id"] = self._v2_id(order_id)
        records = await self._paged("v2/fulfillments", "fulfillments", params, page_size)
        return [
            translate.fulfillment_of(f, self._carried) for f in records if f.get("fulfillment_id")
        ]

    # ---- setup and troubleshooting ---------------------------------------------------------

    async def list_stores(self, *, show_inactive: bool = False) -> list[Store]:
        raise V1OnlyError("listing stores")

    async def get_store(self, store_id: int) -> Store:
        raise V1OnlyError("reading a store")

    async def update_store_branding(
        self,
        store_id: int,
        *,
        company_name: str | None = None,
        phone: str | None = None,
        public_email: str | None = None,
        website: str | None = None,
    ) -> Store:
        raise V1OnlyError("pushing store branding")


def _jobs(items: list[tuple[str, str, OrderDraft | None, Order | None]]) -> list[_Job]:
    """One job per order; a missing or repeated key is a programming error (nothing sent)."""
    jobs: list[_Job] = []
    keys: set[str] = set()
    for index, (key, number, draft, current) in enumerate(items):
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"order #{index} ({number!r}) has no key")
        if key in keys:
            raise ValueError(f"key {key!r} appears twice in one call")
        keys.add(key)
        jobs.append(_Job(key, str(number or ""), draft, current))
    return jobs


def _not_kept(answer: dict[str, Any], draft: OrderDraft | None) -> bool:
    """Whether a create answer lacks the draft's number or custom field (sent on create, which
    the create schema does not list: kept by ShipStation as integrations report, but checked)."""
    if draft is None:
        return False
    options = answer.get("advanced_options")
    if not isinstance(options, dict):
        options = {}
    return (
        str(answer.get("shipment_number") or "") != draft.number
        or str(options.get("custom_field1") or "") != draft.warehouse_ref
    )


def _page_count(value: Any) -> int:
    """A page's ``pages``, bounded (a missing or odd one: this page is the last)."""
    try:
        count = int(value)
    except (TypeError, ValueError, OverflowError):
        return 1
    return max(1, min(count, MAX_PAGES))


def _no_body(body: Any) -> str | None:
    """Only ``204 No Content`` is the documented success (the Sender lets it through)."""
    return "is not the 204 No Content this call answers"
