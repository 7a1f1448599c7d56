"""Shapes of alerts and health that cross the service seam: incidents, their messages, and what
``bp-tui status`` reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

# A note waiting this long to be imported or shipped is LATE (the queue's header, alerts, status).
LATE_AFTER = timedelta(hours=4)

# monitoring-plugin exit codes (Nagios, Icinga, Sensu, ...), used by `bp-tui status`
OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATUS_WORDS = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}


@dataclass
class Incident:
    """One alert: a trigger (``stuck``, ``late``, ``connection``, ``state-size``) on a subject,
    opened once and resolved once; each of the two sends one message."""

    id: int
    key: str  # trigger:subject
    trigger: str
    subject: str
    title: str
    body: str
    first_seen: datetime
    opened_at: datetime | None
    resolved_at: datetime | None
    opened_message: str = ""  # pending | sent | failed | digested | held ("" when none)
    resolved_message: str = ""
    last_error: str = ""


@dataclass
class AlertSendResult:
    """One Apprise URL, masked (``json://127.0.0.1:****/...``), and whether it took the message."""

    url: str
    ok: bool
    detail: str = ""


@dataclass
class StatusReport:
    """What `bp-tui status` says, read from the state only."""

    code: int
    reasons: list[str]
    account: str
    state_path: str
    last_cycle_at: datetime | None = None
    last_cycle_seconds: float | None = None
    last_cycle_result: str = ""  # ok | failed | "" (none yet)
    last_cycle_error: str = ""
    last_good_cycle_at: datetime | None = None
    notes_by_stage: dict[str, int] = field(default_factory=dict)
    failing: int = 0
    attention: int = 0
    oldest_unshipped_at: datetime | None = None
    oldest_unshipped_seconds: float | None = None
    open_incidents: int = 0
    undelivered_alerts: int = 0
    grant_age_seconds: float | None = None
    now: datetime | None = None

    @property
    def word(self) -> str:
        return STATUS_WORDS[self.code]


@dataclass
class Condition:
    """What one evaluation found for a trigger and subject: ``active`` (the problem is there),
    since when (None: since first seen by an evaluation), and after how long it is an incident.
    Titles and bodies are safe text already (no secret, no terminal control)."""

    trigger: str
    subject: str
    active: bool
    threshold: timedelta = timedelta(0)
    since: datetime | None = None
    title: str = ""
    body: str = ""
    resolved_title: str = ""
    resolved_body: str = ""

    @property
    def key(self) -> str:
        return f"{self.trigger}:{self.subject}"


@dataclass
class OutgoingMessage:
    """A message claimed for sending: the URLs (by hash) that already took it are skipped."""

    id: int
    event: str  # opened | resolved | digest
    title: str
    body: str
    delivered_to: list[str]
