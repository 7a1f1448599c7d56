"""Every number and every answer from the wire is bounded (issue 23, "one bad header or answer
hangs or crashes the process").

Hostile rate headers (``1e9``, ``Infinity``, ``1e1000000``, ``NaN``, negative) on each API, with
an injected clock and sleep (no real long waits): every wait is at most its clamp (60 s for
ShipStation V1 and Brightpearl, 5 minutes for a V2 ``Retry-After``, in the shared limiter file
too) and no traceback. Token lifetimes in [60 s, 24 h]. Hostile answers: one byte every few
seconds ends at the attempt's deadline; an 800 MB body is refused at the cap with little memory;
a stop request ends a dripping read within a second, SIGTERM a ``sync --watch`` too.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import signal
import subprocess
import sys
import threading
import time
import tracemalloc

import httpx
import pytest

from bp_tui.apiclient import Backoff, RateGate, bounds
from bp_tui.apiclient.sender import MAX_BODY_BYTES, MAX_LATE, Sender, StoppedWaiting, bounded_send
from bp_tui.errors import ApiError, ApiUnavailable, StopRequested
from bp_tui.sandbox.environment import build_environment
from bp_tui.sandbox.faults import BRIGHTPEARL, SHIPSTATION, FaultPlan, attach
from bp_tui.sandbox.shipstation_v2.faults import SHIPSTATION_V2
from bp_tui.service.connector import Connector
from bp_tui.shipstation.client import _Policy as V1Policy
from bp_tui.shipstation.v2.client import _Policy as V2Policy
from bp_tui.shipstation.v2.limiter import MAX_BLOCK_S, SharedWindowGate, limiter_path

from .served import Served

HOSTILE = ("1e9", "Infinity", "1e1000000", "NaN", "-5")
HUGE = ("1e9", "Infinity", "1e1000000")  # beyond every clamp: the clamp itself must be waited


class FakeTime:
    """A clock that the injected sleep moves on: waits are recorded, never slept."""

    def __init__(self) -> None:
        self.now = time.time()
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.waits.append(seconds)
            self.now += seconds
        await asyncio.sleep(0)


# ---- parsing --------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [*HOSTILE, "12abc", "", " ", "0x10", "1" * 5000, "١٢"])
def test_a_hostile_count_is_unknown_and_fast(value):
    start = time.perf_counter()
    assert bounds.count(value) is None
    assert time.perf_counter() - start < 0.01


def test_counts_and_waits_that_are_fine_pass_unchanged():
    assert bounds.count(" 37 ") == 37 and bounds.count("0") == 0
    assert bounds.seconds("20") == 20.0 and bounds.seconds("1500", scale=0.001) == 1.5
    assert bounds.seconds("0.020") == 0.02


@pytest.mark.parametrize(
    ("value", "waited"),
    [
        ("1e9", 60.0),
        ("Infinity", 60.0),
        ("1e1000000", 60.0),
        ("NaN", None),
        ("-5", None),
        ("junk", None),
    ],
)
def test_a_hostile_wait_is_capped_or_unknown(value, waited):
    wait = bounds.seconds(value)
    assert (wait if wait is None else bounds.clamp_wait(wait, 60.0, "test-header")) == waited


def test_a_clamp_is_said_once_per_header(caplog):
    bounds._said.discard("X-Test")
    with caplog.at_level(logging.WARNING, logger="bp_tui.apiclient"):
        for _ in range(3):
            assert bounds.clamp_wait(math.inf, 60.0, "X-Test", "Infinity") == 60.0
    said = [r.getMessage() for r in caplog.records if "X-Test" in r.getMessage()]
    assert said == ["X-Test: Infinity is beyond its documented maximum; waiting 60 s instead"]


# ---- hostile rate headers through each API, a whole cycle -------------------------------------
def hostile_env(tmp_path, ss_api: str, value: str, ft: FakeTime):
    env = build_environment(
        tmp_path / "env", orders=6, seed=4, bp_limit=100_000, ss_limit=100_000, ss_api=ss_api
    )
    kinds = ("hostile_throttle", "hostile_count", "hostile_window")
    attach(env.bp, FaultPlan(rate=0.35, seed=7, kinds=kinds, hostile_value=value), BRIGHTPEARL)
    attach(
        env.ss,
        FaultPlan(rate=0.35, seed=8, kinds=kinds, hostile_value=value),
        SHIPSTATION_V2 if ss_api == "v2" else SHIPSTATION,
    )
    options = {
        "sleep": ft.sleep,
        "timeout": 5.0,
        "backoff": Backoff(attempts=4, base=0.001, cap=0.005),
        "gate": RateGate(limit=200, window_s=60.0, reserve=5, clock=ft.clock, sleep=ft.sleep),
    }
    if ss_api == "v2":
        ss_gate = SharedWindowGate(
            limiter_path(env.state_path.parent, env.config.shipstation.api_key),
            clock=ft.clock,
            sleep=ft.sleep,
        )
    else:
        ss_gate = RateGate(limit=40, window_s=60.0, clock=ft.clock, sleep=ft.sleep)
    conn = Connector(
        env.config,
        env.state_path,
        config_path=env.config_path,
        bp_transport=httpx.ASGITransport(app=env.bp.app),
        ss_transport=httpx.ASGITransport(app=env.ss.app),
        client_options=options,
        ss_options={**env.ss_options, "gate": ss_gate},
    )
    return env, conn, ss_gate


@pytest.mark.parametrize("ss_api", ["v1", "v2"])
@pytest.mark.parametrize("value", HOSTILE)
async def test_hostile_rate_headers_never_wait_past_the_clamp(tmp_path, ss_api, value, caplog):
    ft = FakeTime()
    env, conn, ss_gate = hostile_env(tmp_path, ss_api, value, ft)
    bounds._said.clear()
    started = time.monotonic()
    try:
        with caplog.at_level(logging.WARNING, logger="bp_tui.apiclient"):
            for _ in range(2):
                conn.retry()
                try:
                    await conn.run_cycle()
                except ApiError:
                    # e.g. still throttled after the allowed waits: an error of that cycle, never
                    # a hang
                    pass
    finally:
        await conn.aclose()
    assert time.monotonic() - started < 20
    injected = env.bp.chaos.injected + env.ss.chaos.injected
    assert injected["hostile_throttle"] >= 2 and injected["hostile_window"] >= 1, injected
    cap = MAX_BLOCK_S if ss_api == "v2" else 60.0
    assert ft.waits and max(ft.waits) <= cap
    if value in HUGE:
        assert 60.0 in ft.waits  # a hostile header was met, and its clamp is what was waited
        assert any("beyond its documented maximum" in r.getMessage() for r in caplog.records)
    if ss_api == "v2":
        assert ss_gate.blocked_for <= MAX_BLOCK_S
        if value in HUGE and env.ss.chaos.injected["hostile_throttle"]:
            assert MAX_BLOCK_S in ft.waits or ss_gate.blocked_for > 0


def _answer(status: int, headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(
        status,
        headers=headers,
        json={"message": "Too Many Requests"},
        request=httpx.Request("GET", "https://api.example.test/orders"),
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_v1_throttle_and_a_spent_window_wait_at_most_the_minute(value):
    ft = FakeTime()
    gate = RateGate(limit=40, window_s=60.0, clock=ft.clock, sleep=ft.sleep)
    policy = V1Policy(gate, ("k", "s"))
    wait = policy.throttle_wait(
        429,
        {"message": "Too Many Requests"},
        _answer(429, {"X-Rate-Limit-Reset": value, "X-Rate-Limit-Remaining": "0"}),
    )
    assert wait is not None and 0 <= wait <= 60.0
    policy.observe(_answer(200, {"X-Rate-Limit-Reset": value, "X-Rate-Limit-Remaining": "0"}))
    asyncio.run(gate.acquire())
    assert sum(ft.waits) <= 60.0
    policy.observe(_answer(200, {"X-Rate-Limit-Reset": "10", "X-Rate-Limit-Remaining": value}))
    assert gate.remaining == 0  # a hostile count is ignored: the last good one stands


@pytest.mark.parametrize("value", HOSTILE)
def test_one_v2_retry_after_blocks_the_key_at_most_five_minutes(tmp_path, value):
    ft = FakeTime()
    path = limiter_path(tmp_path, "the-key")
    first = SharedWindowGate(path, clock=ft.clock, sleep=ft.sleep)
    wait = V2Policy("the-key").throttle_wait(429, {}, _answer(429, {"Retry-After": value}))
    assert wait is not None and 0 <= wait <= 300.0
    first.block_for(wait)
    doctor = SharedWindowGate(path, clock=ft.clock, sleep=ft.sleep)  # another process on the key
    assert doctor.blocked_for <= 300.0
    asyncio.run(doctor.acquire())
    assert sum(ft.waits) <= 300.0
    first.block_for(1e9)  # and the gate's own backstop
    assert doctor.blocked_for <= 300.0


def test_an_hour_long_block_written_by_an_older_version_is_dropped(tmp_path):
    ft = FakeTime()
    path = limiter_path(tmp_path, "the-key")
    for junk in (ft.now + 3000.0, "soon", 1e308, [1], None):
        path.write_text(
            json.dumps({"blocked_until": junk, "sent": [[1e400, 1], ["x", 2], [5, 1e30]]})
        )
        gate = SharedWindowGate(path, clock=ft.clock, sleep=ft.sleep)
        asyncio.run(gate.acquire())
        assert ft.waits == [] and gate.blocked_for == 0.0


@pytest.mark.parametrize("value", HOSTILE)
def test_brightpearl_throttle_and_count_headers_are_bounded(value):
    from bp_tui.brightpearl.client import _Policy as BpPolicy

    ft = FakeTime()
    gate = RateGate(limit=200, window_s=60.0, reserve=5, clock=ft.clock, sleep=ft.sleep)
    policy = BpPolicy(creds=None, gate=gate, login=None)  # type: ignore[arg-type]
    throttled = {
        "response": "You have sent too many requests. Please wait before sending another request"
    }
    for header in ("brightpearl-throttle-time", "retry-after", "brightpearl-next-throttle-period"):
        wait = policy.throttle_wait(503, throttled, _answer(503, {header: value}))
        assert wait is not None and 0 <= wait <= 60.0
    start = time.perf_counter()
    policy.observe(
        _answer(
            200,
            {"brightpearl-requests-remaining": value, "brightpearl-next-throttle-period": value},
        )
    )
    assert time.perf_counter() - start < 0.05 and gate.remaining is None
    policy.observe(
        _answer(
            200, {"brightpearl-requests-remaining": "0", "brightpearl-next-throttle-period": value}
        )
    )
    asyncio.run(gate.acquire())
    assert sum(ft.waits) <= 60.0


# ---- token lifetimes --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "lifetime"),
    [
        ("100000000000000000000", 86400),
        ("1e20", 86400),
        ("Infinity", 86400),
        ("-5", 60),
        ("0", 60),
        ('"1e9"', 86400),
        ('"3600"', 3600),
        ("NaN", None),
        ('"soon"', None),
        ("null", None),
    ],
)
async def test_a_token_answer_lifetime_is_clamped_or_refused(tmp_path, raw, lifetime):
    from bp_tui.brightpearl.oauth import TokenEndpoint
    from bp_tui.config.model import BrightpearlSettings

    body = (
        '{"access_token": "acc", "refresh_token": "ref", "token_type": "Bearer", '
        f'"api_domain": "euw1.brightpearlconnect.com", "expires_in": {raw}}}'
    )
    json_type = {"content-type": "application/json"}
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, text=body, headers=json_type)
    )
    settings = BrightpearlSettings(
        auth="oauth",
        account_code="demo",
        app_ref="demo_app",
        client_secret="s3cret",
        redirect_uri="https://localhost/callback",
    )
    async with httpx.AsyncClient(transport=transport) as http:
        endpoint = TokenEndpoint(
            settings, http, backoff=Backoff(attempts=1), clock=lambda: 1_900_000_000.0
        )
        if lifetime is None:
            with pytest.raises(ApiError, match="expires_in"):
                await endpoint.exchange("the-code")
            return
        tokens = await endpoint.exchange("the-code")
    assert tokens.expires_in == lifetime and tokens.expires_at == 1_900_000_000.0 + lifetime


@pytest.mark.parametrize("stored", ["1e20", "Infinity", "NaN", "-1", "1" + "0" * 400])
def test_a_token_file_with_an_absurd_expiry_loads_as_a_time_that_can_be_shown(tmp_path, stored):
    from datetime import UTC, datetime

    from bp_tui.state.tokens import TokenStore

    store = TokenStore.beside_state(tmp_path / "state.sqlite3")
    lifetime = "1" + "0" * 30 if stored != "NaN" else "604800"
    raw = (
        '{"format": 1, "access_token": "a", "refresh_token": "r", '
        f'"expires_at": {stored}, "expires_in": {lifetime}, '
        '"api_domain": "x", "account_code": "demo", "app_ref": "app", "obtained_at": 1900000000.0}'
    )
    store.path.write_text(raw)
    store.path.chmod(0o600)
    tokens = store.load()
    assert tokens is not None and 60 <= tokens.expires_in <= 86400
    assert tokens.expires_at <= 1_900_000_000.0 + 86400
    datetime.fromtimestamp(tokens.expires_at, UTC)  # what auth status and the dashboard show


def test_a_week_long_token_from_the_sandbox_keeps_auth_login_status_and_doctor_working(tmp_path):
    served = Served(tmp_path, orders=4, extra=["--auth", "oauth", "--oauth-ttl", "1e20"])
    try:
        proc = subprocess.Popen(
            served.args("auth", "login"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = proc.stdout.readline().strip()
        answer = httpx.get(url, follow_redirects=False, timeout=10)
        out, err = proc.communicate(answer.headers["location"] + "\n", timeout=60)
        assert proc.returncode == 0 and "Traceback" not in err, err
        stored = json.loads(
            served.state.with_name(served.state.name + ".bp-oauth.json").read_text()
        )
        assert stored["expires_in"] == 86400 and stored["expires_at"] <= time.time() + 86400
        for command in (["auth", "status"], ["doctor"]):
            result = served.run(*command)
            assert result.returncode in (0, 1) and "Traceback" not in result.stderr, (
                command,
                result.stderr,
            )
        assert "Connected" in served.run("auth", "status").stdout
    finally:
        served.close()


# ---- hostile answers --------------------------------------------------------------------------
class _Plain:
    """The least a Sender needs of a client's Policy."""

    service, name, max_throttles = "shipstation", "ShipStation", 3

    async def headers(self, authenticated):
        return {}

    def observe(self, response):
        pass

    def throttle_wait(self, status, body, response):
        return None

    def error(self, status, body, method, url):
        return ApiError("shipstation", status, "error")

    def retry_server_error(self, status, body):
        return True

    def reauthenticate(self, status, body):
        return False

    def unreachable_hint(self, method, url):
        return "check the network"


async def _drip_server(interval_s: float):
    """A 127.0.0.1 server whose 200 drips its body one byte every ``interval_s``."""

    async def handle(reader, writer):
        try:
            await reader.readuntil(b"\r\n\r\n")
            body = b'{"orders": []}' * 100
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\n\r\n" % len(body)
            )
            for i in range(len(body)):
                writer.write(body[i : i + 1])
                await writer.drain()
                await asyncio.sleep(interval_s)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/orders"


@pytest.mark.parametrize("attempts", [2, 5])
async def test_an_answer_dripping_a_byte_at_a_time_ends_at_the_deadline(attempts):
    """Each attempt ends at its deadline, and a second late attempt ends the call, however many
    attempts the backoff still allows."""
    server, url = await _drip_server(0.2)
    try:
        async with httpx.AsyncClient(
            timeout=2.0
        ) as http:  # every byte comes well within the read timeout
            sender = Sender(
                _Plain(),
                http,
                gate=RateGate(limit=1000, window_s=60.0),
                backoff=Backoff(attempts=attempts, base=0.001, cap=0.001),
            )
            sender.deadline_s = 0.8
            start = time.monotonic()
            with pytest.raises(
                ApiUnavailable, match="no complete answer from ShipStation within 0.8 s"
            ):
                await sender.send("GET", url)
            took = time.monotonic() - start
            assert 1.5 <= took < 2.5 and sender.requests_sent == MAX_LATE == 2
    finally:
        server.close()


@pytest.mark.parametrize("retry", [True, False])
async def test_a_stop_request_ends_a_dripping_read_within_a_second(retry):
    server, url = await _drip_server(0.3)
    stop = False

    async def sleep(seconds: float) -> None:  # as the service's: raises once a stop is requested
        if stop:
            raise StopRequested()
        await asyncio.sleep(seconds)

    try:
        async with httpx.AsyncClient(timeout=30.0) as http:
            sender = Sender(
                _Plain(),
                http,
                gate=RateGate(limit=1000, window_s=60.0),
                backoff=Backoff(),
                sleep=sleep,
            )
            task = asyncio.ensure_future(sender.send("GET", url, retry=retry))
            await asyncio.sleep(0.6)
            stop, asked = True, time.monotonic()
            expected = (
                StopRequested if retry else ApiUnavailable
            )  # a write's lost answer: read back later
            with pytest.raises(expected):
                await task
            assert time.monotonic() - asked < 1.0
            with pytest.raises(StopRequested):  # nothing more is sent while the stop stands
                await sender.send("GET", url)
            assert sender.requests_sent == 1
    finally:
        server.close()


def _huge_stream(total: int, *, declared: bool):
    chunk = b"x" * (1024 * 1024)

    class Stream(httpx.AsyncByteStream):
        sent = 0

        async def __aiter__(self):
            yield b'["'
            while Stream.sent < total:
                Stream.sent += len(chunk)
                yield chunk  # the same object every time: the test never holds 800 MB itself
            yield b'"]'

    headers = {"content-type": "application/json"}
    if declared:
        headers["content-length"] = str(total + 4)
    return Stream, httpx.MockTransport(
        lambda request: httpx.Response(200, headers=headers, stream=Stream())
    )


@pytest.mark.parametrize("declared", [False, True])
async def test_an_800_mb_body_is_refused_at_the_cap_without_holding_it(declared):
    stream, transport = _huge_stream(800 * 1024 * 1024, declared=declared)
    tracemalloc.start()
    try:
        async with httpx.AsyncClient(transport=transport) as http:
            sender = Sender(
                _Plain(), http, gate=RateGate(limit=1000, window_s=60.0), backoff=Backoff()
            )
            with pytest.raises(ApiUnavailable, match="larger than 16 MiB; refused unread"):
                await sender.send("GET", "https://ssapi.example.test/orders")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * MAX_BODY_BYTES and peak < 300 * 1024 * 1024
    assert stream.sent <= MAX_BODY_BYTES + 2 * 1024 * 1024  # stopped reading at the cap
    assert sender.requests_sent == 1  # refused, not retried


async def test_a_body_at_the_cap_is_read():
    body = b"[" + b'"x",' * 1000 + b'"y"]'
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    async with httpx.AsyncClient(transport=transport) as http:
        sender = Sender(_Plain(), http, gate=RateGate(limit=1000, window_s=60.0), backoff=Backoff())
        sender.max_body_bytes = len(body)
        assert (
            len(await sender.send("GET", "https://ssapi.example.test/x", shape=lambda b: None))
            == 1001
        )
        sender.max_body_bytes = len(body) - 1
        with pytest.raises(ApiUnavailable, match="refused unread"):
            await sender.send("GET", "https://ssapi.example.test/x", shape=lambda b: None)


async def test_bounded_send_passes_on_what_the_sleep_raised():
    server, url = await _drip_server(0.3)

    async def stopped(seconds: float) -> None:
        raise StopRequested()

    try:
        async with httpx.AsyncClient(timeout=30.0) as http:
            with pytest.raises(StoppedWaiting) as info:
                await bounded_send(http, http.build_request("GET", url), sleep=stopped)
            assert isinstance(info.value.cause, StopRequested)
    finally:
        server.close()


# ---- the processes ----------------------------------------------------------------------------
@pytest.mark.parametrize("ss_api", ["v1", "v2"])
def test_sigterm_ends_a_sync_stuck_in_a_dripping_answer_within_a_second(tmp_path, ss_api):
    """The sync says it stopped (its cycle ended, its lock released) within a second of SIGTERM;
    the interpreter's own teardown after that is given a few seconds on a loaded machine."""
    extra = ["--faults", "1", "--fault-kinds", "drip"] + (
        ["--ss-api", "v2"] if ss_api == "v2" else []
    )
    served = Served(tmp_path, orders=4, extra=extra)
    try:
        proc = served.start_sync("--watch")
        deadline = time.monotonic() + 15
        while (
            sum(served.tally()["faults"].get("brightpearl", {}).values()) == 0
        ):  # in a dripping answer
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
        time.sleep(0.5)
        lines: list[tuple[float, str]] = []

        def read() -> None:
            lines.extend((time.monotonic(), line) for line in proc.stderr)

        reader = threading.Thread(target=read)
        reader.start()
        proc.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        proc.wait(timeout=10)
        exited = time.monotonic() - asked
        reader.join(timeout=5)
        assert proc.returncode == 0, lines
        said = [at - asked for at, line in lines if line.startswith("stopped")]
        assert said and said[0] < 1.0, (said, lines)
        assert exited < 5.0 and not any("Traceback" in line for _, line in lines)
    finally:
        served.close()


def test_a_sync_answered_800_mb_stays_under_300_mb(tmp_path):
    served = Served(tmp_path, orders=4, extra=["--faults", "1", "--fault-kinds", "huge"])
    try:
        # The sync runs under a small Python that reports its child's peak memory (ru_maxrss, KiB).
        probe = (
            "import resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "sys.stderr.write(p.stderr)\n"
            "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe, *served.args("sync", "--once")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        code, peak_kib = (int(x) for x in done.stdout.split())
        assert code == 3 and "larger than 16 MiB; refused unread" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        assert peak_kib * 1024 < 300 * 1024 * 1024, peak_kib
    finally:
        served.close()


@pytest.mark.parametrize(
    "date",
    [
        "Tue, 15 Nov 1994 08:12:31 -0000",
        "Mon, 01 Jan 99999 00:00:00 GMT",
        "Mon, 01 Jan 2020 00:00:00 +9999",
        "1e1000000",
        "x" * 10_000,
    ],
)
async def test_a_date_header_the_clock_check_cannot_compare_is_not_kept(date):
    good = "Mon, 07 Dec 2026 03:00:00 GMT"
    dates = iter([good, date])
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, json={}, headers={"date": next(dates)})
    )
    async with httpx.AsyncClient(transport=transport) as http:
        sender = Sender(_Plain(), http, gate=RateGate(limit=1000, window_s=60.0), backoff=Backoff())
        await sender.send("GET", "https://ssapi.example.test/x")
        await sender.send("GET", "https://ssapi.example.test/x")
    assert sender.last_server_date == good  # a naive or impossible date would crash the comparison


@pytest.mark.parametrize("ttl", [1e20, 1e9])
async def test_the_dashboards_checks_finish_with_a_huge_token_lifetime(tmp_path, ttl):
    """The dashboard's checks are the Connector's doctor: every check ends with a result."""
    env = build_environment(tmp_path / "env", orders=2, seed=1, bp_auth="oauth", oauth_ttl_s=ttl)
    try:
        await env.oauth_login()
        tokens = env.connector.tokens.load()
        assert tokens is not None and tokens.expires_in == 86400
        results = await asyncio.wait_for(env.connector.doctor(), timeout=30)
        assert results and all(r.detail is not None for r in results)
        assert "Brightpearl" in " ".join(r.title for r in results if r.ok)
    finally:
        await env.connector.aclose()
