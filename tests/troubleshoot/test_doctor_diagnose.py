"""Doctor checks and per-note diagnosis against the sandboxes."""

from __future__ import annotations

import json
import os
import stat

import pytest

from bp_tui.config import secret_values
from tests.sync.conftest import make_env


@pytest.fixture
async def env(tmp_path):
    environment = make_env(tmp_path, orders=40, seed=2)
    yield environment
    await environment.aclose()


async def test_doctor_all_green_on_the_sandbox(env):
    seen = []
    checks = await env.connector.doctor(seen.append)
    assert [c.id for c in seen] == [c.id for c in checks]
    failing = [(c.id, c.detail) for c in checks if not c.ok]
    assert failing == []
    ids = {c.id for c in checks}
    assert {
        "config",
        "bp_reach",
        "bp_auth",
        "bp_account",
        "bp_channels",
        "bp_warehouses",
        "bp_staff",
        "ss_auth",
        "ss_store",
        "bp_budget",
        "ss_budget",
        "clock",
    } <= ids


async def test_doctor_names_each_problem_with_a_fix(env):
    env.connector.config.brightpearl.channel_ids = [1, 999]
    env.connector.config.brightpearl.warehouse_ids = [777]
    env.connector.config.shipstation.store_id = 4242
    checks = {c.id: c for c in await env.connector.doctor()}
    assert (
        not checks["bp_channels"].ok
        and "999" in checks["bp_channels"].detail
        and checks["bp_channels"].fix
    )
    assert not checks["bp_warehouses"].ok and "777" in checks["bp_warehouses"].detail
    assert (
        not checks["ss_store"].ok and "4242" in checks["ss_store"].detail and checks["ss_store"].fix
    )


async def test_doctor_names_the_staff_contact_and_refuses_one_that_is_not_staff(env):
    checks = {c.id: c for c in await env.connector.doctor()}
    assert checks["bp_staff"].ok and "Alex Admin" in checks["bp_staff"].detail  # the sandbox's 203
    env.connector.config.brightpearl.staff_contact_id = 555  # a customer's contact, or a typo
    checks = {c.id: c for c in await env.connector.doctor()}
    staff = checks["bp_staff"]
    assert not staff.ok and "555 is not a staff contact" in staff.detail
    assert "203 Alex Admin" in staff.fix and "Setup lists them" in staff.fix


async def test_doctor_bad_credentials(env):
    env.config.brightpearl.password = "wrong-password-123"
    env.config.shipstation.api_secret = "wrong-secret-456"
    env.connector.reload_config(env.config)
    checks = {c.id: c for c in await env.connector.doctor()}
    assert checks["bp_auth"].ok is False and "username and password" in checks["bp_auth"].fix
    assert checks["ss_auth"].ok is False and "API key" in checks["ss_auth"].fix
    text = json.dumps([c.__dict__ for c in checks.values()])
    assert "wrong-password-123" not in text and "wrong-secret-456" not in text


async def test_diagnose_covers_every_kind_of_note(env):
    await env.connector.run_cycle()
    gons = env.bp.gons
    not_printed = next(
        g
        for g, n in gons.items()
        if n["orderId"] and not n["status"]["printed"] and not n["status"]["shipped"]
    )
    transfer = next(g for g, n in gons.items() if n["orderId"] == 0)
    failed = next(r for r in env.connector.queue_rows() if r.stage == "failed")
    rejected = next(
        r for r in env.connector.queue_rows() if r.reason.startswith("ShipStation rejected it")
    )
    imported = next(r for r in env.connector.queue_rows() if r.stage == "imported")

    (d,) = await env.connector.diagnose(not_printed)
    assert "is not printed: print it in Brightpearl" in d.verdict and d.fix
    (d,) = await env.connector.diagnose(transfer)
    assert "transfer" in d.verdict
    (d,) = await env.connector.diagnose(failed.gon_id)
    assert "cannot be sent" in d.verdict or "failed" in d.verdict
    (d,) = await env.connector.diagnose(rejected.gon_id)
    assert "ShipStation rejected it: Invalid country code 'UK'" in d.verdict
    (d,) = await env.connector.diagnose(imported.gon_id)
    assert f"imported as ShipStation order {imported.ss_order_id} (awaiting_shipment)" in d.verdict
    env.ss.create_label(imported.ss_order_id, tracking_number="DIAG-TRACK-1")
    await env.connector.run_cycle()
    (d,) = await env.connector.diagnose(imported.gon_id)
    assert "DIAG-TRACK-1 confirmed in Brightpearl" in d.verdict
    # by order id: one verdict per goods-out note
    results = await env.connector.diagnose(imported.order_id)
    assert any(r.gon_id == imported.gon_id for r in results)


async def test_diagnose_order_without_gon_and_unknown_id(env):
    order_id = env.bp.add_order(rows=[(1001, 1)])
    (d,) = await env.connector.diagnose(order_id)
    assert "has no goods-out note yet" in d.verdict
    (d,) = await env.connector.diagnose(987654321)
    assert "no goods-out note and no order" in d.verdict


async def test_diagnose_channel_and_warehouse_filters(env):
    gid, gon = next(
        (g, n)
        for g, n in env.bp.gons.items()
        if n["orderId"] and n["status"]["printed"] and not n["status"]["shipped"]
    )
    channel = env.bp.orders[gon["orderId"]]["assignment"]["current"]["channelId"]
    env.connector.config.brightpearl.channel_ids = [c for c in (1, 2, 3) if c != channel][:1]
    (d,) = await env.connector.diagnose(gid)
    assert f"order is on channel {channel}, not in channel_ids" in d.verdict
    env.connector.config.brightpearl.channel_ids = []
    env.connector.config.brightpearl.warehouse_ids = [
        w for w in (1, 2, 3) if w != gon["warehouseId"]
    ][:1]
    (d,) = await env.connector.diagnose(gid)
    assert f"warehouse {gon['warehouseId']} is not in warehouse_ids" in d.verdict


async def test_support_bundle_has_no_secret_and_is_0600(env, tmp_path):
    await env.connector.run_cycle()
    path = env.connector.export_support_bundle(tmp_path / "bundle")
    text = path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for secret in secret_values(env.config):
        assert secret not in text
    data = json.loads(text)
    assert data["versions"]["bp-tui"] and data["stages"]["imported"] > 0
    assert data["recent_errors"] and data["recent_audit"]
    newest = data["recent_audit"][0]
    assert set(newest) == {"at", "api", "action", "gon_id", "order_id", "result", "detail"}
    assert newest["at"].endswith("+00:00") and newest["api"] in {"brightpearl", "shipstation"}
    assert data["config"]["brightpearl"]["password"] == "[redacted]"


async def test_clock_check_uses_the_servers_date_header(env):
    from bp_tui.troubleshoot.doctor import _clock_check

    env.connector.bp.last_server_date = "Mon, 01 Jan 2001 00:00:00 GMT"
    check = _clock_check(env.connector)
    assert check.ok is False and "NTP" in check.fix
    from datetime import UTC, datetime
    from email.utils import format_datetime

    env.connector.bp.last_server_date = format_datetime(datetime.now(UTC), usegmt=True)
    env.connector.ss.last_server_date = None
    assert _clock_check(env.connector).ok is True


async def test_diagnose_gives_the_fix_for_each_mapping_reason(env):
    await env.connector.run_cycle()
    by_reason = {r.reason: r for r in env.connector.queue_rows() if r.stage == "failed"}
    (no_rows,) = await env.connector.diagnose(by_reason["the goods-out note has no rows"].gon_id)
    assert "create it again from the order" in no_rows.fix
    (no_country,) = await env.connector.diagnose(
        by_reason["delivery address has no country"].gon_id
    )
    assert "delivery address" in no_country.fix and "country" in no_country.fix


async def test_support_bundle_lists_incidents_without_secrets(env, tmp_path):
    from datetime import timedelta

    from bp_tui.core.health import Condition
    from bp_tui.core.records import utcnow
    from bp_tui.state.alerts import AlertLedger

    await env.connector.run_cycle()
    secret = secret_values(env.config)[0]
    stuck = Condition(
        "stuck",
        "failed",
        active=True,
        threshold=timedelta(0),
        title="3 notes failing",
        body=f"see the queue ({secret})",
        resolved_title="fixed",
        resolved_body="fixed",
    )
    AlertLedger(env.connector.store).apply([stuck], utcnow())
    text = env.connector.export_support_bundle(tmp_path / "bundle").read_text()
    assert secret not in text
    [incident] = json.loads(text)["incidents"]
    assert incident["trigger"] == "stuck" and incident["subject"] == "failed"
    assert incident["title"] == "3 notes failing" and incident["resolved_at"] is None
    assert incident["opened_at"].endswith("+00:00") and incident["opened_message"] == "pending"
    assert secret not in incident["body"] and incident["body"].startswith("see the queue (")
