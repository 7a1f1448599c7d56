"""`bp-tui state stats`: rows per table and the size on disk; and doctor's warning (not a
failure) when the state file is over 1 GB, with the fix."""

from __future__ import annotations

import json

import bp_tui.cli.troubleshoot_cmd as troubleshoot_cmd
import bp_tui.troubleshoot.doctor as doctor
from bp_tui.cli import main
from bp_tui.core.types import CheckResult
from bp_tui.state import GonRecord, StateStore
from tests.sync.conftest import make_env


def state_with_rows(path):  # type: ignore[no-untyped-def]
    store = StateStore(path)
    store.save_gons(
        [
            GonRecord(gon_id=i, order_id=i, stage="confirmed" if i % 3 else "failed")
            for i in range(1, 31)
        ]
    )
    store.audit.record_intent("brightpearl", "shw", gon_id=1, key="shw:1")
    store.meta.set_watermark("shipments", "2025-01-01T00:00:00+00:00")
    store.close()


def test_stats_prints_rows_per_table_and_the_size(tmp_path, capsys):
    path = tmp_path / "state.sqlite3"
    state_with_rows(path)
    assert main(["--state", str(path), "state", "stats"]) == 0
    out = capsys.readouterr().out
    assert f"state: {path}" in out and "size:" in out and "database" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert (
        lines["gons"].split()[1] == "30"
        and "confirmed 20" in lines["gons"]
        and "failed 10" in lines["gons"]
    )
    assert lines["audit"].split()[1] == "1" and lines["watermarks"].split()[1] == "1"
    assert lines["shipments"].split()[1] == "0"


def test_stats_json(tmp_path, capsys):
    path = tmp_path / "state.sqlite3"
    state_with_rows(path)
    assert main(["--state", str(path), "state", "stats", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["path"] == str(path)
    assert data["rows"]["gons"] == 30 and data["rows"]["audit"] == 1 and data["rows"]["runs"] == 0
    assert data["notes_by_stage"] == {"confirmed": 20, "failed": 10}
    sizes = data["bytes"]
    assert (
        sizes["total"] == sizes["database"] + sizes["wal"]
        and sizes["database"] == path.stat().st_size > 0
    )


def test_stats_without_a_state_says_so_and_creates_nothing(tmp_path, capsys):
    path = tmp_path / "none" / "state.sqlite3"
    assert main(["--state", str(path), "state", "stats"]) == 2
    assert f"{path}: no state database here yet" in capsys.readouterr().err
    assert not path.parent.exists()


async def test_doctor_warns_when_the_state_file_is_big_and_still_passes(tmp_path, monkeypatch):
    env = make_env(tmp_path, orders=10, seed=2)
    try:
        checks = {c.id: c for c in await env.connector.doctor()}
        size = checks["state_size"]
        assert size.ok and not size.warning and not size.fix
        assert (
            size.detail
            == f"under 1.0 GB: {sum(env.connector.store.queue.stage_counts().values()):,} notes "
            "(sync.keep_days = 90)"
        )
        monkeypatch.setattr(doctor, "STATE_WARN_BYTES", 10_000)
        checks = {c.id: c for c in await env.connector.doctor()}
        size = checks["state_size"]
        assert size.ok and size.warning and "kB, over 10.0 kB" in size.detail
        assert "lower sync.keep_days (now 90)" in size.fix
        assert all(c.ok for c in checks.values())
    finally:
        await env.aclose()


def test_doctor_prints_a_warning_with_its_fix_and_exits_0(tmp_path, monkeypatch, capsys):
    warning = CheckResult(
        "state_size",
        "State file size",
        True,
        "1.2 GB for 900,000 notes: over 1.0 GB",
        "lower sync.keep_days (now 90)",
        warning=True,
    )

    class Stub:
        async def doctor(self, on_check=None):  # type: ignore[no-untyped-def]
            checks = [CheckResult("clock", "Clock sane", True, "0 s"), warning]
            for check in checks:
                on_check(check)
            return checks

        async def aclose(self) -> None:
            pass

    monkeypatch.setattr(troubleshoot_cmd, "open_connector", lambda args, **kwargs: Stub())
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "✓ ok   Clock sane: 0 s" in out
    assert "! warn State file size: 1.2 GB for 900,000 notes: over 1.0 GB" in out
    assert "fix: lower sync.keep_days (now 90)" in out
    assert main(["doctor", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["checks"][1]["warning"] is True
