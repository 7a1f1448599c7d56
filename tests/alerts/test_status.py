"""`bp-tui status`: exit codes in each state (0 OK, 1 warning, 2 critical, 3 unknown), the same as
JSON, and a Prometheus textfile that prometheus-client's own parser reads, written atomically."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
import tomli_w
from prometheus_client.parser import text_string_to_metric_families

import bp_tui.state.rows as rows_module
from bp_tui.cli import main
from bp_tui.core.health import Condition
from bp_tui.core.records import utcnow
from bp_tui.paths import resolve_config_path, resolve_state_path
from bp_tui.state import GonRecord, StateStore
from bp_tui.state.alerts import AlertLedger


@pytest.fixture
def config_file():
    path = resolve_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        tomli_w.dumps({"brightpearl": {"account_code": "acme"}, "sync": {"interval_seconds": 60}})
    )
    path.chmod(0o600)
    return path


def state(
    *, cycles: list[tuple[timedelta, str]] = (), notes: dict[str, int] | None = None
) -> StateStore:
    """A state with runs that ended ``ago`` with ``result``, and notes per stage."""
    store = StateStore(resolve_state_path())
    now = utcnow()
    clock = [now]
    with pytest.MonkeyPatch.context() as patch:  # the state's clock: each row written at its time
        patch.setattr(rows_module, "utcnow", lambda: clock[0])
        for ago, result in cycles:
            clock[0] = now - ago
            run = store.meta.start_run("full", 1)
            store.meta.finish_run(
                run,
                {
                    "result": result,
                    "duration_s": 2.5,
                    **({"error": "Brightpearl HTTP 401"} if result != "ok" else {}),
                },
            )
        clock[0] = now
        stages = [stage for stage, count in (notes or {}).items() for _ in range(count)]
        store.save_gons(
            GonRecord(gon_id=n, order_id=n, stage=stage, first_seen=now - timedelta(hours=1))
            for n, stage in enumerate(stages, start=1)
        )
    return store


def status(capsys, *args: str) -> tuple[int, str]:
    code = main(["status", *args])
    return code, capsys.readouterr().out


def test_no_state_is_unknown(config_file, capsys):
    code, out = status(capsys)
    assert code == 3 and "UNKNOWN" in out and "no state database" in out
    assert not resolve_state_path().exists()  # status never creates one
    code, out = status(capsys, "--json")
    assert code == 3 and json.loads(out)["status"] == "UNKNOWN"


def test_no_config_is_unknown(capsys):
    assert status(capsys)[0] == 3


def test_no_cycle_yet_is_unknown(config_file, capsys):
    state().close()
    code, out = status(capsys)
    assert code == 3 and "no cycle has finished yet" in out


def test_a_recent_good_cycle_is_ok(config_file, capsys):
    state(cycles=[(timedelta(minutes=1), "ok")], notes={"imported": 3, "confirmed": 5}).close()
    code, out = status(capsys)
    assert code == 0 and "bp-tui status: OK (account acme)" in out
    assert "imported 3" in out and "oldest unshipped:  60 min" in out
    data = json.loads(status(capsys, "--json")[1])
    assert data["code"] == 0 and data["notes_by_stage"] == {"confirmed": 5, "imported": 3}
    assert data["last_cycle"]["result"] == "ok" and data["last_cycle"]["duration_s"] == 2.5
    assert 3500 < data["oldest_unshipped_age_s"] < 3700 and data["account"] == "acme"


def test_failing_notes_or_a_failed_last_cycle_warn(config_file, capsys):
    state(cycles=[(timedelta(minutes=3), "ok")], notes={"failed": 2}).close()
    code, out = status(capsys)
    assert code == 1 and "2 notes in failed" in out
    resolve_state_path().unlink()
    state(cycles=[(timedelta(minutes=3), "ok"), (timedelta(minutes=1), "failed")]).close()
    code, out = status(capsys)
    assert code == 1 and "the last cycle failed: Brightpearl HTTP 401" in out


def test_no_good_cycle_for_longer_than_the_interval_and_margin_is_critical(config_file, capsys):
    # interval 60 s: the margin is 10 min at least
    state(cycles=[(timedelta(minutes=30), "ok"), (timedelta(minutes=1), "failed")]).close()
    code, out = status(capsys)
    assert code == 2 and "CRITICAL" in out and "no good cycle for over 11 min" in out


def test_an_open_connection_incident_is_critical(config_file, capsys):
    store = state(cycles=[(timedelta(minutes=1), "ok")])
    AlertLedger(store).apply(
        [Condition("connection", "shipstation", active=True, title="t", body="b")], utcnow()
    )
    store.close()
    code, out = status(capsys, "--json")
    data = json.loads(out)
    assert code == 2 and data["open_incidents"] == 1 and data["undelivered_alerts"] == 1
    assert "shipstation cannot be reached (an open connection incident)" in data["reasons"]


def test_the_prometheus_file_parses_and_is_replaced_atomically(config_file, capsys, tmp_path):
    state(cycles=[(timedelta(minutes=1), "ok")], notes={"imported": 3, "failed": 1}).close()
    target = tmp_path / "textfile" / "bp_tui.prom"
    target.parent.mkdir()
    target.write_text("old")
    code, _out = status(capsys, "--prometheus", str(target))
    assert code == 1
    families = {f.name: f for f in text_string_to_metric_families(target.read_text())}
    samples = {(s.name, s.labels.get("stage", "")): s for f in families.values() for s in f.samples}
    assert (
        samples[("bp_tui_status", "")].value == 1
        and samples[("bp_tui_status", "")].labels["account"] == "acme"
    )
    assert (
        samples[("bp_tui_notes", "imported")].value == 3
        and samples[("bp_tui_notes", "failed")].value == 1
    )
    assert samples[("bp_tui_last_cycle_ok", "")].value == 1
    assert samples[("bp_tui_open_incidents", "")].value == 0
    assert 3500 < samples[("bp_tui_oldest_unshipped_age_seconds", "")].value < 3700
    assert (target.stat().st_mode & 0o777) == 0o644
    assert os.listdir(target.parent) == ["bp_tui.prom"]  # no temp file left behind


def test_the_prometheus_file_is_never_written_through_a_link(config_file, capsys, tmp_path):
    state(cycles=[(timedelta(minutes=1), "ok")]).close()
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    link = tmp_path / "bp_tui.prom"
    link.symlink_to(victim)
    code = main(["status", "--prometheus", str(link)])
    err = capsys.readouterr().err
    assert code == 3 and "symbolic link" in err
    assert victim.read_text() == "keep me" and link.is_symlink()


def test_all_profiles_names_each_and_exits_with_the_highest_code(config_file, capsys):
    from bp_tui.state.profiles import Profiles

    state(
        cycles=[(timedelta(minutes=1), "ok")], notes={"imported": 2}
    ).close()  # the install's own: OK
    Profiles().add("brand-2")  # a second profile that has never synced: UNKNOWN
    code, out = status(capsys, "--all-profiles")
    assert code == 3
    assert "[default]" in out and "bp-tui status: OK (account acme)" in out
    assert "[brand-2]" in out and "UNKNOWN" in out
    code, out = status(capsys, "--all-profiles", "--json")
    reports = json.loads(out)
    assert code == 3 and [(r["profile"], r["code"]) for r in reports] == [
        ("default", 0),
        ("brand-2", 3),
    ]
    assert main(["--profile", "brand-2", "status"]) == 3  # one profile alone, as before
    capsys.readouterr()


def test_status_loads_neither_the_clients_nor_the_engine(config_file):
    """Monitors run it every minute: it must start fast (bench: 160 ms at a million notes)."""
    import subprocess
    import sys

    state(cycles=[(timedelta(minutes=1), "ok")]).close()
    code = (
        "import sys; from bp_tui.cli.main import main; code = main(['status']); "
        "heavy = [m for m in ('httpx', 'textual', 'apprise', "
        "'bp_tui.service.connector', 'bp_tui.sync.cycle', "
        "'prometheus_client') if m in sys.modules]; print(heavy); raise SystemExit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_grant_age_counts_from_the_login_not_the_last_refresh(config_file, capsys):
    from bp_tui.state.tokens import TokenSet, TokenStore

    state(cycles=[(timedelta(minutes=1), "ok")]).close()
    path = resolve_config_path()
    path.write_text(
        tomli_w.dumps(
            {
                "brightpearl": {"account_code": "acme", "auth": "oauth", "app_ref": "app"},
                "sync": {"interval_seconds": 60},
            }
        )
    )
    now = utcnow().timestamp()
    TokenStore.beside_state(resolve_state_path()).save(
        TokenSet(
            access_token="a" * 40,
            refresh_token="r" * 40,
            expires_at=now + 3000,
            expires_in=3600,
            api_domain="eu1.brightpearl.com",
            account_code="acme",
            app_ref="app",
            obtained_at=now - 600,
            granted_at=now - 3 * 86_400,
        )
    )  # logged in three days ago, refreshed ten minutes ago
    data = json.loads(status(capsys, "--json")[1])
    assert 3 * 86_400 - 60 < data["oauth_grant_age_s"] < 3 * 86_400 + 60
