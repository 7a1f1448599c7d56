"""The one send loop of both API clients (as httpx's ``BaseClient`` is shared by its clients).

Every request passes the rate gate, is counted, and its answer is validated before anything
is concluded from it: a 3xx (a proxy, a maintenance page, an ``http://`` URL redirected), an
empty or non-JSON 2xx body, or a body of the wrong shape is an error of that call, retried
like a dropped answer and then reported with what came back; never "no results", "deleted"
or "written". Throttled answers block the gate for the time the server asks; 5xx answers and
dropped connections are retried with backoff when the call is safe to repeat. What differs
between the APIs (auth headers, rate-limit headers, how an error body reads) is the client's
``Policy``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

import httpx

from bp_tui.apiclient.backoff import Backoff
from bp_tui.apiclient.pacing import RateGate
from bp_tui.errors import ApiError, ApiUnavailable, scrub_secrets

Shape = Callable[[Any], str | None]  # None when the body is usable, else what is wrong with it


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

    def throttled(self, status: int, body: Any) -> ApiError:
        """The exception when the server still throttles after ``max_throttles`` waits."""

    def reauthenticate(self, status: int, body: Any) -> bool:
        """An expired session: drop it so the next attempt logs in again (True), else False."""

    def error(self, status: int, body: Any, method: str, url: str) -> ApiError:
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


def has_list(key: str) -> Shape:
    """An object whose ``key`` is a list."""
    def check(body: Any) -> str | None:
        return None if isinstance(body, dict) and isinstance(body.get(key), list) else f"has no {key} list"
    return check


def is_json_list(body: Any) -> str | None:
    return None if isinstance(body, list) else f"is not a JSON list ({_kind(body)})"


def _kind(body: Any) -> str:
    if isinstance(body, str):
        return "text: " + " ".join(body[:60].split())
    return type(body).__name__


class Sender:
    def __init__(self, policy: Policy, http: httpx.AsyncClient, *, gate: RateGate, backoff: Backoff,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 secrets: Callable[[], Iterable[str]] = tuple) -> None:
        self.policy = policy
        self.secrets = secrets  # what the answers may echo back: masked in every error raised
        self.http = http
        self.gate = gate
        self.backoff = backoff
        self.sleep = sleep
        self.requests_sent = 0
        self.last_server_date: str | None = None  # HTTP Date header of the last answer (clock check)

    async def send(self, method: str, url: str, **options: Any) -> Any:
        """:meth:`_send`, whose errors never quote a secret (an answer may echo the request's
        headers, whatever its status: a gateway's text page, a 4xx, a 5xx)."""
        try:
            return await self._send(method, url, **options)
        except ApiError as exc:
            secrets = tuple(self.secrets())
            exc.message = scrub_secrets(exc.message or "", secrets)
            exc.hint = scrub_secrets(exc.hint, secrets) if exc.hint else exc.hint
            exc.args = (exc.describe(),)
            raise

    async def _send(self, method: str, url: str, *, params: dict[str, Any] | None = None, json: Any = None,
                    headers: dict[str, str] | None = None, retry: bool = True, authenticated: bool = True,
                    shape: Shape = is_json_object, no_content: bool = False) -> Any:
        """One logical request with its retries; the decoded JSON body once it passed ``shape``.

        ``retry=False``: a write that is not safe to repeat blind; a lost or unusable answer
        raises ApiUnavailable at once and the caller re-reads to learn whether it happened.
        ``no_content=True``: the endpoint documents ``204 No Content``; exactly that answer (a 204
        with an empty body) is a success and returns None. Any other empty 2xx is still an error."""
        failures = throttles = 0
        reauthed = False
        while True:
            send_headers = {"Accept": "application/json", **(headers or {}),
                            **await self.policy.headers(authenticated)}
            await self.gate.acquire()
            self.requests_sent += 1
            try:
                response = await self.http.request(method, url, params=params, json=json, headers=send_headers)
            except httpx.TransportError as exc:  # timeouts, refused and dropped connections
                problem: str | None = f"no answer from {self.policy.name} ({type(exc).__name__})"
                status = 0
            else:
                status, problem, body = response.status_code, None, decode(response.content)
                self.last_server_date = response.headers.get("date") or self.last_server_date
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
                    problem = (f"{self.policy.name} answered {status} (a redirect"
                               f"{' to ' + _where(where) if where else ''}) to {method} {_path(url)} instead of data")
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
                        raise ApiUnavailable(self.policy.service, status, error.message, code=error.code,
                                             hint=error.hint) from None
                    await self.sleep(self.backoff.delay(failures))
                    continue
            failures += 1
            if not retry or failures >= self.backoff.attempts:
                raise ApiUnavailable(self.policy.service, status, problem or "no usable answer",
                                     hint=self.policy.unreachable_hint(method, url))
            await self.sleep(self.backoff.delay(failures))


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
