"""The embedded state: one SQLite file (WAL) per connection setup.

It holds a row per goods-out note (stage, reason, attempts, ShipStation ids), the labels
seen for them, an audit log of every API write (an ``intent`` row before the write, its
result after, which is what makes crash recovery possible), sync runs and watermarks.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from bp_tui.core.records import GonRecord, PartRecord, ShipmentRecord, iso, parse_iso, utcnow
from bp_tui.core.types import HistoryEntry
from bp_tui.errors import BpTuiError
from bp_tui.state.schema import APP_ID, CREATE_V1, MIGRATIONS, SCHEMA_VERSION


class StateError(BpTuiError):
    """The state file cannot be used (corrupt, foreign, or from a newer bp-tui)."""


_GON_COLUMNS = (
    "gon_id", "order_id", "stage", "gon_state", "reference", "customer", "warehouse_id", "channel_id",
    "reason", "attempts", "next_attempt_at", "ss_order_key", "ss_order_id", "ss_order_number",
    "ss_payload", "tracking", "confirmed_at", "first_seen", "updated_at",
)
_DATE_COLUMNS = {"next_attempt_at", "confirmed_at", "first_seen", "updated_at"}


class StateStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_db(path)
        self._rehearsing = False

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Writes inside are committed together (in a rehearsal: kept until it ends)."""
        if not self._rehearsing:
            with self.db:
                yield self.db
            return
        self.db.execute("SAVEPOINT tx")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK TO tx")
            self.db.execute("RELEASE tx")
            raise
        self.db.execute("RELEASE tx")

    @contextmanager
    def rehearsal(self) -> Iterator[StateStore]:
        """Everything written inside is thrown away at the end: a dry run changes the state
        as a real run would (so its steps need no dry-run branches), then rolls it all back.
        Costs what the cycle writes, not a copy of the file."""
        self.db.commit()
        self.db.execute("BEGIN")
        self._rehearsing = True
        try:
            yield self
        finally:
            self._rehearsing = False
            self.db.rollback()

    def _select_in(self, sql: str, values: Iterable[Any]) -> Iterator[sqlite3.Row]:
        """Rows of ``sql`` (one ``IN ({marks})``) for the distinct ``values``, 500 at a time
        (SQLite limits the number of parameters of one statement)."""
        wanted = list(set(values))
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            yield from self.db.execute(sql.format(marks=",".join("?" * len(part))), part)

    # ---- goods-out notes -------------------------------------------------------------
    def gon(self, gon_id: int) -> GonRecord | None:
        row = self.db.execute("SELECT * FROM gons WHERE gon_id = ?", (gon_id,)).fetchone()
        return _gon_from_row(row) if row else None

    def gons(self, ids: Iterable[int] | None = None, *, stages: Iterable[str] | None = None) -> dict[int, GonRecord]:
        """Records by id (only those ``ids`` when given), optionally only in ``stages``."""
        stage_list = list(stages) if stages is not None else None
        stage_sql = f" AND stage IN ({','.join('?' * len(stage_list))})" if stage_list else ""
        if ids is None:
            rows: Iterable[sqlite3.Row] = self.db.execute(
                "SELECT * FROM gons WHERE 1=1" + stage_sql, stage_list or []
            )
        else:
            wanted = list(set(ids))
            rows = []
            for i in range(0, len(wanted), 500):
                part = wanted[i : i + 500]
                rows.extend(self.db.execute(
                    f"SELECT * FROM gons WHERE gon_id IN ({','.join('?' * len(part))})" + stage_sql,
                    [*part, *(stage_list or [])],
                ))
        return {row["gon_id"]: _gon_from_row(row) for row in rows}

    def gons_page(self, stages: Iterable[str], *, after: int = 0, limit: int = 1000) -> list[GonRecord]:
        """Records in ``stages`` with gon_id > ``after``, in id order: read a large stage a page
        at a time (keyset paging), so a caller can let other work run in between."""
        stage_list = list(stages)
        rows = self.db.execute(
            f"SELECT * FROM gons WHERE stage IN ({','.join('?' * len(stage_list))}) AND gon_id > ? "
            "ORDER BY gon_id LIMIT ?", [*stage_list, after, limit],
        )
        return [_gon_from_row(row) for row in rows]

    def gons_by_ss_orders(self, ss_order_ids: Iterable[int]) -> dict[int, int]:
        """ShipStation order id -> GON id, for these ShipStation orders (the notes' own orders)."""
        return {r[0]: r[1] for r in self._select_in(
            "SELECT ss_order_id, gon_id FROM gons WHERE ss_order_id IN ({marks})", ss_order_ids)}

    def owners_of_ss_orders(self, ss_order_ids: Iterable[int]) -> dict[int, set[int]]:
        """ShipStation order id -> the notes it carries: the note whose own order it is, and the
        notes it carries as a part of a split order or as the order others were merged into."""
        wanted = list(ss_order_ids)
        out: dict[int, set[int]] = {}
        for ss_id, gon_id in self.gons_by_ss_orders(wanted).items():
            out.setdefault(ss_id, set()).add(gon_id)
        for row in self._select_in("SELECT ss_order_id, gon_id FROM ss_parts WHERE ss_order_id IN ({marks})", wanted):
            out.setdefault(row[0], set()).add(row[1])
        return out

    def gons_with_pending_shipments(self) -> set[int]:
        """Notes with a label still to handle: new, or a late/voided one whose order note is not posted."""
        return {r[0] for r in self.db.execute(
            "SELECT DISTINCT gon_id FROM shipments WHERE role = 'new' OR (role = 'late' AND noted = 0) "
            "OR (voided = 1 AND role IN ('confirmed', 'late') AND void_noted = 0)"
        )}

    def gons_of_orders(self, order_ids: Iterable[int]) -> dict[int, list[GonRecord]]:
        wanted = set(order_ids)
        out: dict[int, list[GonRecord]] = {oid: [] for oid in wanted}
        for row in self._select_in("SELECT * FROM gons WHERE order_id IN ({marks})", wanted):
            out[row["order_id"]].append(_gon_from_row(row))
        return out

    def gon_by_ss_order(self, ss_order_id: int) -> GonRecord | None:
        row = self.db.execute("SELECT * FROM gons WHERE ss_order_id = ?", (ss_order_id,)).fetchone()
        return _gon_from_row(row) if row else None

    def save_gon(self, rec: GonRecord) -> None:
        now = utcnow()
        if rec.first_seen is None:
            rec.first_seen = now
        rec.updated_at = now
        values = []
        for col in _GON_COLUMNS:
            value = getattr(rec, col)
            values.append(iso(value) if col in _DATE_COLUMNS else value)
        self.db.execute(
            f"INSERT OR REPLACE INTO gons ({','.join(_GON_COLUMNS)}) VALUES ({','.join('?' * len(_GON_COLUMNS))})",
            values,
        )

    def save_gons(self, records: Iterable[GonRecord]) -> None:
        with self.transaction():
            for rec in records:
                self.save_gon(rec)

    def make_due(self, gon_ids: Iterable[int] | None = None) -> int:
        """Failed notes (these, or all) become due now: only their next attempt time changes,
        in one statement, so a sync running in another process loses nothing it wrote."""
        with self.transaction():
            if gon_ids is None:
                return self.db.execute(
                    "UPDATE gons SET next_attempt_at = NULL WHERE stage = 'failed'").rowcount
            return sum(self.db.execute(
                f"UPDATE gons SET next_attempt_at = NULL WHERE stage = 'failed' AND gon_id IN ({','.join('?' * len(part))})",
                part).rowcount for part in _chunks(list(set(gon_ids)), 500))

    def count_stage(self, stage: str) -> int:
        """How many notes are in ``stage`` (one count on the stage index)."""
        return int(self.db.execute("SELECT COUNT(*) FROM gons WHERE stage = ?", (stage,)).fetchone()[0])

    def stage_counts(self) -> dict[str, int]:
        return {r[0]: r[1] for r in self.db.execute("SELECT stage, COUNT(*) FROM gons GROUP BY stage")}

    def queue_records(self, *, changed_since: datetime | None = None) -> list[GonRecord]:
        """Every note for the queue, newest first, without its ShipStation payload; with
        ``changed_since``, only the notes updated since then (cheap live updates)."""
        columns = [c for c in _GON_COLUMNS if c != "ss_payload"]
        sql = f"SELECT {', '.join(columns)} FROM gons"
        args: tuple[Any, ...] = ()
        if changed_since is not None:
            sql += " WHERE updated_at >= ?"
            args = (iso(changed_since),)
        out = []
        for row in self.db.execute(sql + " ORDER BY gon_id DESC", args):
            data = dict(zip(columns, row))
            for col in _DATE_COLUMNS:
                data[col] = parse_iso(data[col])
            out.append(GonRecord(**data))
        return out

    # ---- shipments ------------------------------------------------------------------
    def shipments_of(self, gon_ids: Iterable[int]) -> dict[int, list[ShipmentRecord]]:
        wanted = set(gon_ids)
        out: dict[int, list[ShipmentRecord]] = {g: [] for g in wanted}
        sql = "SELECT * FROM shipments WHERE gon_id IN ({marks}) ORDER BY created_at, remote_id"
        for row in self._select_in(sql, wanted):
            out[row["gon_id"]].append(_shipment_from_row(row))
        return out

    def shipment(self, kind: str, remote_id: int, gon_id: int) -> ShipmentRecord | None:
        """A label (or marked-shipped record) as seen for one note."""
        row = self.db.execute(
            "SELECT * FROM shipments WHERE kind = ? AND remote_id = ? AND gon_id = ?", (kind, remote_id, gon_id)
        ).fetchone()
        return _shipment_from_row(row) if row else None

    def shipments_by_remote(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int, int], ShipmentRecord]:
        """The records already kept of these (kind, remote id)s, by (kind, remote id, GON id)."""
        by_kind: dict[str, list[int]] = {}
        for kind, remote_id in set(keys):
            by_kind.setdefault(kind, []).append(remote_id)
        out: dict[tuple[str, int, int], ShipmentRecord] = {}
        for kind, ids in by_kind.items():
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                sql = f"SELECT * FROM shipments WHERE kind = ? AND remote_id IN ({','.join('?' * len(part))})"
                for row in self.db.execute(sql, [kind, *part]):
                    rec = _shipment_from_row(row)
                    out[(rec.kind, rec.remote_id, rec.gon_id)] = rec
        return out

    def save_shipment(self, rec: ShipmentRecord) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO shipments (kind, remote_id, gon_id, ss_order_id, tracking, carrier, service, "
            "shipped_at, created_at, voided, role, noted, void_noted) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (rec.kind, rec.remote_id, rec.gon_id, rec.ss_order_id, rec.tracking, rec.carrier, rec.service,
             iso(rec.shipped_at), iso(rec.created_at), int(rec.voided), rec.role, int(rec.noted),
             int(rec.void_noted)),
        )

    # ---- parts of split and merged ShipStation orders -------------------------------------
    def parts_of(self, gon_ids: Iterable[int]) -> dict[int, list[PartRecord]]:
        """The ShipStation orders that carry each of these notes besides its own (split parts,
        the original included, and the order it was merged into); notes without any are left out."""
        out: dict[int, list[PartRecord]] = {}
        sql = "SELECT * FROM ss_parts WHERE gon_id IN ({marks}) ORDER BY gon_id, ss_order_id"
        for row in self._select_in(sql, gon_ids):
            out.setdefault(row["gon_id"], []).append(_part_from_row(row))
        return out

    def all_parts(self) -> dict[int, list[PartRecord]]:
        """Every note's parts (a small table: only notes whose order was split or merged)."""
        out: dict[int, list[PartRecord]] = {}
        for row in self.db.execute("SELECT * FROM ss_parts ORDER BY gon_id, ss_order_id"):
            out.setdefault(row["gon_id"], []).append(_part_from_row(row))
        return out

    def parts_by_ss_orders(self, ss_order_ids: Iterable[int]) -> dict[int, list[PartRecord]]:
        """ShipStation order id -> the part rows naming it (the notes it carries as a part)."""
        out: dict[int, list[PartRecord]] = {}
        for row in self._select_in("SELECT * FROM ss_parts WHERE ss_order_id IN ({marks})", ss_order_ids):
            out.setdefault(row["ss_order_id"], []).append(_part_from_row(row))
        return out

    def merged_into(self, ss_order_ids: Iterable[int]) -> dict[int, list[int]]:
        """ShipStation order id -> the notes whose orders were merged into it."""
        return {ss_id: [p.gon_id for p in parts if p.kind == "merged"]
                for ss_id, parts in self.parts_by_ss_orders(ss_order_ids).items()
                if any(p.kind == "merged" for p in parts)}

    def save_part(self, part: PartRecord) -> None:
        """Keep one part of a note (inside the caller's transaction); a note is merged into one order."""
        if part.kind == "merged":
            self.db.execute("DELETE FROM ss_parts WHERE gon_id = ? AND kind = 'merged' AND ss_order_id != ?",
                            (part.gon_id, part.ss_order_id))
        self.db.execute(
            "INSERT OR REPLACE INTO ss_parts (gon_id, ss_order_id, kind, order_number, status, seen_at) "
            "VALUES (?,?,?,?,?,?)",
            (part.gon_id, part.ss_order_id, part.kind, part.order_number, part.status,
             iso(part.seen_at or utcnow())),
        )

    # ---- audit log and write intents ---------------------------------------------------
    def intent(self, api: str, action: str, *, gon_id: int | None = None, order_id: int | None = None,
               key: str | None = None, detail: str = "") -> int:
        """Record that a write is about to happen; committed before the write is sent."""
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO audit (at, api, action, gon_id, order_id, key, result, detail) VALUES (?,?,?,?,?,?,?,?)",
                (iso(utcnow()), api, action, gon_id, order_id, key, "intent", detail),
            )
        return int(cur.lastrowid or 0)

    def intents(self, ids_and_results: Iterable[tuple[int, str, str]]) -> None:
        """Settle many intents at once: (audit id, result, detail)."""
        with self.transaction():
            self.db.executemany(
                "UPDATE audit SET result = ?, detail = CASE WHEN ? = '' THEN detail ELSE ? END, at = ? WHERE id = ?",
                [(result, detail, detail, iso(utcnow()), aid) for aid, result, detail in ids_and_results],
            )

    def settle(self, audit_id: int, result: str, detail: str = "") -> None:
        self.intents([(audit_id, result, detail)])

    def intent_many(self, api: str, action: str, items: Iterable[tuple[int | None, int | None, str | None, str]]) -> list[int]:
        """Record several intents in one transaction: (gon_id, order_id, key, detail)."""
        ids: list[int] = []
        with self.transaction():
            for gon_id, order_id, key, detail in items:
                cur = self.db.execute(
                    "INSERT INTO audit (at, api, action, gon_id, order_id, key, result, detail) VALUES (?,?,?,?,?,?,?,?)",
                    (iso(utcnow()), api, action, gon_id, order_id, key, "intent", detail),
                )
                ids.append(int(cur.lastrowid or 0))
        return ids

    def open_intents(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM audit WHERE result = 'intent' ORDER BY id").fetchall()

    def done_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these idempotency keys already have a successful write on record."""
        return {row[0] for row in self._select_in("SELECT key FROM audit WHERE result = 'ok' AND key IN ({marks})",
                                                    keys)}

    def keys_attempted(self, keys: Iterable[str]) -> set[str]:
        """Which of these idempotency keys have any write on record (sent, lost or failed)."""
        return {row[0] for row in self._select_in("SELECT DISTINCT key FROM audit WHERE key IN ({marks})", keys)}

    def history(self, gon_id: int, limit: int = 200) -> list[HistoryEntry]:
        rows = self.db.execute(
            "SELECT at, api, action, result, detail FROM audit WHERE gon_id = ? ORDER BY id DESC LIMIT ?",
            (gon_id, limit),
        ).fetchall()
        return [HistoryEntry(at=parse_iso(r[0]) or utcnow(), api=r[1], action=r[2], result=r[3], detail=r[4])
                for r in rows]

    def recent_audit(self, limit: int = 500) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT at, api, action, gon_id, order_id, result, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [dict(r) for r in rows]

    def audit_count(self, action: str | None = None, result: str | None = "ok") -> int:
        sql, args = "SELECT COUNT(*) FROM audit WHERE 1=1", []
        if action:
            sql += " AND action = ?"
            args.append(action)
        if result:
            sql += " AND result = ?"
            args.append(result)
        return int(self.db.execute(sql, args).fetchone()[0])

    # ---- runs, watermarks, products --------------------------------------------------
    def start_run(self, mode: str, pid: int) -> int:
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO runs (started_at, mode, pid) VALUES (?,?,?)", (iso(utcnow()), mode, pid)
            )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, summary: dict[str, Any]) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE runs SET finished_at = ?, summary = ? WHERE id = ?",
                (iso(utcnow()), json.dumps(summary), run_id),
            )

    def last_run(self) -> tuple[datetime, dict[str, Any]] | None:
        row = self.db.execute(
            "SELECT finished_at, summary FROM runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if not row:
            return None
        return parse_iso(row[0]) or utcnow(), json.loads(row[1] or "{}")

    def watermark(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM watermarks WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_watermark(self, name: str, value: str) -> None:
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO watermarks (name, value) VALUES (?, ?)", (name, value))

    def products(self, ids: Iterable[int]) -> dict[int, tuple[float | None, bool]]:
        sql = "SELECT product_id, weight, stock_tracked FROM products WHERE product_id IN ({marks})"
        return {row[0]: (row[1], bool(row[2])) for row in self._select_in(sql, ids)}

    def save_products(self, items: Iterable[tuple[int, float | None, bool]]) -> None:
        now = iso(utcnow())
        with self.transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO products (product_id, weight, stock_tracked, fetched_at) VALUES (?,?,?,?)",
                [(pid, w, int(st), now) for pid, w, st in items],
            )


STATE_FILE_SUFFIXES = ("", "-wal", "-shm", "-journal")  # the database and what SQLite puts beside it


def open_db(path: Path) -> sqlite3.Connection:
    """Open (creating if absent) and check/migrate the state database.

    The file and its ``-wal``/``-shm`` companions are private (0600) from their first byte:
    the database is created empty with mode 0600 before SQLite opens it, and SQLite gives the
    files it adds beside a database the database's own mode. An existing state whose files are
    looser is tightened to 0600 on open. A disk or permission failure is a StateError naming
    the file and the cause.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _create_private(path)
        is_new = path.stat().st_size == 0
    except OSError as exc:
        raise StateError(f"{exc.filename or path}: cannot open the state database: {exc.strerror or exc}") from None
    _make_private(path)
    try:
        db = sqlite3.connect(path, timeout=30, isolation_level="DEFERRED")
        db.row_factory = sqlite3.Row
        if is_new:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(CREATE_V1)
            db.execute(f"PRAGMA application_id={APP_ID}")
            db.execute("PRAGMA user_version=1")
            db.commit()
            _migrate(db, path, 1)
            _make_private(path)
            return db
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and _is_disk_failure(exc):
            raise StateError(
                f"{path}: cannot open or write the state database ({exc}); check the free space and "
                "the permissions of its folder"
            ) from None
        raise StateError(
            f"{path}: not a usable state database ({exc}). Move it aside to start fresh, or restore a backup; "
            "bp-tui will not overwrite it."
        ) from None
    if app_id != APP_ID:
        db.close()
        raise StateError(f"{path}: this SQLite file is not a bp-tui state database; refusing to use it.")
    if version > SCHEMA_VERSION:
        db.close()
        raise StateError(
            f"{path}: written by a newer bp-tui (state version {version}, this one knows {SCHEMA_VERSION}); "
            "upgrade bp-tui."
        )
    if version < SCHEMA_VERSION:
        _migrate(db, path, version)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("SELECT COUNT(*) FROM gons").fetchone()
    except sqlite3.DatabaseError as exc:
        db.close()
        raise StateError(f"{path}: state database is damaged ({exc}); move it aside or restore a backup.") from None
    _make_private(path)
    return db


def _migrate(db: sqlite3.Connection, path: Path, version: int) -> None:
    """Bring the database from ``version`` to SCHEMA_VERSION, each step in one transaction with
    its version bump (a crash leaves the file at one version or the next, never between; a
    second process opening the file at the same time finds the step done and skips it)."""
    for target in range(version + 1, SCHEMA_VERSION + 1):
        script = MIGRATIONS.get(target)
        if script is None:
            db.close()
            raise StateError(f"{path}: state version {version} cannot be migrated to {SCHEMA_VERSION}.")
        try:
            db.execute("BEGIN IMMEDIATE")
            if db.execute("PRAGMA user_version").fetchone()[0] < target:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={target}")
            db.commit()
        except sqlite3.DatabaseError as exc:
            db.rollback()
            db.close()
            raise StateError(f"{path}: the state database could not be upgraded to version {target} ({exc}); "
                             "nothing was changed. Check the free space and the permissions of its folder.") from None


def _create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (SQLite then starts a new database
    in it, and gives the -wal and -shm files it adds the same mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _make_private(path: Path) -> None:
    """Set the state files that exist and are looser than 0600 to 0600 (they are ours: the state
    path is bp-tui's). A file that cannot be changed (another owner's) is left as it is: the
    companions come and go, and a shared setup is the owner's choice."""
    for suffix in STATE_FILE_SUFFIXES:
        name = f"{path}{suffix}"
        try:
            info = os.stat(name)
            if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
                os.chmod(name, 0o600)
        except OSError:
            continue


def _is_disk_failure(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return any(words in text for words in ("unable to open", "disk is full", "disk i/o", "readonly", "read-only"))


def _gon_from_row(row: sqlite3.Row) -> GonRecord:
    data = {col: row[col] for col in _GON_COLUMNS}
    for col in _DATE_COLUMNS:
        data[col] = parse_iso(data[col])
    return GonRecord(**data)


def _part_from_row(row: sqlite3.Row) -> PartRecord:
    return PartRecord(gon_id=row["gon_id"], ss_order_id=row["ss_order_id"], kind=row["kind"],
                      order_number=row["order_number"], status=row["status"], seen_at=parse_iso(row["seen_at"]))


def _shipment_from_row(row: sqlite3.Row) -> ShipmentRecord:
    return ShipmentRecord(
        kind=row["kind"], remote_id=row["remote_id"], gon_id=row["gon_id"], ss_order_id=row["ss_order_id"],
        tracking=row["tracking"], carrier=row["carrier"], service=row["service"],
        shipped_at=parse_iso(row["shipped_at"]), created_at=parse_iso(row["created_at"]),
        voided=bool(row["voided"]), role=row["role"], noted=bool(row["noted"]), void_noted=bool(row["void_noted"]),
    )


def _chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
