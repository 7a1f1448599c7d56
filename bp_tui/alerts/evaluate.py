"""What the state says after a cycle, as one ``Condition`` per trigger and subject.

Triggers: ``stuck`` (notes in failed or attention longer than ``alerts.stuck_minutes``),
``late`` (the oldest unshipped note past LATE_AFTER), ``connection`` (an API not reached for
longer than ``alerts.connection_minutes``: every cycle since failing on it) and ``state-size``
(the state file near its size warning). Every read is a few index entries, so evaluating costs
the same at a million notes as at a hundred.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bp_tui.alerts.texts import clip, duration, safe
from bp_tui.config import Config, secret_values
from bp_tui.core.health import LATE_AFTER, Condition
from bp_tui.core.records import parse_iso
from bp_tui.core.sizes import human_bytes
from bp_tui.core.stages import Stage
from bp_tui.errors import ApiProblem
from bp_tui.state import StateStore
from bp_tui.troubleshoot.doctor import STATE_WARN_BYTES

SERVICES = {"brightpearl": "Brightpearl", "shipstation": "ShipStation"}
LISTED = 10  # notes named in a message
FIXES = {
    "failed": (
        "Fix: open the dashboard's queue on the failed notes (or run `bp-tui diagnose GON`), "
        "correct the cause the reason names, then retry them (key r)."
    ),
    "attention": (
        "Fix: these notes need a person: open each in the dashboard's queue (or "
        "`bp-tui diagnose GON`) and do what its reason says."
    ),
}


def evaluate(
    store: StateStore,
    config: Config,
    now: datetime,
    *,
    label: str,
    failure: BaseException | None,
    cycle_done: bool,
) -> list[Condition]:
    """The conditions to apply after a cycle that ended with ``failure`` (None: good);
    ``cycle_done`` False (a stop request) leaves the connection triggers as they are."""
    secrets = secret_values(config)
    out = [
        _stuck(store, config, now, label, stage, secrets)
        for stage in (Stage.FAILED, Stage.ATTENTION)
    ]
    out.append(_late(store, now, label))
    out.append(_state_size(store, config, label))
    if isinstance(failure, ApiProblem) and failure.service in SERVICES:
        out.append(_connection(config, label, failure.service, failure, secrets))
    elif failure is None and cycle_done:
        out += [_connection(config, label, service, None, secrets) for service in SERVICES]
    return out


def _stuck(
    store: StateStore, config: Config, now: datetime, label: str, stage: Stage, secrets: list[str]
) -> Condition:
    threshold = timedelta(minutes=config.alerts.stuck_minutes)
    count = store.queue.stage_counts().get(stage, 0)
    cond = Condition(
        "stuck",
        stage,
        active=count > 0,
        threshold=threshold,
        resolved_title=f"bp-tui {label}: resolved, no note is in {stage} any more",
        resolved_body=f"Account {label}: every note that was in {stage} has left it.",
    )
    if not count:
        return cond
    rows = store.db.execute(
        "SELECT gon_id, reason, updated_at FROM gons WHERE stage = ? ORDER BY updated_at LIMIT ?",
        (stage, LISTED),
    ).fetchall()
    cond.since = parse_iso(rows[0]["updated_at"]) if rows else None
    named = [
        f"- GON {r['gon_id']}: {safe(r['reason'] or '(no reason recorded)', secrets)}" for r in rows
    ]
    more = [f"- and {count - len(rows):,} more"] if count > len(rows) else []
    cond.title = (
        f"bp-tui {label}: {count:,} note{'s' if count != 1 else ''} "
        f"in {stage} for over {duration(threshold)}"
    )
    cond.body = clip(
        "\n".join(
            [
                f"Account {label}: {count:,} goods-out note{'s' if count != 1 else ''} in {stage}.",
                *named,
                *more,
                FIXES[stage],
            ]
        )
    )
    return cond


def _late(store: StateStore, now: datetime, label: str) -> Condition:
    oldest = store.queue.oldest_unshipped()
    late = oldest is not None and now - oldest > LATE_AFTER
    cond = Condition(
        "late",
        "oldest-unshipped",
        active=late,
        since=oldest if late else None,
        resolved_title=f"bp-tui {label}: resolved, no note is LATE any more",
        resolved_body=f"Account {label}: every note waiting to be imported or shipped is "
        f"younger than {duration(LATE_AFTER)}.",
    )
    if late and oldest is not None:
        row = store.db.execute(
            "SELECT gon_id, stage FROM gons WHERE first_seen = ? AND stage IN "
            "('ready', 'imported', 'failed') LIMIT 1",
            (oldest.isoformat(),),
        ).fetchone()
        which = f"GON {row['gon_id']} ({row['stage']})" if row else "a note"
        cond.title = (
            f"bp-tui {label}: LATE, the oldest unshipped note has waited {duration(now - oldest)}"
        )
        cond.body = (
            f"Account {label}: {which} has waited "
            f"{duration(now - oldest)} to be imported or shipped "
            f"(LATE after {duration(LATE_AFTER)}).\nFix: check "
            "it in the dashboard's queue (sort by "
            "age); in ShipStation, buy its label; if it failed, fix its reason and retry it."
        )
    return cond


def _state_size(store: StateStore, config: Config, label: str) -> Condition:
    sizes = store.retention.file_sizes()
    total = sizes["database"] + sizes["wal"]
    limit = STATE_WARN_BYTES * config.alerts.state_size_percent // 100
    cond = Condition(
        "state-size",
        "state",
        active=total >= limit,
        resolved_title=f"bp-tui {label}: resolved, the state file is below its size alert",
        resolved_body=f"Account {label}: the state file is {human_bytes(total)}.",
    )
    if cond.active:
        cond.title = (
            f"bp-tui {label}: the state file is {human_bytes(total)}, near its size warning"
        )
        cond.body = (
            f"Account {label}: the state file is "
            f"{human_bytes(total)} (alert at "
            f"{human_bytes(limit)}, "
            f"warning at {human_bytes(STATE_WARN_BYTES)}).\nFix: lower sync.keep_days (now "
            f"{config.sync.keep_days}) so retention removes older confirmed notes; "
            "`bp-tui state stats` shows what takes the room."
        )
    return cond


def _connection(
    config: Config, label: str, service: str, failure: ApiProblem | None, secrets: list[str]
) -> Condition:
    name = SERVICES[service]
    threshold = timedelta(minutes=config.alerts.connection_minutes)
    cond = Condition(
        "connection",
        service,
        active=failure is not None,
        threshold=threshold,
        resolved_title=f"bp-tui {label}: resolved, {name} answers again",
        resolved_body=f"Account {label}: a cycle reached {name} again.",
    )
    if failure is not None:
        fix = (
            "run `bp-tui auth login` (the OAuth grant was refused "
            "or revoked) or correct the credentials "
            "in setup"
            if failure.status in (401, 403) or "revoked" in failure.describe().lower()
            else "check the network and the service's status page; `bp-tui doctor` names what fails"
        )
        cond.title = f"bp-tui {label}: {name} has failed for over {duration(threshold)}"
        cond.body = (
            f"Account {label}: every cycle for {duration(threshold)} failed to reach {name}: "
            f"{safe(failure.describe(), secrets)}\nFix: {fix}."
        )
    return cond


def digest_text(label: str, per_hour: int):  # noqa: ANN201 - a DigestText
    def write(items: list[tuple[str, str]]) -> tuple[str, str]:
        lines = [f"- {title}" for title, _body in items[:40]]
        if len(items) > 40:
            lines.append(f"- and {len(items) - 40} more")
        return (
            f"bp-tui {label}: {len(items)} alerts in one digest (more than {per_hour} an hour)",
            clip(
                "\n".join(
                    [
                        f"Account {label}: alerts held back by alerts.max_per_hour = {per_hour}:",
                        *lines,
                        "Fix: see the troubleshooting screen's Incidents tab or `bp-tui status`.",
                    ]
                )
            ),
        )

    return write
