"""Seeded fault injection for both sandboxes: the network and the vendors misbehaving.

A :class:`Chaos` wraps a sandbox's ASGI app (outermost, so a dropped connection really is
one over HTTP) and, for a configurable share of requests, does one of :data:`KINDS`:

* ``error_before`` / ``error_after``: a 5xx instead of the work, or after the work was done
  (the nasty case: the write happened, the answer says it did not);
* ``drop_before`` / ``drop_after``: the connection closes without an answer;
* ``slow_before`` / ``slow_after``: the answer comes ``slow_s`` late (past the client timeout
  in tests); before = a cancelled request never reaches the API, after = it did;
* ``throttle``: the vendor's throttled answer with its headers; every request that arrives
  before the announced wait is over counts in ``violations``;
* ``malformed``: a 200 whose body is not JSON, after the work was done;
* ``null_items``: a list page whose items are null (listings only).

Those are the default :data:`KINDS`. What proxies and broken gateways answer, on any
endpoint of either API, is opt-in (:data:`GATEWAY_KINDS`; name them in ``FaultPlan.kinds``
or ``bp-tui sandbox serve --fault-kinds``):

* ``redirect``: a 302 to an https login page (``Location`` on a ``.invalid`` host), empty body;
* ``empty``: a 200 with an empty body;
* ``html``: a 200 ``text/html`` maintenance page;
* ``wrong_shape``: a 200 with valid JSON of the wrong shape for that endpoint (``{}``, ``[]``
  or ``{"response": "ok"}``, never one the endpoint could really answer);
* ``html_404``: an nginx-style HTML 404 page to a read of Brightpearl goods-out notes (the
  ``/order/*/goods-note/goods-out/{ids}`` id-set read and a single note's read; what some
  gateways and firewalls answer to a literal ``*``); other requests pass;
* ``ok_after_write``: the API did the write and a gateway answers ``200 {"response": "ok"}``.

Hostile answers, also opt-in (:data:`HOSTILE_KINDS`), test that every number and every
answer is bounded:

* ``hostile_throttle``: the throttled answer, every wait header holding ``hostile_value``;
* ``hostile_count``: the real answer, its request-count headers holding ``hostile_value``;
* ``hostile_window``: the real answer saying 0 requests left, its reset header ``hostile_value``;
* ``drip``: the real answer, its body sent one byte every ``drip_s`` (3 s);
* ``huge``: a 200 whose JSON body runs to ``huge_bytes`` (800 MB), streamed from one reused
  chunk without a Content-Length (nothing that big is ever held; over HTTP only: the in-process
  ``httpx.ASGITransport`` would gather the whole body).

A proxy that echoes the request back is opt-in too (:data:`ECHO_KINDS`): ``echo_ok`` a 200
``text/plain`` page, ``echo_4xx`` a 400 JSON error, ``echo_5xx`` a 502 HTML page, each quoting
every request header (the credentials too) after filler of a random length, so that a message
cut at a fixed length cuts a credential; what was echoed is kept in ``Chaos.echoed``.

The gateway answers before the API sees the request, so a write is not applied (chosen: a
proxy in front of the API). ``*_after_write`` (writes only) is the other case: the API did the
write and the gateway's answer replaced the API's.

In-process (``httpx.ASGITransport``) an exception raised by the app reaches the client, and
the transport ignores timeouts: :class:`DeadlineTransport` applies the client's read timeout.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KINDS = (
    "error_before",
    "error_after",
    "drop_before",
    "drop_after",
    "slow_before",
    "slow_after",
    "throttle",
    "malformed",
    "null_items",
)
GATEWAY_KINDS = (
    "redirect",
    "empty",
    "html",
    "wrong_shape",
    "html_404",
    "redirect_after_write",
    "empty_after_write",
    "html_after_write",
    "wrong_shape_after_write",
    "ok_after_write",
)
HOSTILE_KINDS = ("hostile_throttle", "hostile_count", "hostile_window", "drip", "huge")
ECHO_KINDS = ("echo_ok", "echo_4xx", "echo_5xx")
ALL_KINDS = KINDS + GATEWAY_KINDS + HOSTILE_KINDS + ECHO_KINDS
LISTING_ONLY = ("null_items",)
GON_READS_ONLY = ("html_404",)
WRITES_ONLY = tuple(k for k in GATEWAY_KINDS if k.endswith("_after_write"))
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# chosen: an SSO proxy's login page, on a host that never resolves (a client following it gets
# nowhere)
REDIRECT_TO = "https://gateway.sandbox.invalid/login"
MAINTENANCE_PAGE = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
    "<title>Down for maintenance</title></head>\n"
    "<body><h1>We&rsquo;ll be back soon</h1><p>The service is down for scheduled maintenance. "
    "Please try again later.</p></body></html>\n"
)
NGINX_404 = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def is_gon_read(method: str, path: str) -> bool:
    """A read of Brightpearl goods-out notes by id set (not the search)."""
    return (
        method == "GET"
        and "/goods-note/goods-out/" in path
        and not path.rstrip("/").endswith("-search")
    )


# Valid JSON that no endpoint answering that kind of body could send (chosen forms).
WRONG_SHAPES: dict[str, list[Any]] = {
    "object": [{}, [], {"response": "ok"}],  # endpoints answering a JSON object with content
    "list": [
        {},
        {"response": "ok"},
    ],  # endpoints answering a JSON array ([] would be a valid empty list)
    "empty": [
        []
    ],  # endpoints answering {} ({"response": ...} is Brightpearl's envelope: too close to valid)
    "token": [{}, []],  # Brightpearl authorise: {"response": "<token>"}
}


class DroppedConnection(httpx.ReadError):
    """The server closed the connection without a (complete) answer."""


@dataclass
class FaultPlan:
    """What to inject: ``rate`` of requests get one of ``kinds``, drawn from ``seed``."""

    rate: float = 0.2
    seed: int = 0
    kinds: tuple[str, ...] = KINDS
    slow_s: float = 0.5
    throttle_s: float = 0.05
    hostile_value: str = "1e9"  # what the hostile_* kinds put in the rate headers
    drip_s: float = 3.0
    huge_bytes: int = 800 * 1024 * 1024

    def __post_init__(self) -> None:
        unknown = [k for k in self.kinds if k not in ALL_KINDS]
        if unknown:
            raise ValueError(
                f"unknown fault kind(s): {', '.join(unknown)}; known: {', '.join(ALL_KINDS)}"
            )
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("fault rate must be between 0 and 1")


@dataclass
class Dialect:
    """How one vendor says "server error", "throttled", and which requests are list pages."""

    error_body: dict[str, Any] | None  # None: a 5xx with no body (ShipStation V2's documented 500)
    throttle_status: int
    throttle_body: dict[str, Any]
    throttle_headers: Callable[[float], dict[str, str]]
    list_key: Callable[[str, str], str | None]  # (method, path) -> key of the items list, or None
    answer_kind: Callable[
        [str, str], str
    ]  # (method, path) -> a key of WRONG_SHAPES: what a success looks like
    count_headers: tuple[str, ...] = ()  # requests left in the window
    wait_headers: tuple[
        str, ...
    ] = ()  # seconds (or ms) to wait: on a throttled answer, or to the reset


def _bp_list_key(method: str, path: str) -> str | None:
    return "results" if method == "GET" and path.endswith("-search") else None


def _bp_answer_kind(method: str, path: str) -> str:
    tail = path.rstrip("/")
    if method == "POST" and tail.endswith("/authorise"):
        return "token"
    if method in ("PUT", "PATCH", "DELETE") or (method == "POST" and tail.endswith("/event")):
        return "empty"
    return "object"


def _ss_list_key(method: str, path: str) -> str | None:
    if method != "GET":
        return None
    tail = path.rstrip("/").rsplit("/", 1)[-1]
    return {
        "shipments": "shipments",
        "fulfillments": "fulfillments",
        "orders": "orders",
        "list": "orders",
    }.get(tail)


def _ss_answer_kind(method: str, path: str) -> str:
    tail = path.rstrip("/")
    if method == "GET" and tail.endswith(("/stores", "/carriers", "/carriers/listservices")):
        return "list"
    return "object"


BRIGHTPEARL = Dialect(
    error_body={"errors": [{"code": "CMNU-003", "message": "Internal Server Error"}]},
    throttle_status=503,
    throttle_body={
        "response": "You have sent too many requests. Please wait before sending another request"
    },
    throttle_headers=lambda s: {
        "brightpearl-requests-remaining": "0",
        "brightpearl-next-throttle-period": str(max(1, int(round(s * 1000)))),
    },
    list_key=_bp_list_key,
    answer_kind=_bp_answer_kind,
    count_headers=("brightpearl-requests-remaining",),
    wait_headers=("brightpearl-next-throttle-period", "brightpearl-throttle-time", "retry-after"),
)


def _ss_reset(seconds: float) -> str:
    # Whole seconds like ShipStation when the wait is a second or more; milliseconds for test
    # bursts.
    return str(int(seconds)) if seconds >= 1 and float(seconds).is_integer() else f"{seconds:.3f}"


SHIPSTATION = Dialect(
    error_body={
        "Message": "An error has occurred.",
        "ExceptionMessage": "The service is unavailable.",
        "ExceptionType": "System.Net.WebException",
        "StackTrace": None,
    },
    throttle_status=429,
    throttle_body={"message": "Too Many Requests"},
    throttle_headers=lambda s: {
        "X-Rate-Limit-Limit": "40",
        "X-Rate-Limit-Remaining": "0",
        "X-Rate-Limit-Reset": _ss_reset(s),
    },
    list_key=_ss_list_key,
    answer_kind=_ss_answer_kind,
    count_headers=("X-Rate-Limit-Remaining",),
    wait_headers=("X-Rate-Limit-Reset",),
)


@dataclass
class Chaos:
    """The injector of one sandbox; ``enabled`` can be switched off to let a run converge."""

    plan: FaultPlan
    dialect: Dialect
    clock: Callable[[], float] = time.monotonic
    enabled: bool = True
    violations: int = 0
    injected: Counter = field(default_factory=Counter)
    skip_prefixes: tuple[str, ...] = ("/_sandbox",)
    echoed: list[dict[str, str]] = field(default_factory=list)  # the request headers echoed back

    def __post_init__(self) -> None:
        self.rng = random.Random(self.plan.seed)
        self._blocked_until = 0.0

    def draw(self, method: str, path: str) -> str | None:
        """The fault for this request, or None (consumes the seeded stream either way)."""
        roll, pick = self.rng.random(), self.rng.random()
        if not self.enabled or roll >= self.plan.rate or path.startswith(self.skip_prefixes):
            return None
        listing = self.dialect.list_key(method, path) is not None
        write = method in WRITE_METHODS
        gon_read = is_gon_read(method, path)
        kinds = [
            k
            for k in self.plan.kinds
            if (listing or k not in LISTING_ONLY)
            and (write or k not in WRITES_ONLY)
            and (gon_read or k not in GON_READS_ONLY)
        ]
        if not kinds:
            return None
        kind = kinds[int(pick * len(kinds)) % len(kinds)]
        self.injected[kind] += 1
        return kind

    def wrap(self, app: ASGIApp) -> ASGIApp:
        async def chaotic(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            await self._serve(app, scope, receive, send)

        chaotic.chaos = self  # type: ignore[attr-defined]
        return chaotic

    # ---- the faults ------------------------------------------------------------------
    async def _serve(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        now = self.clock()
        if now < self._blocked_until:
            # Sent while told to wait: a client bug the tests count, answered throttled again.
            self.violations += 1
            await _respond(
                send,
                self.dialect.throttle_status,
                self.dialect.throttle_body,
                self.dialect.throttle_headers(self._blocked_until - now),
            )
            return
        kind = self.draw(method, path)
        if kind is None:
            await app(scope, receive, send)
            return
        if kind == "throttle":
            self._blocked_until = now + self.plan.throttle_s
            await _respond(
                send,
                self.dialect.throttle_status,
                self.dialect.throttle_body,
                self.dialect.throttle_headers(self.plan.throttle_s),
            )
            return
        if kind == "hostile_throttle":
            hostile = self.dialect.throttle_headers(self.plan.throttle_s)
            hostile.update({h: self.plan.hostile_value for h in self.dialect.wait_headers})
            await _respond(send, self.dialect.throttle_status, self.dialect.throttle_body, hostile)
            return
        if kind == "huge":
            await self._huge(send)
            return
        if kind == "error_before":
            await _respond(send, 500, self.dialect.error_body)
            return
        if kind in GATEWAY_KINDS and kind not in WRITES_ONLY:
            await self._gateway(send, kind, scope)
            return
        if kind in ECHO_KINDS:
            await self._echo(send, kind, scope)
            return
        if kind == "drop_before":
            await _drop(send)
        if kind == "slow_before":
            await asyncio.sleep(self.plan.slow_s)
            await app(scope, receive, send)
            return
        status, headers, body = await _capture(app, scope, receive)
        if kind == "error_after":
            await _respond(send, 500, self.dialect.error_body)
        elif kind == "drop_after":
            await _drop(send)
        elif kind == "slow_after":
            await asyncio.sleep(self.plan.slow_s)
            await _forward(send, status, headers, body)
        elif kind == "malformed":
            await _forward(
                send, status, headers, body[: max(1, len(body) // 2)] + b"<!-- upstream reset"
            )
        elif kind == "null_items":
            await _forward(
                send, status, headers, _null_items(body, self.dialect.list_key(method, path) or "")
            )
        elif kind in WRITES_ONLY:
            await self._gateway(send, kind.removesuffix("_after_write"), scope)
        elif kind in ("hostile_count", "hostile_window"):
            value = self.plan.hostile_value
            count = value if kind == "hostile_count" else "0"
            changed = {h.lower(): count for h in self.dialect.count_headers}
            if kind == "hostile_window":
                changed.update({h.lower(): value for h in self.dialect.wait_headers[:1]})
            kept = [(k, v) for k, v in headers if k.decode("latin-1").lower() not in changed]
            await _forward(
                send, status, kept + [(k.encode(), v.encode()) for k, v in changed.items()], body
            )
        elif kind == "drip":
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": headers + [(b"content-length", str(len(body)).encode())],
                }
            )
            for i in range(len(body)):
                await send(
                    {"type": "http.response.body", "body": body[i : i + 1], "more_body": True}
                )
                await asyncio.sleep(self.plan.drip_s)
            await send({"type": "http.response.body", "body": b""})

    async def _gateway(self, send: Send, kind: str, scope: Scope) -> None:
        """What a proxy or broken gateway answers in the API's place."""
        if kind == "redirect":
            query = scope.get("query_string", b"").decode("latin-1")
            target = scope["path"] + (f"?{query}" if query else "")
            location = f"{REDIRECT_TO}?{urlencode({'next': target})}"
            await _forward(
                send, 302, [(b"location", location.encode()), (b"content-type", b"text/html")], b""
            )
        elif kind == "empty":
            await _forward(send, 200, [(b"content-type", b"application/json")], b"")
        elif kind == "html":
            await _forward(
                send,
                200,
                [(b"content-type", b"text/html; charset=utf-8")],
                MAINTENANCE_PAGE.encode(),
            )
        elif kind == "html_404":
            headers = [(b"content-type", b"text/html"), (b"server", b"nginx")]
            await _forward(send, 404, headers, NGINX_404.encode())
        elif kind == "ok":
            await _respond(send, 200, {"response": "ok"})
        else:  # wrong_shape
            shapes = WRONG_SHAPES[self.dialect.answer_kind(scope["method"], scope["path"])]
            await _respond(send, 200, shapes[int(self.rng.random() * len(shapes)) % len(shapes)])

    async def _huge(self, send: Send) -> None:
        """A JSON list of ``huge_bytes`` sent from one reused chunk (a gateway's runaway answer)."""
        chunk = b'"' + b"x" * (1024 * 1024 - 4) + b'",'
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": b"[", "more_body": True})
        for _ in range(max(1, self.plan.huge_bytes // len(chunk))):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b'"end"]'})

    async def _echo(self, send: Send, kind: str, scope: Scope) -> None:
        """A proxy quoting the request back, headers and all (see the module's docstring)."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        self.echoed.append(headers)
        query = scope.get("query_string", b"").decode("latin-1")
        lines = [f"{scope['method']} {scope['path']}{'?' + query if query else ''} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        filler = "." * int(self.rng.random() * 280)
        if kind == "echo_ok":
            page = f"{filler}\nYour request, as we received it:\n" + "\n".join(lines) + "\n"
            await _forward(
                send, 200, [(b"content-type", b"text/plain; charset=utf-8")], page.encode()
            )
        elif kind == "echo_4xx":
            said = f"{filler} bad request: " + "; ".join(lines)
            await _respond(
                send,
                400,
                {
                    "message": said,
                    "Message": said,
                    "headers": headers,
                    "errors": [{"code": "GWY-400", "message": said}],
                },
            )
        else:
            page = (
                f"<html><body><h1>502 Bad Gateway</h1>{filler}<pre>"
                + "\n".join(lines)
                + "</pre></body></html>"
            )
            await _forward(send, 502, [(b"content-type", b"text/html")], page.encode())


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, list, bytes]:
    """Run the real app to the end (the work is done) and keep its answer."""
    start: dict[str, Any] = {}
    parts: list[bytes] = []

    async def keep(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(scope, receive, keep)
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    return int(start.get("status", 500)), headers, b"".join(parts)


async def _forward(send: Send, status: int, headers: list, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": headers + [(b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _respond(
    send: Send, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    raw = b"" if body is None else json.dumps(body).encode()
    pairs = [(b"content-type", b"application/json")]
    pairs += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await _forward(send, status, pairs, raw)


async def _drop(send: Send) -> None:
    """Start an answer that never comes: over HTTP the server closes the socket mid-answer."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    raise DroppedConnection("connection closed by the server before the answer was complete")


def _null_items(body: bytes, key: str) -> bytes:
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    holder = doc.get("response") if isinstance(doc, dict) and key == "results" else doc
    if isinstance(holder, dict) and isinstance(holder.get(key), list):
        holder[key] = [None] * len(holder[key]) if holder[key] else None
    return json.dumps(doc).encode()


def attach(sandbox: Any, plan: FaultPlan, dialect: Dialect) -> Chaos:
    """Put ``plan`` in front of ``sandbox.app`` (before any transport is built on it)."""
    chaos = Chaos(plan, dialect)
    sandbox.app = chaos.wrap(sandbox.app)
    sandbox.chaos = chaos
    return chaos


class DeadlineTransport(httpx.AsyncBaseTransport):
    """Applies the request's read timeout to an in-process transport, as a socket would."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = (request.extensions.get("timeout") or {}).get("read")
        try:
            return await asyncio.wait_for(self.inner.handle_async_request(request), timeout)
        except TimeoutError:
            raise httpx.ReadTimeout("timed out waiting for the answer", request=request) from None

    async def aclose(self) -> None:
        await self.inner.aclose()
