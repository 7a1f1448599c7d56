"""The one send loop of both API clients (as httpx's ``BaseClient`` is shared by its clients).

Every request passes the rate gate, is counted, and its answer is validated before anything
is concluded from it: a 3xx (a proxy, a maintenance page, an ``http://`` URL redirected), an
empty or non-JSON 2xx body, or a body of the wrong shape is an error of that call, retried
like a dropped answer and then reported with what came back; never "no results", "deleted"
or "written". Throttled answers block the gate for the time the server asks; 5xx answers and
dropped connections are retried with backoff when the call is safe to repeat. What differs
between the APIs (auth headers, rate-limit headers, how an error body reads) is the client's
``Policy``.

Bounds: each attempt has httpx's timeouts per connect and per read (the client's ``timeout``) and
an overall deadline (``DEADLINE_S``, 120 s, for connecting, sending and reading the whole
answer), so an answer that drips a byte at a time still ends; a late attempt is retried like a
timeout, but only once (``MAX_LATE``): a server that ran out a whole deadline twice holds one call
at most about four minutes, not one deadline per attempt. A body is read as a stream and refused
past ``MAX_BODY_BYTES`` (16 MiB, after decompression; a list page of 500 rows is well under
4 MiB), without reading the rest. While an
answer is awaited, the Sender asks its ``sleep`` for ``sleep(0)`` every ``STOP_POLL_S``: a sleep
that raises (the service's does once a stop is requested) abandons the attempt, so a stop ends
any wait or read within a second. An abandoned ``retry=False`` write raises ApiUnavailable (its
answer is lost: the caller re-reads); anything else raises what the sleep raised.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from bp_tui.apiclient.backoff import Backoff
from bp_tui.apiclient.pacing import RateGate
from bp_tui.errors import ApiProblem, ApiThrottled, ApiUnavailable, scrub_secrets

Shape = Callable[[Any], str | None]  # None when the body is usable, else what is wrong with it

MAX_BODY_BYTES = 16 * 1024 * 1024
DEADLINE_S = 120.0
MAX_LATE = 2  # attempts of one call that may run out the whole deadline
STOP_POLL_S = 0.1


class AnswerTooLarge(Exception):
    """The body passed the cap (or its Content-Length said it would); ``status``: the answer's."""

    def __init__(self, status: int, cap: int) -> None:
        super().__init__(f"an answer larger than {cap // (1024 * 1024)} MiB; refused unread")
        self.status = status


class AnswerLate(httpx.TimeoutException):
    """No complete answer within the attempt's deadline (a timeout, retried like one)."""


class StoppedWaiting(Exception):
    """``sleep(0)`` raised while an answer was awaited; ``cause`` is what it raised."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


async def bounded_send(
    http: httpx.AsyncClient,
    request: httpx.Request,
    *,
    sleep: Callable[[float], Awaitable[None]],
    deadline_s: float = DEADLINE_S,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> tuple[httpx.Response, bytes]:
    """One exchange: the answer and its body, within ``deadline_s``, refused past
    ``max_body_bytes``, abandoned (StoppedWaiting) when ``sleep(0)`` raises. It runs in the
    caller's task; a watcher task probes the sleep every ``STOP_POLL_S`` meanwhile."""
    current = asyncio.current_task()
    assert current is not None
    stopped: list[BaseException] = []

    async def watch() -> None:
        while True:
            await asyncio.sleep(STOP_POLL_S)
            try:
                await sleep(0)
            except Exception as exc:  # noqa: BLE001 - whatever the sleep raises is the stop
                stopped.append(exc)
                current.cancel()
                return

    watcher = asyncio.ensure_future(watch())
    try:
        async with asyncio.timeout(deadline_s):
            return await _read_capped(http, request, max_body_bytes)
    except TimeoutError:
        raise AnswerLate(f"no complete answer within {deadline_s:g} s", request=request) from None
    except asyncio.CancelledError:
        if not stopped:
            raise
        current.uncancel()
        raise StoppedWaiting(stopped[0]) from None
    finally:
        watcher.cancel()


async def _read_capped(
    http: httpx.AsyncClient, request: httpx.Request, cap: int
) -> tuple[httpx.Response, bytes]:
    response = await http.send(request, stream=True)
    try:
        declared = (response.headers.get("content-length") or "").strip()
        if declared.isdigit() and int(declared[:20]) > cap:
            raise AnswerTooLarge(response.status_code, cap)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise AnswerTooLarge(response.status_code, cap)
            chunks.append(chunk)
        return response, b"".join(chunks)
    finally:
        await response.aclose()


class Policy(Protocol):
    """What one API does its own way."""

    service: str  # "brightpearl" | "shipstation"
    name: str  # "Brightpearl" | "ShipStation"
    max_throttles: int

    async def headers(self, authenticated: bool) -> dict[str, str]:
        """Headers for this attempt (logging in first when the API needs a session)."""

    def observe(self, response: httpx.Response) -> None:
        """Read the rate-limit headers of any answer."""

    def throttle_wait(self, status: int, body: Any, response: httpx.Response) -> float | None:
        """Seconds to wait when the answer says "throttled", else None."""

    def throttled(self, status: int, body: Any) -> ApiThrottled:
        """The exception when the server still throttles after ``max_throttles`` waits."""

    def reauthenticate(self, status: int, body: Any) -> bool:
        """An expired session: drop it so the next attempt logs in again (True), else False."""

    def error(self, status: int, body: Any, method: str, url: str) -> ApiProblem:
        """The exception for an error answer (secrets never quoted)."""

    def retry_server_error(self, status: int, body: Any) -> bool:
        """Whether a 5xx answer is worth another try."""

    def unreachable_hint(self, method: str, url: str) -> str:
        """What to check when no answer (or no usable one) comes."""


def decode(content: bytes) -> Any:
    """The JSON body; the text when it is not JSON; None when empty."""
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace").strip()


def is_json_object(body: Any) -> str | None:
    return None if isinstance(body, dict) else f"is not a JSON object ({_kind(body)})"


def has_key(key: str) -> Shape:
    """An object whose ``key`` is set (not null)."""

    def check(body: Any) -> str | None:
        return None if isinstance(body, dict) and body.get(key) is not None else f"has no {key}"

    return check


def page_of(key: str) -> Shape:
    """A page of a list, as both ShipStation APIs answer: ``{key: [...], total, page, pages}``.
    An empty page may carry ``null`` for the list (seen past the last page); a page without the
    key is no page."""

    def check(body: Any) -> str | None:
        if not isinstance(body, dict) or key not in body:
            return f"is not a page of {key}"
        items = body[key]
        if items is None or isinstance(items, list):
            return None
        return f"is not a page of {key} ({key} is {type(items).__name__})"

    return check


def has_list(key: str) -> Shape:
    """An object whose ``key`` is a list."""

    def check(body: Any) -> str | None:
        return (
            None
            if isinstance(body, dict) and isinstance(body.get(key), list)
            else f"has no {key} list"
        )

    return check


def is_json_list(body: Any) -> str | None:
    return None if isinstance(body, list) else f"is not a JSON list ({_kind(body)})"


def _kind(body: Any) -> str:
    if isinstance(body, str):
        return "text: " + " ".join(body[:60].split())
    return type(body).__name__


class Sender:
    def __init__(
        self,
        policy: Policy,
        http: httpx.AsyncClient,
        *,
        gate: RateGate,
        backoff: Backoff,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        secrets: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self.policy = policy
        self.secrets = secrets  # what the answers may echo back: masked in every error raised
        self.http = http
        self.gate = gate
        self.backoff = backoff
        self.sleep = sleep
        self.requests_sent = 0
        self.last_server_date: str | None = (
            None  # HTTP Date header of the last answer (clock check)
        )
        self.deadline_s = DEADLINE_S  # one attempt, from connecting to the body's last byte
        self.max_body_bytes = MAX_BODY_BYTES
        self._stop_seen = False  # the last attempt was abandoned for a stop request

    async def send(self, method: str, url: str, **options: Any) -> Any:
        """:meth:`_send`, whose errors never quote a secret (an answer may echo the request's
        headers, whatever its status: a gateway's text page, a 4xx, a 5xx)."""
        try:
            return await self._send(method, url, **options)
        except ApiProblem as exc:
            secrets = tuple(self.secrets())
            exc.message = scrub_secrets(exc.message or "", secrets)
            exc.hint = scrub_secrets(exc.hint, secrets) if exc.hint else exc.hint
            exc.args = (exc.describe(),)
            raise

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        retry: bool = True,
        authenticated: bool = True,
        shape: Shape = is_json_object,
        no_content: bool = False,
    ) -> Any:
        """One logical request with its retries; the decoded JSON body once it passed ``shape``.

        ``retry=False``: a write that is not safe to repeat blind; a lost or unusable answer
        raises ApiUnavailable at once and the caller re-reads to learn whether it happened.
        ``no_content=True``: the endpoint documents ``204 No Content``; exactly that answer (a 204
        with an empty body) is a success and returns None. Any other empty 2xx is still an error."""
        failures = throttles = late = 0
        reauthed = False
        if self._stop_seen:  # still stopped? then the sleep raises before anything is sent
            await self.sleep(0)
            self._stop_seen = False
        while True:
            send_headers = {
                "Accept": "application/json",
                **(headers or {}),
                **await self.policy.headers(authenticated),
            }
            await self.gate.acquire()
            self.requests_sent += 1
            request = self.http.build_request(
                method, url, params=params, json=json, headers=send_headers
            )
            try:
                response, content = await bounded_send(
                    self.http,
                    request,
                    sleep=self.sleep,
                    deadline_s=self.deadline_s,
                    max_body_bytes=self.max_body_bytes,
                )
            except AnswerLate:
                late += 1
                problem: str | None = (
                    f"no complete answer from {self.policy.name} within {self.deadline_s:g} s"
                )
                status = 0
            except (
                httpx.TransportError,
                httpx.DecodingError,
            ) as exc:  # timeouts, refused, dropped, bad gzip
                problem = f"no answer from {self.policy.name} ({type(exc).__name__})"
                status = 0
            except AnswerTooLarge as exc:
                raise ApiUnavailable(
                    self.policy.service,
                    exc.status,
                    f"{self.policy.name}'s answer to {method} {_path(url)} was {exc}",
                    hint="a proxy or gateway may be answering instead of the API; "
                    + self.policy.unreachable_hint(method, url),
                ) from None
            except StoppedWaiting as exc:
                self._stop_seen = True
                if (
                    not retry
                ):  # a write whose answer is lost: the caller reads back whether it was done
                    raise ApiUnavailable(
                        self.policy.service,
                        0,
                        f"stopped while waiting for {self.policy.name}'s answer to "
                        f"{method} {_path(url)}; it may have been done",
                        hint="the next run reads it back",
                    ) from None
                raise exc.cause from None
            else:
                status, problem, body = response.status_code, None, decode(content)
                self.last_server_date = (
                    _server_date(response.headers.get("date")) or self.last_server_date
                )
                self.policy.observe(response)
                wait = self.policy.throttle_wait(status, body, response)
                if wait is not None:
                    throttles += 1
                    if throttles > self.policy.max_throttles:
                        raise self.policy.throttled(status, body)
                    self.gate.block_for(wait)
                    continue
                if no_content and status == 204 and body is None:
                    return None
                if 200 <= status < 300:
                    problem = _unusable(body, shape)
                    if problem is None:
                        return body
                    problem = f"{self.policy.name}'s answer to {method} {_path(url)} {problem}"
                elif 300 <= status < 400:
                    where = response.headers.get("location")
                    problem = (
                        f"{self.policy.name} answered {status} (a redirect"
                        f"{' to ' + _where(where) if where else ''}) to "
                        f"{method} {_path(url)} instead of data"
                    )
                elif authenticated and not reauthed and self.policy.reauthenticate(status, body):
                    reauthed = True
                    continue
                else:
                    error = self.policy.error(status, body, method, url)
                    if status < 500 or not self.policy.retry_server_error(status, body):
                        raise error
                    failures += 1
                    if not retry or failures >= self.backoff.attempts:
                        if isinstance(error, ApiUnavailable):
                            raise error
                        raise ApiUnavailable(
                            self.policy.service,
                            status,
                            error.message,
                            code=error.code,
                            hint=error.hint,
                        ) from None
                    await self.sleep(self.backoff.delay(failures))
                    continue
            failures += 1
            if not retry or failures >= self.backoff.attempts or late >= MAX_LATE:
                raise ApiUnavailable(
                    self.policy.service,
                    status,
                    problem or "no usable answer",
                    hint=self.policy.unreachable_hint(method, url),
                )
            await self.sleep(self.backoff.delay(failures))


def _server_date(value: str | None) -> str | None:
    """An HTTP Date header that reads as a moment with its offset (for the clock check), else None:
    a junk, naive or out-of-range date is not kept."""
    if not value or len(value) > 64:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return value if moment is not None and moment.tzinfo is not None else None


def _unusable(body: Any, shape: Shape) -> str | None:
    if body is None:
        return "was empty"
    if isinstance(body, str):
        return "was not JSON (" + _kind(body) + ")"
    return shape(body)


def _path(url: str) -> str:
    """The path of a URL, for messages (never its query, which may carry ids or tokens)."""
    return httpx.URL(url).path if "://" in url else url.split("?", 1)[0]


def _where(url: str) -> str:
    """Scheme, host and path of a redirect target: enough to see "http -> https" or a proxy's
    host, without a query or user info."""
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "an unreadable address"
    return f"{target.scheme}://{target.host}{target.path}" if target.host else target.path


class SenderClient:
    """What both API clients share around their ``Sender``: the request count, the server's
    last Date header, closing."""

    _sender: Sender
    _http: httpx.AsyncClient

    @property
    def requests_sent(self) -> int:
        return self._sender.requests_sent

    @property
    def last_server_date(self) -> str | None:
        """HTTP Date header of the last answer (the clock check)."""
        return self._sender.last_server_date

    @last_server_date.setter
    def last_server_date(self, value: str | None) -> None:
        self._sender.last_server_date = value

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self):  # type: ignore[no-untyped-def]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
