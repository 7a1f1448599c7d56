"""Doctor on ShipStation V2: it names the API, checks the V2 key with the read a sync makes, and
says why the store cannot be checked; a V1 install's checks read as before."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from bp_tui.troubleshoot.doctor import server_time
from tests.sync.conftest import make_env


@pytest.fixture
async def env(tmp_path):
    environment = make_env(tmp_path, orders=10, seed=2, ss_api="v2")
    yield environment
    await environment.aclose()


async def test_doctor_is_green_on_v2_and_names_it(env):
    checks = {c.id: c for c in await env.connector.doctor()}
    assert [(i, c.detail) for i, c in checks.items() if not c.ok] == []
    auth = checks["ss_auth"]
    assert auth.title == "ShipStation V2 key accepted"
    assert auth.detail == "API V2 at https://shipstation.sandbox: labels readable"
    assert (
        "no stores endpoint" in checks["ss_store"].detail
        and "se-518237" in checks["ss_store"].detail
    )
    assert checks["ss_budget"].ok and "left in this minute" in checks["ss_budget"].detail
    assert [p for _t, m, p, _s in env.ss.request_log if m == "GET"][0].startswith("/v2/labels?")


async def test_a_wrong_v2_key_fails_with_how_to_make_one(env):
    env.config.shipstation.api_key = "a-v1-key-123"
    env.connector.reload_config(env.config)
    checks = {c.id: c for c in await env.connector.doctor()}
    auth = checks["ss_auth"]
    assert auth.ok is False and "HTTP 401" in auth.detail and "V2" in auth.fix
    assert "ss_store" not in checks and "ss_budget" not in checks
    assert "a-v1-key-123" not in json.dumps([c.__dict__ for c in checks.values()])


async def test_a_v1_install_keeps_its_checks(tmp_path):
    env = make_env(tmp_path, orders=10, seed=2)
    try:
        checks = {c.id: c for c in await env.connector.doctor()}
        assert checks["ss_auth"].title == "ShipStation credentials accepted"
        assert checks["ss_auth"].detail == "2 stores visible"
    finally:
        await env.aclose()


async def test_doctor_reads_the_labels_in_one_request_however_many_there_are(env):
    await env.connector.run_cycle()
    for order in env.open_orders()[:5]:
        env.ss.create_label(order["orderId"])  # labels of the last minute
    before = len(env.ss.request_log)
    checks = {c.id: c for c in await env.connector.doctor()}
    assert checks["ss_auth"].ok
    reads = [
        p
        for _t, m, p, _s in env.ss.request_log[before:]
        if m == "GET" and p.startswith("/v2/labels")
    ]
    assert len(reads) == 1 and "page_size=500" in reads[0]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Mon, 07 Dec 2026 03:00:00 GMT", datetime(2026, 12, 7, 3, 0, tzinfo=UTC)),
        (
            "Mon, 07 Dec 2026 03:00:00 -0000",
            datetime(2026, 12, 7, 3, 0, tzinfo=UTC),
        ),  # naive from the parser
        ("Mon, 07 Dec 2026 04:00:00 +0100", datetime(2026, 12, 7, 3, 0, tzinfo=UTC)),
        (
            "Mon, 07 Dec 2026 03:00:00 GMT, Mon, 07 Dec 2026 03:00:01 GMT",
            datetime(2026, 12, 7, 3, 0, tzinfo=UTC),
        ),
        ("07 Dec 2026 03:00:00", datetime(2026, 12, 7, 3, 0, tzinfo=UTC)),
        (datetime(2026, 12, 7, 3, 0), datetime(2026, 12, 7, 3, 0, tzinfo=UTC)),
        (None, None),
        ("", None),
        ("yesterday", None),
        ("Mon, 99 Foo 2026 99:00:00 GMT", None),
    ],
)
def test_any_date_header_is_read_without_crashing(raw, expected):
    assert server_time(raw) == expected


@pytest.mark.parametrize("form", ["minus_zero", "duplicated", "missing"])
async def test_the_clock_check_reads_a_minus_zero_a_duplicated_or_a_missing_date(env, form):
    now = datetime.now(UTC).replace(tzinfo=None)
    header = {
        "minus_zero": format_datetime(now),  # a naive time: "... -0000"
        "duplicated": f"{format_datetime(now, usegmt=False)}, {format_datetime(now)}",
        "missing": None,
    }[form]
    assert form == "missing" or "-0000" in header
    await env.connector.run_cycle()
    env.connector.ss.last_server_date = header  # the last answer's Date header
    env.connector.bp.last_server_date = None
    clock = {c.id: c for c in await env.connector.doctor()}["clock"]
    assert clock.ok, clock.detail
    assert ("no server time seen" in clock.detail) is (form == "missing")
