"""What the state's classes share: the notes' columns, the row-to-record readers and
the SQL pieces more than one of them uses."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bp_tui.core.records import GonRecord, PartRecord, ShipmentRecord, iso, parse_iso, utcnow

if TYPE_CHECKING:
    from bp_tui.state.store import StateStore

GON_COLUMNS = (
    "gon_id",
    "order_id",
    "stage",
    "gon_state",
    "reference",
    "customer",
    "warehouse_id",
    "channel_id",
    "reason",
    "attempts",
    "next_attempt_at",
    "ss_order_key",
    "ss_order_id",
    "ss_order_number",
    "ss_payload",
    "tracking",
    "confirmed_at",
    "first_seen",
    "updated_at",
)
DATE_COLUMNS = {"next_attempt_at", "confirmed_at", "first_seen", "updated_at"}
QUEUE_COLUMNS = tuple(c for c in GON_COLUMNS if c != "ss_payload")  # what the queue shows
# Stages retention may remove, once older than sync.keep_days.
RETIRED_STAGES = ("confirmed", "cancelled")
# A label with work left: new, or a late/voided one whose order note is not posted. Written as
# the partial index shipments_pending is (schema.HISTORY_V2), so both queries below use it.
PENDING_SHIPMENT = (
    "role = 'new' OR (role = 'late' AND noted = 0) "
    "OR (voided = 1 AND role IN ('confirmed', 'late') AND void_noted = 0)"
)


def now() -> datetime:
    """The state's clock: every time the state writes is read here (tests move it)."""
    return utcnow()


class Concern:
    """One concern of the state (the queue's reads, the audit log, ...) over the store's
    connection: its writes share the store's transactions and rehearsals."""

    def __init__(self, store: StateStore) -> None:
        self._store = store

    @property
    def _db(self) -> sqlite3.Connection:
        return self._store.db

    def _select_in(self, sql: str, values: Iterable[Any]) -> Iterator[sqlite3.Row]:
        return select_in(self._db, sql, values)


def select_in(db: sqlite3.Connection, sql: str, values: Iterable[Any]) -> Iterator[sqlite3.Row]:
    """Rows of ``sql`` (one ``IN ({marks})``) for the distinct ``values``, 500 at a time
    (SQLite limits the number of parameters of one statement)."""
    wanted = list(set(values))
    for i in range(0, len(wanted), 500):
        part = wanted[i : i + 500]
        yield from db.execute(sql.format(marks=",".join("?" * len(part))), part)


def gon_from_row(row: sqlite3.Row) -> GonRecord:
    data = {col: row[col] for col in GON_COLUMNS}
    for col in DATE_COLUMNS:
        data[col] = parse_iso(data[col])
    return GonRecord(**data)


def part_from_row(row: sqlite3.Row) -> PartRecord:
    return PartRecord(
        gon_id=row["gon_id"],
        ss_order_id=row["ss_order_id"],
        kind=row["kind"],
        order_number=row["order_number"],
        status=row["status"],
        seen_at=parse_iso(row["seen_at"]),
    )


def shipment_from_row(row: sqlite3.Row) -> ShipmentRecord:
    return ShipmentRecord(
        kind=row["kind"],
        remote_id=row["remote_id"],
        gon_id=row["gon_id"],
        ss_order_id=row["ss_order_id"],
        tracking=row["tracking"],
        carrier=row["carrier"],
        service=row["service"],
        shipped_at=parse_iso(row["shipped_at"]),
        created_at=parse_iso(row["created_at"]),
        voided=bool(row["voided"]),
        role=row["role"],
        noted=bool(row["noted"]),
        void_noted=bool(row["void_noted"]),
    )


def queue_record(row: sqlite3.Row) -> GonRecord:
    data = {col: row[col] for col in QUEUE_COLUMNS}
    for col in DATE_COLUMNS:
        data[col] = parse_iso(data[col])
    return GonRecord(**data)


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# A note is written whole; an upsert keeps its row (and fires the stage-count trigger on a change).
SAVE_GON = (
    f"INSERT INTO gons ({','.join(GON_COLUMNS)}) VALUES ({','.join('?' * len(GON_COLUMNS))}) "
    "ON CONFLICT(gon_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in GON_COLUMNS if c != "gon_id")
)


def expired_sql(before: datetime, limit: int) -> tuple[str, list[Any]]:
    """SELECT of up to ``limit`` notes retention may remove (see Retention.expired_gons)."""
    return (
        f"SELECT gon_id FROM gons WHERE stage IN ({','.join('?' * len(RETIRED_STAGES))})"
        " AND updated_at < ?"
        " AND gon_id NOT IN"
        " (SELECT gon_id FROM audit WHERE result = 'intent' AND gon_id IS NOT NULL)"
        " AND order_id NOT IN"
        " (SELECT order_id FROM audit WHERE result = 'intent' AND order_id IS NOT NULL)"
        f" AND gon_id NOT IN (SELECT gon_id FROM shipments WHERE {PENDING_SHIPMENT})"
        " LIMIT ?",
        [*RETIRED_STAGES, iso(before), limit],
    )


def chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
