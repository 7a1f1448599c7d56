"""Delivery through Apprise to a webhook receiver on 127.0.0.1: once per event, across a restart
and two senders, retried after a failure, never holding a cycle back; the text is safe."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta

import pytest

import bp_tui.alerts.deliver as deliver
import bp_tui.service.connector as connector_module
import bp_tui.state.rows as rows_module
from bp_tui.alerts.deliver import Dispatcher, ping
from bp_tui.config import AlertSettings
from bp_tui.core.health import Condition
from bp_tui.core.records import utcnow
from bp_tui.state import GonRecord, StateStore
from bp_tui.state.alerts import AlertLedger
from tests.alerts.receiver import Receiver
from tests.state_helpers import written_again_at
from tests.sync.conftest import make_env


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch):
    monkeypatch.setattr(deliver, "READ_TIMEOUT_S", 1.0)
    monkeypatch.setattr(deliver, "CONNECT_TIMEOUT_S", 1.0)


LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def open_failed(ledger: AlertLedger, active: bool = True) -> list[int]:
    return ledger.apply(
        [
            Condition(
                "stuck",
                "failed",
                active=active,
                title="bp-tui acme: 1 note in failed",
                body="GON 7",
                resolved_title="bp-tui acme: resolved",
                resolved_body="ok",
            )
        ],
        utcnow(),
    )


def test_one_message_per_event_and_none_twice(tmp_path, receiver):
    path = tmp_path / "s.sqlite3"
    store = StateStore(path)
    ledger = AlertLedger(store)
    dispatcher = Dispatcher(path, AlertSettings(urls=receiver.url()), label="acme")
    open_failed(ledger)
    for _ in range(3):
        dispatcher.kick()
        assert dispatcher.wait(10)
    assert receiver.titles() == ["bp-tui acme: 1 note in failed"]
    assert receiver.messages[0]["type"] == "failure"
    open_failed(ledger, active=False)
    dispatcher.kick()
    assert dispatcher.wait(10)
    dispatcher.kick()
    assert dispatcher.wait(10)
    assert receiver.titles() == ["bp-tui acme: 1 note in failed", "bp-tui acme: resolved"]
    store.close()


def test_a_failing_webhook_is_retried_and_shown_and_delivered_once_it_answers(tmp_path, receiver):
    path = tmp_path / "s.sqlite3"
    store = StateStore(path)
    ledger = AlertLedger(store)
    dispatcher = Dispatcher(
        path, AlertSettings(urls=receiver.url("T0KEN-in-path")), label="acme", retry=timedelta(0)
    )
    open_failed(ledger)
    receiver.mode = "fail"
    dispatcher.kick()
    assert dispatcher.wait(10)
    [(_id, _event, status, attempts, error)] = ledger.message_statuses()
    assert status == "pending" and attempts == 1 and error and "T0KEN" not in error
    assert ledger.incidents()[0].opened_message == "failed, retrying"
    receiver.mode = "ok"
    dispatcher.kick()
    assert dispatcher.wait(10)
    dispatcher.kick()
    assert dispatcher.wait(10)
    assert receiver.titles() == ["bp-tui acme: 1 note in failed"]
    assert [s for _i, _e, s, _a, _l in ledger.message_statuses()] == ["sent"]
    store.close()


def test_a_url_that_took_it_is_not_sent_it_again_when_another_failed(tmp_path, receiver):
    other = Receiver()
    try:
        path = tmp_path / "s.sqlite3"
        store = StateStore(path)
        ledger = AlertLedger(store)
        urls = f"{receiver.url()}, {other.url()}"
        dispatcher = Dispatcher(path, AlertSettings(urls=urls), label="acme", retry=timedelta(0))
        open_failed(ledger)
        other.mode = "fail"
        dispatcher.kick()
        assert dispatcher.wait(10)
        other.mode = "ok"
        dispatcher.kick()
        assert dispatcher.wait(10)
        assert len(receiver.titles()) == 1 and len(other.titles()) == 1
        store.close()
    finally:
        other.close()


def test_heartbeat_follows_the_healthchecks_convention(receiver):
    url = f"http://127.0.0.1:{receiver.port}/ping/abc"
    assert ping(url, True) and ping(url, False)
    assert receiver.gets == ["/ping/abc", "/ping/abc/fail"]
    receiver.mode = "fail"
    assert not ping(url, True)


KILLED_SENDER = textwrap.dedent("""
    import os, signal, sys
    from datetime import timedelta
    from pathlib import Path
    from bp_tui.core.health import Condition
    from bp_tui.core.records import utcnow
    from bp_tui.state import StateStore
    from bp_tui.state.alerts import AlertLedger
    ledger = AlertLedger(StateStore(Path(sys.argv[1])))
    ledger.apply([Condition("stuck", "failed", active=True, title="T", body="B")], utcnow())
    if sys.argv[2] == "claim":  # killed between its claim and its send
        ledger.claim("doomed", utcnow(), lease=timedelta(seconds=2), per_hour=10, digest=None)
    os.kill(os.getpid(), signal.SIGKILL)
""")


@pytest.mark.parametrize("where", ["after-cycle", "claim"])
def test_kill_9_then_the_next_process_sends_it_once(tmp_path, receiver, where):
    path = tmp_path / "s.sqlite3"
    StateStore(path).close()
    proc = subprocess.run([sys.executable, "-c", KILLED_SENDER, str(path), where], timeout=60)
    assert proc.returncode == -signal.SIGKILL
    store = StateStore(path)
    ledger = AlertLedger(store)
    dispatcher = Dispatcher(path, AlertSettings(urls=receiver.url()), label="acme")
    dispatcher.kick()
    assert dispatcher.wait(10)
    if where == "claim":  # the dead sender's lease holds for 2 s, then it is claimed again
        assert receiver.titles() == []
        time.sleep(3.1)
        dispatcher.kick()
        assert dispatcher.wait(10)
    assert receiver.titles() == ["T"]
    assert (
        ledger.apply([Condition("stuck", "failed", active=True, title="T", body="B")], utcnow())
        == []
    )
    dispatcher.kick()
    assert dispatcher.wait(10)
    assert receiver.titles() == ["T"]
    store.close()


TWO_SENDERS = textwrap.dedent("""
    import sys
    from pathlib import Path
    from bp_tui.alerts.deliver import Dispatcher
    from bp_tui.config import AlertSettings
    from bp_tui.core.health import Condition
    from bp_tui.core.records import utcnow
    from bp_tui.state import StateStore
    from bp_tui.state.alerts import AlertLedger
    path = Path(sys.argv[1])
    ledger = AlertLedger(StateStore(path))
    dispatcher = Dispatcher(path, AlertSettings(urls=sys.argv[2]), label="acme")
    for n in range(15):
        ledger.apply([Condition("stuck", "failed", active=n < 8, title="open", body="B",
                                resolved_title="resolved", resolved_body="RB")], utcnow())
        dispatcher.kick()
        dispatcher.wait(10)
""")


def test_the_dashboard_and_a_headless_sync_at_once_send_each_event_once(tmp_path, receiver):
    path = tmp_path / "s.sqlite3"
    StateStore(path).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", TWO_SENDERS, str(path), receiver.url()])
        for _ in range(2)
    ]
    for p in procs:
        assert p.wait(timeout=120) == 0
    # What a process left pending at its exit (a send that timed out on a loaded machine, waiting
    # for its retry, or a claim whose lease still holds) goes with the next run, as it would in
    # production: an hour later, past every retry and lease.
    later = Dispatcher(
        path,
        AlertSettings(urls=receiver.url()),
        label="acme",
        clock=lambda: utcnow() + timedelta(hours=1),
    )
    later.kick()
    assert later.wait(30)
    titles = receiver.titles()
    assert titles.count("open") == titles.count("resolved") >= 1
    store = StateStore(path)
    # the incidents opened: the open ones and every resolved one (only an opened one resolves)
    incidents = len(AlertLedger(store).incidents(recent=10**6))
    store.close()
    assert titles.count("open") == incidents  # one message per incident and event, never two


async def test_a_hanging_webhook_adds_under_a_second_to_a_cycle_and_is_delivered_later(
    tmp_path, receiver
):
    env = make_env(tmp_path, orders=0)
    order_id = env.bp.add_order(rows=[(1001, 1)])
    env.bp.orders[order_id]["parties"]["delivery"]["countryIsoCode"] = (
        ""  # cannot be mapped: failed
    )
    env.bp.add_gon(order_id, state="printed")
    conn = env.connector
    conn.config.alerts.urls = receiver.url()
    conn.alerts.retry = timedelta(0)
    try:
        await conn.run_cycle()
        written_again_at(conn.store, LONG_AGO)  # failed for long
        receiver.mode, receiver.hang_s = "hang", 4.0
        for _ in range(2):
            started = time.monotonic()
            summary = await conn.run_cycle()
            added = time.monotonic() - started - summary.duration_s
            assert added <= 1.0, f"alerts added {added:.2f} s to the cycle"
        assert receiver.titles() == []
        assert conn.incidents()[0].opened_message in ("pending", "failed, retrying")
        await asyncio.to_thread(conn.alerts.wait, 10)
        receiver.mode = "ok"
        await conn.run_cycle()
        await asyncio.to_thread(conn.alerts.wait, 10)
        [title] = receiver.titles()
        assert title.startswith(f"bp-tui {conn.label}: 1 note in failed")
        assert conn.open_incident_count() == 1
    finally:
        await env.aclose()


async def test_a_revoked_login_opens_a_connection_incident_and_its_text_is_safe(tmp_path, receiver):
    env = make_env(tmp_path, orders=3)
    conn = env.connector
    conn.config.alerts.urls = receiver.url()
    conn.config.alerts.connection_minutes = 1
    password = str(conn.config.brightpearl.password)
    try:
        await conn.run_cycle()
        env.bp.password = "changed-by-the-admin"
        env.bp.expire_tokens()  # the session ends; logging in again is refused
        with pytest.MonkeyPatch.context() as patch:  # the failures began an hour ago
            patch.setattr(connector_module, "utcnow", lambda: utcnow() - timedelta(hours=1))
            for _ in range(2):
                with pytest.raises(Exception):
                    await conn.run_cycle()
        with pytest.raises(Exception):
            await conn.run_cycle()
        await asyncio.to_thread(conn.alerts.wait, 10)
        [message] = receiver.messages
        assert message["title"] == f"bp-tui {conn.label}: Brightpearl has failed for over 1 min"
        assert "Fix:" in message["message"] and conn.label in message["message"]
        text = message["title"] + message["message"]
        assert password not in text and "\x1b" not in text
        env.bp.password = password
        await conn.run_cycle()
        await asyncio.to_thread(conn.alerts.wait, 10)
        assert [m["title"] for m in receiver.messages][
            1
        ] == f"bp-tui {conn.label}: resolved, Brightpearl answers again"
    finally:
        await env.aclose()


async def test_api_text_in_a_message_is_inert_and_without_secrets(tmp_path, receiver):
    env = make_env(tmp_path, orders=0)
    conn = env.connector
    conn.config.alerts.urls = receiver.url()
    secret = str(conn.config.shipstation.api_key)
    try:
        await conn.run_cycle()
        with pytest.MonkeyPatch.context() as patch:  # written long ago
            patch.setattr(rows_module, "utcnow", lambda: LONG_AGO)
            conn.store.save_gon(
                GonRecord(
                    gon_id=9,
                    order_id=1,
                    stage="attention",
                    reason=f"ShipStation said \x1b]0;owned\x07 key {secret} \u202e",
                )
            )
        await conn.run_cycle()
        await asyncio.to_thread(conn.alerts.wait, 10)
        [message] = [m for m in receiver.messages if "attention" in m["title"]]
        body = message["message"]
        assert "GON 9" in body and "Fix:" in body and conn.label in body
        assert (
            secret not in body
            and "\x1b" not in body
            and "\x07" not in body
            and "\u202e" not in body
        )
        assert "\\x1b" in body  # shown as text
    finally:
        await env.aclose()


async def test_an_incident_stays_single_across_a_restart_of_the_connector(tmp_path, receiver):
    from bp_tui.sandbox.environment import in_process
    from bp_tui.service.connector import Connector
    from tests.sync.conftest import FAST_CLIENTS

    env = make_env(tmp_path, orders=0)
    order_id = env.bp.add_order(rows=[(1001, 1)])
    env.bp.orders[order_id]["parties"]["delivery"]["countryIsoCode"] = (
        ""  # cannot be mapped: failed
    )
    env.bp.add_gon(order_id, state="printed")
    env.config.alerts.urls = receiver.url()
    env.config.alerts.stuck_minutes = 1
    await env.connector.run_cycle()
    written_again_at(env.connector.store, LONG_AGO)
    await env.connector.run_cycle()
    await env.connector.aclose()  # the process ends (its messages in flight finish first)
    for _ in range(2):  # started again, twice
        again = Connector(
            env.config,
            env.state_path,
            bp_transport=in_process(env.bp.app),
            ss_transport=in_process(env.ss.app),
            client_options=dict(FAST_CLIENTS),
        )
        try:
            await again.run_cycle()
        finally:
            await again.aclose()
    assert [t.split(":")[1].strip() for t in receiver.titles()] == [
        "1 note in failed for over 1 min"
    ]
