"""Incidents and their messages in the state (schema version 4).

Every change is one ``BEGIN IMMEDIATE`` transaction, so two processes (the dashboard and a
headless sync) that evaluate or send at the same time take turns: an incident opens once (the
partial unique index on unresolved keys), each event has one message (``UNIQUE(incident_id,
event)``), and a message is sent by whoever claimed it. A claim is a lease: a sender killed
between its claim and its mark leaves a claim that runs out, and the message is sent again then
(at least once; see docs/operations.md).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from bp_tui.core.health import Condition, Incident, OutgoingMessage
from bp_tui.core.records import iso, parse_iso
from bp_tui.state.store import StateStore

DigestText = Callable[[list[tuple[str, str]]], tuple[str, str]]
HOUR = timedelta(hours=1)


class AlertLedger:
    def __init__(self, store: StateStore) -> None:
        self.store = store
        self.db = store.db

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taken at its start (no reader upgraded to a writer half-way)."""
        if self.store.rehearsing:  # a dry run: inside the rehearsal's own transaction
            with self.store.transaction() as db:
                yield db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()

    # ---- incidents -----------------------------------------------------------------------
    def apply(self, conditions: list[Condition], now: datetime) -> list[int]:
        """Open, keep or resolve the incident of each condition; the ids of new messages."""
        created: list[int] = []
        with self._immediate() as db:
            for cond in conditions:
                row = db.execute(
                    "SELECT id, first_seen, opened_at FROM incidents "
                    "WHERE key = ? AND resolved_at IS NULL",
                    (cond.key,),
                ).fetchone()
                if not cond.active:
                    if row is None:
                        continue
                    if row["opened_at"] is None:  # cleared before it became an incident: no message
                        db.execute("DELETE FROM incidents WHERE id = ?", (row["id"],))
                        continue
                    db.execute(
                        "UPDATE incidents SET resolved_at = ? WHERE id = ?", (iso(now), row["id"])
                    )
                    created += self._message(
                        db, row["id"], "resolved", cond.resolved_title, cond.resolved_body, now
                    )
                    continue
                if row is None:
                    first = min(cond.since or now, now)
                    cur = db.execute(
                        "INSERT INTO incidents (key, trigger, subject, title, body, first_seen) "
                        "VALUES (?,?,?,?,?,?)",
                        (cond.key, cond.trigger, cond.subject, cond.title, cond.body, iso(first)),
                    )
                    row = {"id": cur.lastrowid, "first_seen": iso(first), "opened_at": None}
                if row["opened_at"] is not None:
                    db.execute("UPDATE incidents SET body = ? WHERE id = ?", (cond.body, row["id"]))
                    continue
                first_seen = parse_iso(row["first_seen"]) or now
                if cond.since is not None:
                    first_seen = min(first_seen, cond.since)
                if now - first_seen >= cond.threshold:
                    db.execute(
                        "UPDATE incidents SET opened_at = ?, title = ?, body = ? WHERE id = ?",
                        (iso(now), cond.title, cond.body, row["id"]),
                    )
                    created += self._message(db, row["id"], "opened", cond.title, cond.body, now)
        return created

    @staticmethod
    def _message(
        db: sqlite3.Connection, incident_id: int, event: str, title: str, body: str, now: datetime
    ) -> list[int]:
        cur = db.execute(
            "INSERT INTO alert_messages (incident_id, event, title, body, created_at) "
            "VALUES (?,?,?,?,?) ON CONFLICT (incident_id, event) DO NOTHING",
            (incident_id, event, title, body, iso(now)),
        )
        return [int(cur.lastrowid or 0)] if cur.rowcount else []

    def open_count(self) -> int:
        return int(
            self.db.execute(
                "SELECT COUNT(*) FROM incidents WHERE resolved_at IS NULL AND opened_at IS NOT NULL"
            ).fetchone()[0]
        )

    def count(self) -> int:
        """Every incident the state holds: open, waiting for its threshold, or resolved."""
        return int(self.db.execute("SELECT COUNT(*) FROM incidents").fetchone()[0])

    def incidents(self, *, recent: int = 50) -> list[Incident]:
        """The open incidents, then up to ``recent`` resolved ones, newest first."""
        rows = self.db.execute(
            "SELECT * FROM (SELECT * FROM incidents "
            "WHERE resolved_at IS NULL AND opened_at IS NOT NULL) "
            "UNION ALL SELECT * FROM (SELECT * FROM incidents WHERE resolved_at IS NOT NULL "
            "ORDER BY resolved_at DESC LIMIT ?)",
            (recent,),
        ).fetchall()
        found = {r["id"]: r for r in rows}
        messages: dict[tuple[int, str], sqlite3.Row] = {}
        if found:
            marks = ",".join("?" * len(found))
            for m in self.db.execute(
                f"SELECT incident_id, event, status, last_error, claimed_until FROM "
                f"alert_messages WHERE incident_id IN ({marks})",
                list(found),
            ):
                messages[(m["incident_id"], m["event"])] = m
        out = []
        for r in rows:
            opened, resolved = (
                messages.get((r["id"], "opened")),
                messages.get((r["id"], "resolved")),
            )
            errors = [
                m["last_error"] for m in (opened, resolved) if m is not None and m["last_error"]
            ]
            out.append(
                Incident(
                    id=r["id"],
                    key=r["key"],
                    trigger=r["trigger"],
                    subject=r["subject"],
                    title=r["title"],
                    body=r["body"],
                    first_seen=datetime.fromisoformat(r["first_seen"]),  # NOT NULL
                    opened_at=parse_iso(r["opened_at"]),
                    resolved_at=parse_iso(r["resolved_at"]),
                    opened_message=_shown(opened),
                    resolved_message=_shown(resolved),
                    last_error=errors[-1] if errors else "",
                )
            )
        out.sort(
            key=lambda i: (
                i.resolved_at is not None,
                -(i.resolved_at or i.opened_at or i.first_seen).timestamp(),
            )
        )
        return out

    # ---- messages ------------------------------------------------------------------------
    def undelivered_count(self) -> int:
        return int(
            self.db.execute(
                "SELECT COUNT(*) FROM alert_messages WHERE status = 'pending'"
            ).fetchone()[0]
        )

    def failing_count(self) -> int:
        """Messages that were tried and not (yet) taken by every URL."""
        return int(
            self.db.execute(
                "SELECT COUNT(*) FROM alert_messages WHERE status = 'pending' AND attempts > 0"
            ).fetchone()[0]
        )

    def claim(
        self, owner: str, now: datetime, *, lease: timedelta, per_hour: int, digest: DigestText
    ) -> list[OutgoingMessage]:
        """Claim the messages due, within ``per_hour`` messages an hour: when more are due than the
        hour has room for, they go out as one digest (``digest`` writes its text)."""
        with self._immediate() as db:
            due = db.execute(
                "SELECT id, event, title, body, delivered_to FROM alert_messages "
                "WHERE status = 'pending' "
                "AND (claimed_until IS NULL OR claimed_until < ?) "
                "AND (next_try_at IS NULL OR next_try_at <= ?) ORDER BY id",
                (iso(now), iso(now)),
            ).fetchall()
            if not due:
                return []
            used = db.execute(
                "SELECT (SELECT COUNT(*) FROM alert_messages "
                "WHERE sent_at >= ? AND status = 'sent') + "
                "(SELECT COUNT(*) FROM alert_messages "
                "WHERE status = 'pending' AND claimed_until >= ?)",
                (iso(now - HOUR), iso(now)),
            ).fetchone()[0]
            room = per_hour - int(used)
            if room <= 0:
                return []  # held: the hour is full (status shows them as undelivered)
            retried = [r for r in due if r["event"] == "digest"]
            if len(due) > room and not retried:
                title, body = digest([(r["title"], r["body"]) for r in due])
                cur = db.execute(
                    "INSERT INTO alert_messages (event, title, body, created_at) "
                    "VALUES ('digest', ?, ?, ?)",
                    (title, body, iso(now)),
                )
                digest_id = int(cur.lastrowid or 0)
                db.executemany(
                    "UPDATE alert_messages SET status = 'digested', sent_at = NULL WHERE id = ?",
                    [(r["id"],) for r in due],
                )
                due = db.execute(
                    "SELECT id, event, title, body, delivered_to FROM alert_messages WHERE id = ?",
                    (digest_id,),
                ).fetchall()
            else:
                due = due[:room]
            db.executemany(
                "UPDATE alert_messages "
                "SET claim_owner = ?, claimed_until = ?, attempts = attempts + 1 "
                "WHERE id = ?",
                [(owner, iso(now + lease), r["id"]) for r in due],
            )
        return [
            OutgoingMessage(
                r["id"], r["event"], r["title"], r["body"], json.loads(r["delivered_to"])
            )
            for r in due
        ]

    def settle(
        self,
        message_id: int,
        owner: str,
        *,
        delivered_to: list[str],
        complete: bool,
        error: str,
        now: datetime,
        retry_at: datetime | None,
    ) -> bool:
        """After a send: ``complete`` marks it sent; else the claim is given back with the error and
        the time of the next try. False when the claim was no longer ours (it ran out)."""
        with self._immediate() as db:
            if complete:
                cur = db.execute(
                    "UPDATE alert_messages SET status = 'sent', sent_at = ?, delivered_to = ?, "
                    "claimed_until = NULL, last_error = '' WHERE id = ? AND claim_owner = ? "
                    "AND status = 'pending'",
                    (iso(now), json.dumps(delivered_to), message_id, owner),
                )
            else:
                cur = db.execute(
                    "UPDATE alert_messages SET delivered_to = ?, claimed_until = NULL, "
                    "last_error = ?, next_try_at = ? WHERE id = ? AND claim_owner = ? "
                    "AND status = 'pending'",
                    (json.dumps(delivered_to), error, iso(retry_at), message_id, owner),
                )
            return bool(cur.rowcount)

    def message_statuses(self) -> list[tuple[int, str, str, int, str]]:
        """(id, event, status, attempts, last_error) of every message, oldest first
        (tests, bundle)."""
        return [
            tuple(r)
            for r in self.db.execute(
                "SELECT id, event, status, attempts, last_error FROM alert_messages ORDER BY id"
            )
        ]


def _shown(row: sqlite3.Row | None) -> str:
    if row is None:
        return ""
    if row["status"] == "pending":
        return "failed, retrying" if row["last_error"] else "pending"
    return str(row["status"])
