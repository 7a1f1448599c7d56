"""Incidents in the state: each opens once with one message and resolves once with one, across
connections and processes; a claim is a lease; past max_per_hour the rest goes out as a digest."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta

from bp_tui.core.health import Condition
from bp_tui.core.records import utcnow
from bp_tui.state import StateStore
from bp_tui.state.alerts import AlertLedger

LEASE = timedelta(minutes=2)


def digest(items):
    return f"digest of {len(items)}", "\n".join(t for t, _ in items)


def cond(active: bool, subject: str = "failed", threshold: timedelta = timedelta(0)) -> Condition:
    return Condition(
        "stuck",
        subject,
        active=active,
        threshold=threshold,
        title=f"T {subject}",
        body="B",
        resolved_title=f"R {subject}",
        resolved_body="RB",
    )


def test_an_incident_opens_once_and_resolves_once(tmp_path):
    store = StateStore(tmp_path / "s.sqlite3")
    ledger, now = AlertLedger(store), utcnow()
    assert len(ledger.apply([cond(True)], now)) == 1
    assert ledger.apply([cond(True)], now + timedelta(minutes=1)) == []
    assert ledger.open_count() == 1
    other = AlertLedger(StateStore(tmp_path / "s.sqlite3"))  # a second connection (another process)
    assert other.apply([cond(True)], now) == [] and other.open_count() == 1
    assert len(ledger.apply([cond(False)], now + timedelta(minutes=2))) == 1
    assert ledger.apply([cond(False)], now + timedelta(minutes=3)) == []
    assert [(e, s) for _i, e, s, _a, _l in ledger.message_statuses()] == [
        ("opened", "pending"),
        ("resolved", "pending"),
    ]
    assert ledger.open_count() == 0
    [incident] = ledger.incidents()
    assert incident.resolved_at is not None and incident.opened_message == "pending"
    # the same trouble again later is a new incident, with its own two messages
    assert len(ledger.apply([cond(True)], now + timedelta(minutes=4))) == 1
    store.close()
    other.store.close()


def test_a_problem_gone_before_its_threshold_sends_nothing(tmp_path):
    store = StateStore(tmp_path / "s.sqlite3")
    ledger, now = AlertLedger(store), utcnow()
    hour = timedelta(hours=1)
    assert ledger.apply([cond(True, threshold=hour)], now) == []
    assert ledger.apply([cond(True, threshold=hour)], now + timedelta(minutes=30)) == []
    assert ledger.apply([cond(False, threshold=hour)], now + timedelta(minutes=40)) == []
    assert ledger.incidents() == [] and ledger.message_statuses() == []
    assert ledger.apply([cond(True, threshold=hour)], now + timedelta(minutes=50)) == []
    assert len(ledger.apply([cond(True, threshold=hour)], now + timedelta(minutes=111))) == 1
    store.close()


def test_a_claim_is_a_lease_that_a_dead_sender_loses(tmp_path):
    store = StateStore(tmp_path / "s.sqlite3")
    ledger, now = AlertLedger(store), utcnow()
    ledger.apply([cond(True)], now)
    [mine] = ledger.claim("dead", now, lease=LEASE, per_hour=10, digest=digest)
    assert (
        ledger.claim("other", now + timedelta(seconds=30), lease=LEASE, per_hour=10, digest=digest)
        == []
    )
    later = now + LEASE + timedelta(seconds=1)
    [again] = ledger.claim("other", later, lease=LEASE, per_hour=10, digest=digest)
    assert again.id == mine.id
    assert not ledger.settle(
        mine.id, "dead", delivered_to=["a"], complete=True, error="", now=later, retry_at=None
    )  # its claim ran out: the late mark changes nothing
    assert ledger.settle(
        again.id, "other", delivered_to=["a"], complete=True, error="", now=later, retry_at=None
    )
    assert ledger.claim("third", later + LEASE * 2, lease=LEASE, per_hour=10, digest=digest) == []
    store.close()


def test_past_max_per_hour_the_rest_goes_out_as_one_digest(tmp_path):
    store = StateStore(tmp_path / "s.sqlite3")
    ledger, now = AlertLedger(store), utcnow()
    ledger.apply([cond(True, f"s{n}") for n in range(2)], now)
    for m in ledger.claim("me", now, lease=LEASE, per_hour=3, digest=digest):
        ledger.settle(
            m.id, "me", delivered_to=["u"], complete=True, error="", now=now, retry_at=None
        )
    ledger.apply([cond(True, f"s{n}") for n in range(2, 7)], now)
    [one] = ledger.claim("me", now, lease=LEASE, per_hour=3, digest=digest)  # 1 of 3 left this hour
    assert one.event == "digest" and one.title == "digest of 5" and "T s6" in one.body
    ledger.settle(one.id, "me", delivered_to=["u"], complete=True, error="", now=now, retry_at=None)
    ledger.apply([cond(False, "s0")], now)
    assert (
        ledger.claim("me", now, lease=LEASE, per_hour=3, digest=digest) == []
    )  # the hour is full: held
    assert ledger.undelivered_count() == 1
    [resolved] = ledger.claim(
        "me", now + timedelta(minutes=61), lease=LEASE, per_hour=3, digest=digest
    )
    assert resolved.event == "resolved"
    statuses = [s for _i, _e, s, _a, _l in ledger.message_statuses()]
    assert statuses.count("digested") == 5 and statuses.count("sent") == 3
    store.close()


APPLY_MANY = textwrap.dedent("""
    import sys
    from datetime import timedelta
    from pathlib import Path
    from bp_tui.core.health import Condition
    from bp_tui.core.records import utcnow
    from bp_tui.state import StateStore
    from bp_tui.state.alerts import AlertLedger
    store = StateStore(Path(sys.argv[1]))
    ledger = AlertLedger(store)
    made = 0
    for n in range(40):
        c = Condition("stuck", "failed", active=sys.argv[2] == "on", title="T", body="B",
                      resolved_title="R", resolved_body="RB")
        made += len(ledger.apply([c], utcnow()))
    print(made)
""")


def test_two_processes_at_once_make_one_incident_and_two_messages(tmp_path):
    path = tmp_path / "s.sqlite3"
    StateStore(path).close()
    for phase in ("on", "off"):  # the problem is there for both, then gone for both
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", APPLY_MANY, str(path), phase],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        assert sorted(int(p.communicate(timeout=60)[0]) for p in procs) == [0, 1]
    store = StateStore(path)
    ledger = AlertLedger(store)
    events = [e for _i, e, _s, _a, _l in ledger.message_statuses()]
    incidents = ledger.count()  # every row: open, waiting for its threshold or resolved
    store.close()
    assert events == ["opened", "resolved"] and incidents == 1
