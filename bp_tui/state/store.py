"""The embedded state: one SQLite file (WAL) per profile (one Brightpearl account).

It holds a row per goods-out note (stage, reason, attempts, ShipStation ids), the labels seen
for them and the ShipStation orders they were split or merged into, an audit log of every API
write (an ``intent`` row before the write, its result after, which is what makes crash recovery
possible), sync runs, watermarks, product weights, and the alerts' incidents and messages.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bp_tui.core.records import GonRecord, PartRecord, ShipmentRecord, iso
from bp_tui.core.sizes import human_bytes
from bp_tui.errors import StateError
from bp_tui.paths import make_private_folder, open_private, refuse_link
from bp_tui.state.audit import AuditLog
from bp_tui.state.meta import Meta
from bp_tui.state.queue import QueueReads
from bp_tui.state.retention import Retention
from bp_tui.state.rows import (
    DATE_COLUMNS,
    GON_COLUMNS,
    SAVE_GON,
    chunks,
    gon_from_row,
    now,
    part_from_row,
    select_in,
    shipment_from_row,
)
from bp_tui.state.schema import APP_ID, CREATE, MIGRATIONS, SCHEMA_VERSION, VACUUM_AFTER


class StateStore:
    """The state file's connection: its transactions, the notes, their labels and parts; the
    other concerns hang off it as ``queue``, ``audit``, ``retention`` and ``meta``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_db(path)
        # an INSERT OR REPLACE then fires the delete trigger for the row it replaces, so the
        # stage counts stay exact whatever statement writes a note (schema.HISTORY_V2)
        self.db.execute("PRAGMA recursive_triggers = ON")
        self._rehearsing = False
        self._worker = False  # opened by worker()
        # the other concerns, over this connection (its transactions and rehearsals)
        self.queue = QueueReads(self)
        self.audit = AuditLog(self)
        self.retention = Retention(self)
        self.meta = Meta(self)

    def interrupt(self) -> None:
        """Abort the statement this connection runs now, from any thread (it raises
        ``sqlite3.OperationalError: interrupted`` where it runs, and its transaction is rolled
        back); nothing when none runs."""
        self.db.interrupt()

    def close(self, *, checkpoint: bool = True) -> None:
        """Close; a :meth:`worker` connection first checkpoints its WAL, unless ``checkpoint`` is
        false (a stop request: the next connection does it)."""
        if (
            self._worker and checkpoint
        ):  # give the file the pages its WAL holds, and the WAL's space back
            try:  # waiting a second at most for the other connection's reads to end
                self.db.execute("PRAGMA busy_timeout = 1000")
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.DatabaseError:
                pass  # another connection is busy: its own checkpoints will do it
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

    @property
    def rehearsing(self) -> bool:
        """Inside :meth:`rehearsal` (a dry run): writes are rolled back at its end, and only
        this connection sees them."""
        return self._rehearsing

    def worker(self) -> StateStore:
        """Another connection to this state, for long runs of deletions in a worker thread
        (retention) while this one keeps serving the event loop's reads: WAL lets both go on at
        once. Open and use it in that one thread, then close it. Tuned for its work: a 128 MB
        page cache (a batch changes pages all over the notes' random-order indexes: reference,
        tracking, customer; the dashboard's process stays under 250 MB with it); commits not
        synced one by one (``synchronous = NORMAL``: a power cut may undo its last batches,
        which the next cycle removes again, and never damages the file); checkpoints every
        50,000 pages instead of 1,000, so a page changed by many batches is
        copied back once; ``secure_delete = FAST`` (this SQLite is built with it on): deleted rows
        are zeroed on the pages written anyway, but whole pages freed are not rewritten with zeros
        (10-15 % of retention's time), since retention gives every free page back to the file
        system right after (``incremental_vacuum``). :meth:`close` checkpoints the rest and
        truncates the WAL."""
        other = StateStore(self.path)
        other.db.execute("PRAGMA secure_delete = FAST")
        other.db.execute("PRAGMA cache_size = -131072")
        other.db.execute("PRAGMA synchronous = NORMAL")
        other.db.execute("PRAGMA wal_autocheckpoint = 50000")
        # on this connection only (TEMP): a note deleted takes its labels and parts with it
        other.db.execute(
            "CREATE TEMP TRIGGER retire_children AFTER DELETE ON main.gons BEGIN "
            "DELETE FROM shipments WHERE gon_id = OLD.gon_id; "
            "DELETE FROM ss_parts WHERE gon_id = OLD.gon_id; END"
        )
        other._worker = True
        return other

    def _select_in(self, sql: str, values: Iterable[Any]) -> Iterator[sqlite3.Row]:
        return select_in(self.db, sql, values)

    # ---- goods-out notes -------------------------------------------------------------
    def gon(self, gon_id: int) -> GonRecord | None:
        row = self.db.execute("SELECT * FROM gons WHERE gon_id = ?", (gon_id,)).fetchone()
        return gon_from_row(row) if row else None

    def gons(
        self, ids: Iterable[int] | None = None, *, stages: Iterable[str] | None = None
    ) -> dict[int, GonRecord]:
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
                rows.extend(
                    self.db.execute(
                        f"SELECT * FROM gons WHERE gon_id IN ({','.join('?' * len(part))})"
                        + stage_sql,
                        [*part, *(stage_list or [])],
                    )
                )
        return {row["gon_id"]: gon_from_row(row) for row in rows}

    def gons_page(
        self, stages: Iterable[str], *, after: int = 0, limit: int = 1000
    ) -> list[GonRecord]:
        """Records in ``stages`` with gon_id > ``after``, in id order: read a large stage a page
        at a time (keyset paging), so a caller can let other work run in between."""
        stage_list = list(stages)
        rows = self.db.execute(
            f"SELECT * FROM gons WHERE stage IN ({','.join('?' * len(stage_list))}) AND gon_id > ? "
            "ORDER BY gon_id LIMIT ?",
            [*stage_list, after, limit],
        )
        return [gon_from_row(row) for row in rows]

    def gons_by_ss_orders(self, ss_order_ids: Iterable[int]) -> dict[int, int]:
        """ShipStation order id -> GON id, for these ShipStation orders (the notes' own orders)."""
        return {
            r[0]: r[1]
            for r in self._select_in(
                "SELECT ss_order_id, gon_id FROM gons WHERE ss_order_id IN ({marks})", ss_order_ids
            )
        }

    def owners_of_ss_orders(self, ss_order_ids: Iterable[int]) -> dict[int, set[int]]:
        """ShipStation order id -> the notes it carries: the note whose own order it is, and the
        notes it carries as a part of a split order or as the order others were merged into."""
        wanted = list(ss_order_ids)
        out: dict[int, set[int]] = {}
        for ss_id, gon_id in self.gons_by_ss_orders(wanted).items():
            out.setdefault(ss_id, set()).add(gon_id)
        for row in self._select_in(
            "SELECT ss_order_id, gon_id FROM ss_parts WHERE ss_order_id IN ({marks})", wanted
        ):
            out.setdefault(row[0], set()).add(row[1])
        return out

    def gons_of_orders(self, order_ids: Iterable[int]) -> dict[int, list[GonRecord]]:
        wanted = set(order_ids)
        out: dict[int, list[GonRecord]] = {oid: [] for oid in wanted}
        for row in self._select_in("SELECT * FROM gons WHERE order_id IN ({marks})", wanted):
            out[row["order_id"]].append(gon_from_row(row))
        return out

    def gon_by_ss_order(self, ss_order_id: int) -> GonRecord | None:
        row = self.db.execute("SELECT * FROM gons WHERE ss_order_id = ?", (ss_order_id,)).fetchone()
        return gon_from_row(row) if row else None

    def save_gon(self, rec: GonRecord) -> None:
        stamp = now()
        if rec.first_seen is None:
            rec.first_seen = stamp
        rec.updated_at = stamp
        values = []
        for col in GON_COLUMNS:
            value = getattr(rec, col)
            values.append(iso(value) if col in DATE_COLUMNS else value)
        self.db.execute(SAVE_GON, values)

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
                    "UPDATE gons SET next_attempt_at = NULL WHERE stage = 'failed'"
                ).rowcount
            return sum(
                self.db.execute(
                    "UPDATE gons SET next_attempt_at = NULL WHERE stage = 'failed' "
                    f"AND gon_id IN ({','.join('?' * len(part))})",
                    part,
                ).rowcount
                for part in chunks(list(set(gon_ids)), 500)
            )

    # ---- shipments ------------------------------------------------------------------
    def shipments_of(self, gon_ids: Iterable[int]) -> dict[int, list[ShipmentRecord]]:
        wanted = set(gon_ids)
        out: dict[int, list[ShipmentRecord]] = {g: [] for g in wanted}
        sql = "SELECT * FROM shipments WHERE gon_id IN ({marks}) ORDER BY created_at, remote_id"
        for row in self._select_in(sql, wanted):
            out[row["gon_id"]].append(shipment_from_row(row))
        return out

    def shipment(self, kind: str, remote_id: int, gon_id: int) -> ShipmentRecord | None:
        """A label (or marked-shipped record) as seen for one note."""
        row = self.db.execute(
            "SELECT * FROM shipments WHERE kind = ? AND remote_id = ? AND gon_id = ?",
            (kind, remote_id, gon_id),
        ).fetchone()
        return shipment_from_row(row) if row else None

    def shipments_by_remote(
        self, keys: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int, int], ShipmentRecord]:
        """The records already kept of these (kind, remote id)s, by (kind, remote id, GON id)."""
        by_kind: dict[str, list[int]] = {}
        for kind, remote_id in set(keys):
            by_kind.setdefault(kind, []).append(remote_id)
        out: dict[tuple[str, int, int], ShipmentRecord] = {}
        for kind, ids in by_kind.items():
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                sql = (
                    "SELECT * FROM shipments WHERE kind = ? "
                    f"AND remote_id IN ({','.join('?' * len(part))})"
                )
                for row in self.db.execute(sql, [kind, *part]):
                    rec = shipment_from_row(row)
                    out[(rec.kind, rec.remote_id, rec.gon_id)] = rec
        return out

    def save_shipment(self, rec: ShipmentRecord) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO shipments (kind, remote_id, gon_id, ss_order_id, tracking, "
            "carrier, service, shipped_at, created_at, voided, role, noted, void_noted) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                rec.kind,
                rec.remote_id,
                rec.gon_id,
                rec.ss_order_id,
                rec.tracking,
                rec.carrier,
                rec.service,
                iso(rec.shipped_at),
                iso(rec.created_at),
                int(rec.voided),
                rec.role,
                int(rec.noted),
                int(rec.void_noted),
            ),
        )

    # ---- parts of split and merged ShipStation orders -------------------------------------
    def parts_of(self, gon_ids: Iterable[int]) -> dict[int, list[PartRecord]]:
        """The ShipStation orders that carry each of these notes besides its own (split parts,
        the original included, and the order it was merged into); notes without any are left out."""
        out: dict[int, list[PartRecord]] = {}
        sql = "SELECT * FROM ss_parts WHERE gon_id IN ({marks}) ORDER BY gon_id, ss_order_id"
        for row in self._select_in(sql, gon_ids):
            out.setdefault(row["gon_id"], []).append(part_from_row(row))
        return out

    def all_parts(self) -> dict[int, list[PartRecord]]:
        """Every note's parts (a small table: only notes whose order was split or merged)."""
        out: dict[int, list[PartRecord]] = {}
        for row in self.db.execute("SELECT * FROM ss_parts ORDER BY gon_id, ss_order_id"):
            out.setdefault(row["gon_id"], []).append(part_from_row(row))
        return out

    def parts_by_ss_orders(self, ss_order_ids: Iterable[int]) -> dict[int, list[PartRecord]]:
        """ShipStation order id -> the part rows naming it (the notes it carries as a part)."""
        out: dict[int, list[PartRecord]] = {}
        for row in self._select_in(
            "SELECT * FROM ss_parts WHERE ss_order_id IN ({marks})", ss_order_ids
        ):
            out.setdefault(row["ss_order_id"], []).append(part_from_row(row))
        return out

    def merged_into(self, ss_order_ids: Iterable[int]) -> dict[int, list[int]]:
        """ShipStation order id -> the notes whose orders were merged into it."""
        return {
            ss_id: [p.gon_id for p in parts if p.kind == "merged"]
            for ss_id, parts in self.parts_by_ss_orders(ss_order_ids).items()
            if any(p.kind == "merged" for p in parts)
        }

    def save_part(self, part: PartRecord) -> None:
        """Keep one part of a note (inside the caller's transaction); a note is merged into one
        order."""
        if part.kind == "merged":
            self.db.execute(
                "DELETE FROM ss_parts WHERE gon_id = ? AND kind = 'merged' AND ss_order_id != ?",
                (part.gon_id, part.ss_order_id),
            )
        self.db.execute(
            "INSERT OR REPLACE INTO ss_parts "
            "(gon_id, ss_order_id, kind, order_number, status, seen_at) "
            "VALUES (?,?,?,?,?,?)",
            (
                part.gon_id,
                part.ss_order_id,
                part.kind,
                part.order_number,
                part.status,
                iso(part.seen_at or now()),
            ),
        )


STATE_FILE_SUFFIXES = (
    "",
    "-wal",
    "-shm",
    "-journal",
)  # the database and what SQLite puts beside it


def open_db(path: Path) -> sqlite3.Connection:
    """Open (creating if absent) and check/migrate the state database.

    The file and its ``-wal``/``-shm`` companions are private (0600) from their first byte:
    the database is created empty with mode 0600 before SQLite opens it, and SQLite gives the
    files it adds beside a database the database's own mode. An existing state whose files are
    looser is tightened to 0600 on open. A disk or permission failure is a StateError naming
    the file and the cause.
    """
    try:
        make_private_folder(path.parent)
        for suffix in STATE_FILE_SUFFIXES:
            refuse_link(f"{path}{suffix}")  # SQLite would follow a link at any of them
        _create_private(path)
        is_new = path.stat().st_size == 0
    except OSError as exc:
        raise StateError(
            f"{exc.filename or path}: cannot open the state database: {exc.strerror or exc}"
        ) from None
    _make_private(path)
    try:
        db = sqlite3.connect(path, timeout=30, isolation_level="DEFERRED")
        db.row_factory = sqlite3.Row
        if is_new:
            db.execute(
                "PRAGMA auto_vacuum=INCREMENTAL"
            )  # before the first table, or it does not apply
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(CREATE)
            db.execute(f"PRAGMA application_id={APP_ID}")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.commit()
            _make_private(path)
            return db
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and _is_disk_failure(exc):
            raise StateError(
                f"{path}: cannot open or write the state database ({exc}); "
                "check the free space and the permissions of its folder"
            ) from None
        raise StateError(
            f"{path}: not a usable state database ({exc}). "
            "Move it aside to start fresh, or restore a backup; "
            "bp-tui will not overwrite it."
        ) from None
    if app_id != APP_ID:
        db.close()
        raise StateError(
            f"{path}: this SQLite file is not a bp-tui state database; refusing to use it."
        )
    if version > SCHEMA_VERSION:
        db.close()
        raise StateError(
            f"{path}: written by a newer bp-tui (state version {version}, "
            f"this one knows {SCHEMA_VERSION}); "
            "upgrade bp-tui."
        )
    if version < SCHEMA_VERSION:
        _migrate(db, path, version)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("SELECT COUNT(*) FROM gons").fetchone()
    except sqlite3.DatabaseError as exc:
        db.close()
        raise StateError(
            f"{path}: state database is damaged ({exc}); move it aside or restore a backup."
        ) from None
    _make_private(path)
    return db


def _migrate(db: sqlite3.Connection, path: Path, version: int) -> None:
    """Bring the database from ``version`` to SCHEMA_VERSION, each step in one transaction with
    its version bump (a crash leaves the file at one version or the next, never between; a
    second process opening the file at the same time finds the step done and skips it). Before
    the step VACUUM_AFTER, a file without incremental auto_vacuum is rewritten with it (VACUUM
    cannot run inside a transaction; done first, it does not copy the step's new indexes too).
    That needs free disk space (``upgrade_space``), checked before anything is changed; a step
    that fails leaves the file at the version before, and gives its WAL's space back."""
    if version < VACUUM_AFTER and db.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
        short = _space_shortfall(db, path)
        if short:
            db.close()
            raise StateError(
                f"{path}: {short}; nothing was changed. Free some space (or move the state "
                "folder to a larger disk) and start bp-tui again."
            )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        script = MIGRATIONS.get(target)
        if script is None:
            db.close()
            raise StateError(
                f"{path}: state version {version} cannot be migrated to {SCHEMA_VERSION}."
            )
        try:
            if target == VACUUM_AFTER and db.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
                _vacuum_incremental(db)
                _give_back_wal(db)
            db.execute("BEGIN IMMEDIATE")
            if db.execute("PRAGMA user_version").fetchone()[0] < target:
                for statement in _statements(script):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={target}")
            db.commit()
        except sqlite3.DatabaseError as exc:
            db.rollback()
            _give_back_wal(db)
            db.close()
            raise StateError(
                f"{path}: the state database could not be upgraded to version {target} ({exc}); "
                "nothing was lost. Check the free space (an upgrade needs about "
                f"{UPGRADE_SPACE_FACTOR:g} times the file's size) and the permissions of its "
                "folder."
            ) from None
    _give_back_wal(db)


# Free space the upgrade to VACUUM_AFTER needs, in times the database's size (its pages). The VACUUM
# writes a copy in SQLite's temporary folder, then every page again into the WAL (the temporary
# copy still there); the step's indexes, after it, grow the file and the WAL by about INDEX_SHARE
# of its size each. Measured (tests/state/test_upgrade_space.py): 1.9 times the file's size
# at the peak when both are on one file system.
UPGRADE_SPACE_FACTOR = 2
INDEX_SHARE = 0.75  # the new indexes' size against the file's (0.71 measured, 100,000 notes)
SPACE_MARGIN = (
    1.05,
    16 * 1024 * 1024,
)  # times, plus bytes: free space is never used to the last byte


def upgrade_space(size: int, same_device: bool) -> tuple[int, int]:
    """Free bytes the upgrade needs (in the state's folder, in SQLite's temporary folder) for a
    database of ``size`` bytes; on one file system, the first is the whole need."""
    times, extra = SPACE_MARGIN
    temp = int(size * times) + extra
    state = int(max(size, 2 * INDEX_SHARE * size) * times) + extra
    if same_device:
        return int(max(UPGRADE_SPACE_FACTOR * size, 2 * INDEX_SHARE * size) * times) + extra, 0
    return state, temp


def sqlite_temp_dir() -> Path:
    """The folder SQLite puts a VACUUM's temporary copy in (on Unix: the first usable of
    SQLITE_TMPDIR, TMPDIR, /var/tmp, /usr/tmp, /tmp, then the current folder)."""
    for name in (
        os.environ.get("SQLITE_TMPDIR"),
        os.environ.get("TMPDIR"),
        "/var/tmp",
        "/usr/tmp",
        "/tmp",
    ):
        if name and os.path.isdir(name) and os.access(name, os.W_OK | os.X_OK):
            return Path(name)
    return Path(".")


def _free_bytes(folder: Path) -> tuple[int, int]:
    """(free bytes, device) of the file system holding ``folder``."""
    return shutil.disk_usage(folder).free, os.stat(folder).st_dev


def _space_shortfall(db: sqlite3.Connection, path: Path) -> str:
    """Why the upgrade cannot start for want of space (bytes needed and free, where), or ""."""
    page = int(db.execute("PRAGMA page_size").fetchone()[0])
    size = int(db.execute("PRAGMA page_count").fetchone()[0]) * page
    folder, temp = path.parent, sqlite_temp_dir()
    try:
        (free, device), (temp_free, temp_device) = _free_bytes(folder), _free_bytes(temp)
    except OSError:
        return ""  # cannot tell: the upgrade tries, and fails cleanly if space runs out
    need, temp_need = upgrade_space(size, device == temp_device)
    problems = []
    if free < need:
        problems.append(
            f"{need:,} bytes ({human_bytes(need)}) free in {folder}, where {free:,} "
            f"({human_bytes(free)}) are free"
        )
    if temp_need and temp_free < temp_need:
        problems.append(
            f"{temp_need:,} bytes ({human_bytes(temp_need)}) free in {temp} (SQLite's temporary "
            f"folder: set SQLITE_TMPDIR to choose another), where {temp_free:,} "
            f"({human_bytes(temp_free)}) are free"
        )
    if not problems:
        return ""
    return f"upgrading the state ({size:,} bytes, {human_bytes(size)}) needs " + " and ".join(
        problems
    )


def _vacuum_incremental(db: sqlite3.Connection) -> None:
    """Rewrite the file with ``auto_vacuum = INCREMENTAL`` (an existing file takes the setting
    only with a VACUUM). Its temporary copy is SQLite's, removed as it ends, however it ends."""
    db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    db.execute("VACUUM")


def _give_back_wal(db: sqlite3.Connection) -> None:
    """Copy the WAL into the file and truncate it: the space an upgrade's WAL took (about the
    file's size after the VACUUM, even a failed one) goes back to the disk."""
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.DatabaseError:
        pass  # another connection reads: its own checkpoints will do it


def _statements(script: str) -> Iterator[str]:
    """The statements of ``script`` one by one (a trigger's body, with its own semicolons,
    stays whole)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer
            buffer = ""
    if buffer.strip():
        yield buffer


def _create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (SQLite then starts a new database
    in it, and gives the -wal and -shm files it adds the same mode)."""
    try:
        fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
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
            info = os.lstat(name)  # a link is never followed (nor its target's mode changed)
            if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
                os.chmod(name, 0o600)
        except OSError:
            continue


def _is_disk_failure(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return any(
        words in text
        for words in ("unable to open", "disk is full", "disk i/o", "readonly", "read-only")
    )
