"""`bp-tui status`: how the sync is, from the state alone (no API call), for people and monitors.

Exit codes follow the monitoring-plugin convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
CRITICAL: no good cycle for longer than the interval plus a margin (``stale_after``), an API not
reached (an open connection incident), a revoked OAuth grant. WARNING: the last cycle failed,
notes in failed or attention, an open incident, a message not delivered. UNKNOWN: no state, or no
cycle finished yet. Every read is a few index entries or rows.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bp_tui.config import Config
from bp_tui.core.health import CRITICAL, OK, UNKNOWN, WARNING, StatusReport
from bp_tui.core.records import parse_iso
from bp_tui.state import StateStore
from bp_tui.state.alerts import AlertLedger
from bp_tui.state.tokens import TokenSet

RUNS_LOOKED_AT = 500  # the last good cycle is searched among this many recent runs
MIN_MARGIN = timedelta(minutes=10)


def stale_after(config: Config) -> timedelta:
    """No good cycle for longer than this is CRITICAL: the interval plus a margin of twice the
    interval, at least 10 minutes (a slow cycle, a restart)."""
    interval = timedelta(seconds=config.sync.interval_seconds)
    return interval + max(MIN_MARGIN, 2 * interval)


def read_status(
    store: StateStore, config: Config, now: datetime, *, label: str, tokens: TokenSet | None = None
) -> StatusReport:
    report = StatusReport(code=OK, reasons=[], account=label, state_path=str(store.path), now=now)
    rows = store.db.execute(
        "SELECT finished_at, summary FROM runs WHERE "
        "finished_at IS NOT NULL ORDER BY id DESC LIMIT ?",
        (RUNS_LOOKED_AT,),
    ).fetchall()
    for n, row in enumerate(rows):
        summary = _summary(row["summary"])
        result = str(summary.get("result", "ok"))
        if n == 0:
            report.last_cycle_at = parse_iso(row["finished_at"])
            report.last_cycle_seconds = float(summary.get("duration_s", 0.0) or 0.0)
            report.last_cycle_result = result
            report.last_cycle_error = str(summary.get("error", ""))[:300]
        if result == "ok":
            report.last_good_cycle_at = parse_iso(row["finished_at"])
            break
    report.notes_by_stage = dict(sorted(store.queue.stage_counts().items()))
    report.failing = report.notes_by_stage.get("failed", 0)
    report.attention = report.notes_by_stage.get("attention", 0)
    report.oldest_unshipped_at = store.queue.oldest_unshipped()
    if report.oldest_unshipped_at is not None:
        report.oldest_unshipped_seconds = max(
            0.0, (now - report.oldest_unshipped_at).total_seconds()
        )
    ledger = AlertLedger(store)
    report.open_incidents = ledger.open_count()
    report.undelivered_alerts = ledger.undelivered_count()
    connection = store.db.execute(
        "SELECT subject FROM incidents WHERE trigger = 'connection' AND "
        "resolved_at IS NULL AND opened_at IS NOT NULL"
    ).fetchall()
    if tokens is not None and tokens.obtained_at:
        # the grant's age (since the login); a token file from before it was kept: the token's
        report.grant_age_seconds = max(
            0.0, now.timestamp() - (tokens.granted_at or tokens.obtained_at)
        )
    _judge(report, config, now, [r[0] for r in connection], tokens)
    return report


def _summary(text: str | None) -> dict:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _judge(
    report: StatusReport,
    config: Config,
    now: datetime,
    unreachable: list[str],
    tokens: TokenSet | None,
) -> None:
    critical, warning = [], []
    if report.last_cycle_at is None:
        report.code, report.reasons = (
            UNKNOWN,
            ["no cycle has finished yet (run `bp-tui sync --once`)"],
        )
        return
    limit = stale_after(config)
    if report.last_good_cycle_at is None or now - report.last_good_cycle_at > limit:
        critical.append(
            f"no good cycle for over {int(limit.total_seconds() // 60)} min "
            f"(sync.interval_seconds = {config.sync.interval_seconds}): is `sync --watch` running?"
        )
    critical += [f"{name} cannot be reached (an open connection incident)" for name in unreachable]
    if tokens is not None and tokens.revoked:
        critical.append("the Brightpearl OAuth grant was revoked: run `bp-tui auth login`")
    if report.last_cycle_result not in ("ok", "stopped"):
        warning.append(
            "the last cycle failed"
            + (f": {report.last_cycle_error}" if report.last_cycle_error else "")
        )
    if report.failing:
        warning.append(f"{report.failing:,} notes in failed")
    if report.attention:
        warning.append(f"{report.attention:,} notes need attention")
    if report.open_incidents:
        warning.append(f"{report.open_incidents} open incidents")
    if report.undelivered_alerts:
        warning.append(f"{report.undelivered_alerts} alert messages not delivered yet")
    report.code = CRITICAL if critical else WARNING if warning else OK
    report.reasons = critical + warning


def as_json(report: StatusReport) -> dict:
    def when(value: datetime | None) -> str | None:
        return value.astimezone(UTC).isoformat(timespec="seconds") if value else None

    return {
        "status": report.word,
        "code": report.code,
        "reasons": report.reasons,
        "account": report.account,
        "state": report.state_path,
        "last_cycle": {
            "finished_at": when(report.last_cycle_at),
            "duration_s": report.last_cycle_seconds,
            "result": report.last_cycle_result or None,
            "error": report.last_cycle_error or None,
        },
        "last_good_cycle_at": when(report.last_good_cycle_at),
        "notes_by_stage": report.notes_by_stage,
        "failing": report.failing,
        "attention": report.attention,
        "oldest_unshipped_at": when(report.oldest_unshipped_at),
        "oldest_unshipped_age_s": report.oldest_unshipped_seconds,
        "open_incidents": report.open_incidents,
        "undelivered_alerts": report.undelivered_alerts,
        "oauth_grant_age_s": report.grant_age_seconds,
    }


def prometheus_text(report: StatusReport) -> bytes:
    """The node_exporter textfile format, written by prometheus-client; every series is labelled
    with the account (a profile later)."""
    from prometheus_client import CollectorRegistry, Gauge, generate_latest  # only when asked for

    registry = CollectorRegistry()
    labels = ["account"]

    def gauge(
        name: str, doc: str, value: float | None, extra: dict[str, str] | None = None
    ) -> None:
        if value is None:
            return
        g = Gauge(name, doc, labels + list(extra or {}), registry=registry)
        g.labels(report.account, *(extra or {}).values()).set(value)

    gauge(
        "bp_tui_status",
        "bp-tui status exit code: 0 OK, 1 warning, 2 critical, 3 unknown",
        report.code,
    )
    gauge(
        "bp_tui_last_cycle_timestamp_seconds",
        "when the last cycle finished",
        report.last_cycle_at.timestamp() if report.last_cycle_at else None,
    )
    gauge(
        "bp_tui_last_cycle_duration_seconds",
        "how long the last cycle took",
        report.last_cycle_seconds,
    )
    gauge(
        "bp_tui_last_cycle_ok",
        "1 when the last cycle succeeded",
        None if not report.last_cycle_result else float(report.last_cycle_result == "ok"),
    )
    gauge(
        "bp_tui_last_good_cycle_timestamp_seconds",
        "when the last good cycle finished",
        report.last_good_cycle_at.timestamp() if report.last_good_cycle_at else None,
    )
    notes = Gauge(
        "bp_tui_notes", "goods-out notes per stage", ["account", "stage"], registry=registry
    )
    for stage, count in report.notes_by_stage.items():
        notes.labels(report.account, stage).set(count)
    gauge(
        "bp_tui_oldest_unshipped_age_seconds",
        "age of the oldest note to import or ship",
        report.oldest_unshipped_seconds if report.oldest_unshipped_seconds is not None else 0.0,
    )
    gauge("bp_tui_open_incidents", "open alert incidents", report.open_incidents)
    gauge(
        "bp_tui_undelivered_alerts", "alert messages not delivered yet", report.undelivered_alerts
    )
    gauge(
        "bp_tui_oauth_grant_age_seconds",
        "age of the Brightpearl OAuth grant (since the login)",
        report.grant_age_seconds,
    )
    return generate_latest(registry)


def write_textfile(path: Path, payload: bytes) -> None:
    """Atomically: a new file in the same folder (mode 0644: node_exporter runs as its own user
    and must read it; it holds counts and ages, no secret and no customer data), then a rename
    over ``path``. A ``path`` that is a link is refused, never written through."""
    folder = path.parent
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            raise OSError(f"{path}: is a symbolic link; give the real path (no link is followed)")
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=folder
    )  # O_EXCL: no link followed
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
