"""The embedded state: one SQLite file (WAL) per connection setup.

It holds a row per goods-out note (stage, reason, attempts, ShipStation ids), the labels
seen for them, an audit log of every API write (an ``intent`` row before the write, its
result after, which is what makes crash recovery possible), sync runs and watermarks.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from bp_tui.core.records import GonRecord, PartRecord, ShipmentRecord, iso, parse_iso, utcnow
from bp_tui.core.sizes import human_bytes
from bp_tui.core.types import HistoryEntry
from bp_tui.errors import BpTuiError
from bp_tui.paths import make_private_folder, open_private, refuse_link
from bp_tui.state.queries import (
    QUEUE_SORTS,
    SEARCH_LIMIT,
    SORT_SQL,
    Search,
    order_by,
    stage_order,
    stage_rank_sql,
)
from bp_tui.state.schema import APP_ID, CREATE, MIGRATIONS, SCHEMA_VERSION, VACUUM_AFTER


class StateError(BpTuiError):
    """The state file cannot be used (corrupt, foreign, or from a newer bp-tui)."""


_GON_COLUMNS = (
    "gon_id", "order_id", "stage", "gon_state", "reference", "customer", "warehouse_id", "channel_id",
    "reason", "attempts", "next_attempt_at", "ss_order_key", "ss_order_id", "ss_order_number",
    "ss_payload", "tracking", "confirmed_at", "first_seen", "updated_at",
)
_DATE_COLUMNS = {"next_attempt_at", "confirmed_at", "first_seen", "updated_at"}
_QUEUE_COLUMNS = tuple(c for c in _GON_COLUMNS if c != "ss_payload")  # what the queue shows
# Stages retention may remove, once older than sync.keep_days.
RETIRED_STAGES = ("confirmed", "cancelled")
# A label with work left: new, or a late/voided one whose order note is not posted. Written as
# the partial index shipments_pending is (schema.HISTORY_V2), so both queries below use it.
PENDING_SHIPMENT = ("role = 'new' OR (role = 'late' AND noted = 0) "
                    "OR (voided = 1 AND role IN ('confirmed', 'late') AND void_noted = 0)")


class StateStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_db(path)
        # an INSERT OR REPLACE then fires the delete trigger for the row it replaces, so the
        # stage counts stay exact whatever statement writes a note (schema.HISTORY_V2)
        self.db.execute("PRAGMA recursive_triggers = ON")
        self._rehearsing = False
        self._worker = False  # opened by worker()

    def interrupt(self) -> None:
        """Abort the statement this connection runs now, from any thread (it raises
        ``sqlite3.OperationalError: interrupted`` where it runs, and its transaction is rolled
        back); nothing when none runs."""
        self.db.interrupt()

    def close(self, *, checkpoint: bool = True) -> None:
        """Close; a :meth:`worker` connection first checkpoints its WAL, unless ``checkpoint`` is
        false (a stop request: the next connection does it)."""
        if self._worker and checkpoint:  # give the file the pages its WAL holds, and the WAL's space back
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
        other.db.execute("CREATE TEMP TRIGGER retire_children AFTER DELETE ON main.gons BEGIN "
                         "DELETE FROM shipments WHERE gon_id = OLD.gon_id; "
                         "DELETE FROM ss_parts WHERE gon_id = OLD.gon_id; END")
        other._worker = True
        return other

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
        return {r[0] for r in self.db.execute(f"SELECT DISTINCT gon_id FROM shipments WHERE {PENDING_SHIPMENT}")}

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
        self.db.execute(_SAVE_GON, values)

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
        """Notes per stage (stages with none left out): a read of the counts the triggers keep."""
        return {r[0]: r[1] for r in self.db.execute("SELECT stage, n FROM stage_counts WHERE n > 0")}

    # ---- the queue, a page at a time ----------------------------------------------------
    def queue_page(self, *, stage: str | None = None, search: str = "", sort: str = "stage",
                   offset: int = 0, limit: int = 100) -> tuple[list[GonRecord], int]:
        """One page of the queue (records without their ShipStation payload) and how many notes
        the view holds: ``stage`` only (None: all), matching ``search`` (GON id, order id,
        reference, tracking, customer: see ``queries.Search``), in ``sort`` order (QUEUE_SORTS).

        Filters, search and sorting are SQL on indexes; a page deep in a large view is read
        from its nearer end. A search looks at SEARCH_LIMIT + 1 notes at most: a total above
        SEARCH_LIMIT means "more than that"."""
        if sort not in QUEUE_SORTS:
            raise ValueError(f"unknown sort {sort!r}; one of {', '.join(QUEUE_SORTS)}")
        offset, limit = max(0, offset), max(0, limit)
        found = Search.parse(search)
        if found is not None:
            ids, total = self._search_page(found, stage, sort, offset, limit)
        elif sort == "stage":
            counts = self.stage_counts()
            segments = [(s, counts.get(s, 0)) for s in ([stage] if stage else stage_order(list(counts)))]
            ids, total = self._stage_page(segments, offset, limit), sum(n for _s, n in segments)
        else:
            total = self.stage_counts().get(stage, 0) if stage else sum(self.stage_counts().values())
            ids = self._sorted_page(stage, sort, offset, limit, total)
        return self._queue_records_in_order(ids), total

    def queue_records_of(self, gon_ids: Iterable[int]) -> dict[int, GonRecord]:
        """These notes as the queue shows them (a live refresh re-reads the rows on screen)."""
        return {r.gon_id: r for r in self._queue_records_in_order(list(gon_ids))}

    def queue_position(self, gon_id: int, *, stage: str | None = None, search: str = "",
                       sort: str = "stage") -> int | None:
        """Where the note is in that view (its offset), or None when the view does not hold it."""
        rec = self.gon(gon_id)
        if rec is None or (stage and rec.stage != stage):
            return None
        found = Search.parse(search)
        if found is not None:
            ids, _total = self._search_page(found, stage, sort, 0, SEARCH_LIMIT + 1)
            return ids.index(gon_id) if gon_id in ids else None
        if sort == "stage":
            counts = self.stage_counts()
            stages = [stage] if stage else stage_order(list(counts))
            before = sum(counts.get(s, 0) for s in stages[: stages.index(rec.stage)])
            row = self.db.execute("SELECT COUNT(*) FROM gons WHERE stage = ? AND gon_id > ?",
                                  (rec.stage, gon_id)).fetchone()
            return before + int(row[0])
        # rows before it: a key smaller (in the sort's direction), or the same key and an
        # earlier gon_id; an index range count
        (col, way), *_rest = SORT_SQL[sort]
        if col == "gon_id":
            where = "gon_id < ?" if way == "ASC" else "gon_id > ?"
            args: list[object] = [gon_id]
        else:
            value = self.db.execute(f"SELECT {col} FROM gons WHERE gon_id = ?", (gon_id,)).fetchone()[0]
            ahead, tie = ("<", "<") if way == "ASC" else (">", ">")
            where = f"({col} {ahead} ? OR ({col} = ? AND gon_id {tie} ?))"
            args = [value, value, gon_id]
        if stage:
            where += " AND stage = ?"
            args.append(stage)
        return int(self.db.execute(f"SELECT COUNT(*) FROM gons WHERE {where}", args).fetchone()[0])

    def _search_page(self, found: Search, stage: str | None, sort: str, offset: int,
                     limit: int) -> tuple[list[int], int]:
        # "+stage": the stage filter must not pick the stage index over the search's ranges
        where = found.where + (" AND +stage = ?" if stage else "")
        args = [*found.args, *([stage] if stage else [])]
        hits = f"SELECT gon_id FROM gons WHERE {where} LIMIT {SEARCH_LIMIT + 1}"
        total = int(self.db.execute(f"SELECT COUNT(*) FROM ({hits})", args).fetchone()[0])
        order = f"ORDER BY {stage_rank_sql()}, gon_id DESC" if sort == "stage" else order_by(sort)
        rows = self.db.execute(f"SELECT gon_id FROM gons WHERE gon_id IN ({hits}) {order} LIMIT ? OFFSET ?",
                               [*args, limit, offset])
        return [r[0] for r in rows], total

    def _stage_page(self, segments: list[tuple[str, int]], offset: int, limit: int) -> list[int]:
        """Rows [offset, offset+limit) of the stages laid end to end (each newest GON first)."""
        ids: list[int] = []
        start = 0
        for stage, count in segments:
            lo, hi = max(offset, start), min(offset + limit, start + count)
            if lo < hi:
                ids += self._window("SELECT gon_id FROM gons WHERE stage = ?", [stage],
                                    (("gon_id", "DESC"),), lo - start, hi - lo, count)
            start += count
        return ids

    def _sorted_page(self, stage: str | None, sort: str, offset: int, limit: int, total: int) -> list[int]:
        sql, args = "SELECT gon_id FROM gons", []
        if stage:
            sql, args = sql + " WHERE stage = ?", [stage]
        return self._window(sql, args, SORT_SQL[sort], offset, limit, total)

    def _window(self, sql: str, args: list[Any], columns: tuple[tuple[str, str], ...], offset: int, limit: int,
                total: int) -> list[int]:
        """``limit`` ids from ``offset`` of ``sql`` ordered by ``columns`` ((column, ASC|DESC), …),
        of ``total`` rows; a window past the middle is read backwards from the end (an OFFSET
        costs the rows it skips)."""
        limit = max(0, min(limit, total - offset))
        if limit == 0:
            return []
        backwards = offset + limit / 2 > total / 2
        flip = {"ASC": "DESC", "DESC": "ASC"}
        order = ", ".join(f"{col} {flip[way] if backwards else way}" for col, way in columns)
        skip = total - offset - limit if backwards else offset
        ids = [r[0] for r in self.db.execute(f"{sql} ORDER BY {order} LIMIT ? OFFSET ?", [*args, limit, skip])]
        return ids[::-1] if backwards else ids

    def _queue_records_in_order(self, ids: list[int]) -> list[GonRecord]:
        found: dict[int, GonRecord] = {}
        sql = f"SELECT {', '.join(_QUEUE_COLUMNS)} FROM gons WHERE gon_id IN ({{marks}})"
        for row in self._select_in(sql, ids):
            found[row["gon_id"]] = _queue_record(row)
        return [found[i] for i in ids if i in found]

    # ---- the operator's header -----------------------------------------------------------
    def oldest_unshipped(self) -> datetime | None:
        """When the longest-waiting note still to be imported or shipped was first seen: ready,
        imported (in ShipStation, no label yet), or failed before it reached ShipStation."""
        row = self.db.execute(
            "SELECT MIN(t) FROM ("
            " SELECT MIN(first_seen) AS t FROM gons WHERE stage = 'ready'"
            " UNION ALL SELECT MIN(first_seen) FROM gons WHERE stage = 'imported'"
            " UNION ALL SELECT MIN(first_seen) FROM gons WHERE stage = 'failed' AND ss_order_id IS NULL)"
        ).fetchone()
        return parse_iso(row[0]) if row and row[0] else None

    def activity_by_hour(self, since: datetime) -> dict[str, tuple[int, int]]:
        """Per UTC hour since ``since`` ("YYYY-MM-DDTHH"): notes sent to ShipStation (audit rows
        of import writes that succeeded) and notes confirmed (their confirmed_at); one query."""
        start = iso(since)
        out: dict[str, tuple[int, int]] = {}
        for kind, hour, count in self.db.execute(
            "SELECT 'imported', substr(at, 1, 13), COUNT(DISTINCT gon_id) FROM audit"
            " WHERE at >= ? AND action = 'import' AND result = 'ok' GROUP BY 2"
            " UNION ALL SELECT 'confirmed', substr(confirmed_at, 1, 13), COUNT(*) FROM gons"
            " WHERE confirmed_at >= ? GROUP BY 2", (start, start),
        ):
            imported, confirmed = out.get(hour, (0, 0))
            out[hour] = (imported + count, confirmed) if kind == "imported" else (imported, confirmed + count)
        return out

    # ---- retention ---------------------------------------------------------------------
    def expired_gons(self, before: datetime, limit: int = 1000) -> list[int]:
        """Up to ``limit`` notes retention may remove: confirmed or cancelled, unchanged since
        ``before``, with no write of theirs (or of their order) left open and no label with
        work left."""
        sql, args = _expired_sql(before, limit)
        return [r[0] for r in self.db.execute(sql, args)]

    def retire_batch(self, before: datetime, limit: int = 1000) -> int:
        """Remove up to ``limit`` of the notes :meth:`expired_gons` lists, with their shipments and
        their ShipStation parts (split, merged), in one transaction; how many notes. On a
        :meth:`worker` connection that is one statement (its temporary trigger takes a note's
        shipments and parts along): the worker thread takes the GIL back from the busy dashboard
        only at the statement's end, not once per row or per table."""
        if not self._worker:
            return self.remove_gons(self.expired_gons(before, limit))[0]
        sql, args = _expired_sql(before, limit)
        with self.transaction():
            return self.db.execute(f"DELETE FROM gons WHERE gon_id IN ({sql})", args).rowcount

    def remove_gons(self, gon_ids: Iterable[int]) -> tuple[int, int]:
        """Remove these notes, their shipments and their ShipStation parts, in one transaction:
        (notes, shipments)."""
        wanted = list(set(gon_ids))
        notes = shipments = 0
        with self.transaction():
            for part in _chunks(wanted, 500):
                marks = ",".join("?" * len(part))
                shipments += self.db.execute(f"DELETE FROM shipments WHERE gon_id IN ({marks})", part).rowcount
                self.db.execute(f"DELETE FROM ss_parts WHERE gon_id IN ({marks})", part)
                notes += self.db.execute(f"DELETE FROM gons WHERE gon_id IN ({marks})", part).rowcount
        return notes, shipments

    def prune_audit(self, before: datetime, limit: int = 1000) -> int:
        """Remove up to ``limit`` audit rows written before ``before``, never an open intent
        (recovery needs it); one transaction."""
        with self.transaction():
            return self.db.execute(
                "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? AND result <> 'intent' LIMIT ?)",
                (iso(before), limit)).rowcount

    def free_pages(self) -> int:
        return int(self.db.execute("PRAGMA freelist_count").fetchone()[0])

    def incremental_vacuum(self, pages: int) -> int:
        """Give up to ``pages`` free pages back to the file system (auto_vacuum = INCREMENTAL);
        how many were freed. Nothing in a rehearsal (its deletions are rolled back)."""
        if self._rehearsing or pages <= 0:  # (0 would mean every free page at once)
            return 0
        before = self.free_pages()
        # each step of this pragma frees one page, and execute() steps a statement without
        # result columns once: executescript runs it to the end
        self.db.executescript(f"PRAGMA incremental_vacuum({int(pages)});")
        return before - self.free_pages()

    # ---- size --------------------------------------------------------------------------
    def table_rows(self) -> dict[str, int]:
        """Rows per table of the state (sqlite_ tables and the counts table left out)."""
        names = [r[0] for r in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name <> 'stage_counts' ORDER BY name")]
        return {name: int(self.db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]) for name in names}

    def file_sizes(self) -> dict[str, int]:
        """Bytes on disk: the database, its -wal, and the free pages inside the database."""
        page = int(self.db.execute("PRAGMA page_size").fetchone()[0])
        sizes = {"database": _size(self.path), "wal": _size(Path(f"{self.path}-wal")),
                 "free": self.free_pages() * page}
        return sizes

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
            data = dict(zip(columns, row, strict=True))
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

    def latest_results(self, keys: Iterable[str]) -> dict[str, str]:
        """The result of the newest audit row of each of these keys that has one."""
        sql = ("SELECT key, result FROM audit WHERE id IN "
               "(SELECT MAX(id) FROM audit WHERE key IN ({marks}) GROUP BY key)")
        return {row[0]: row[1] for row in self._select_in(sql, keys)}

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
        make_private_folder(path.parent)
        for suffix in STATE_FILE_SUFFIXES:
            refuse_link(f"{path}{suffix}")  # SQLite would follow a link at any of them
        _create_private(path)
        is_new = path.stat().st_size == 0
    except OSError as exc:
        raise StateError(f"{exc.filename or path}: cannot open the state database: {exc.strerror or exc}") from None
    _make_private(path)
    try:
        db = sqlite3.connect(path, timeout=30, isolation_level="DEFERRED")
        db.row_factory = sqlite3.Row
        if is_new:
            db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # before the first table, or it does not apply
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
    second process opening the file at the same time finds the step done and skips it). Before
    the step VACUUM_AFTER, a file without incremental auto_vacuum is rewritten with it (VACUUM
    cannot run inside a transaction; done first, it does not copy the step's new indexes too).
    That needs free disk space (``upgrade_space``), checked before anything is changed; a step
    that fails leaves the file at the version before, and gives its WAL's space back."""
    if version < VACUUM_AFTER and db.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
        short = _space_shortfall(db, path)
        if short:
            db.close()
            raise StateError(f"{path}: {short}; nothing was changed. Free some space (or move the state "
                             "folder to a larger disk) and start bp-tui again.")
    for target in range(version + 1, SCHEMA_VERSION + 1):
        script = MIGRATIONS.get(target)
        if script is None:
            db.close()
            raise StateError(f"{path}: state version {version} cannot be migrated to {SCHEMA_VERSION}.")
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
            raise StateError(f"{path}: the state database could not be upgraded to version {target} ({exc}); "
                             "nothing was lost. Check the free space (an upgrade needs about "
                             f"{UPGRADE_SPACE_FACTOR:g} times the file's size) and the permissions of its "
                             "folder.") from None
    _give_back_wal(db)


# Free space the upgrade to VACUUM_AFTER needs, in times the database's size (its pages). The VACUUM
# writes a copy in SQLite's temporary folder, then every page again into the WAL (the temporary
# copy still there); the step's indexes, after it, grow the file and the WAL by about INDEX_SHARE
# of its size each. Measured (tests/state/test_upgrade_space.py): 1.9 times the file's size
# at the peak when both are on one file system.
UPGRADE_SPACE_FACTOR = 2
INDEX_SHARE = 0.75  # the new indexes' size against the file's (0.71 measured, 100,000 notes)
SPACE_MARGIN = 1.05, 16 * 1024 * 1024  # times, plus bytes: free space is never used to the last byte


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
    for name in (os.environ.get("SQLITE_TMPDIR"), os.environ.get("TMPDIR"), "/var/tmp", "/usr/tmp", "/tmp"):
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
        problems.append(f"{need:,} bytes ({human_bytes(need)}) free in {folder}, where {free:,} "
                        f"({human_bytes(free)}) are free")
    if temp_need and temp_free < temp_need:
        problems.append(f"{temp_need:,} bytes ({human_bytes(temp_need)}) free in {temp} (SQLite's temporary "
                        f"folder: set SQLITE_TMPDIR to choose another), where {temp_free:,} "
                        f"({human_bytes(temp_free)}) are free")
    if not problems:
        return ""
    return (f"upgrading the state ({size:,} bytes, {human_bytes(size)}) needs " + " and ".join(problems))


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


def _queue_record(row: sqlite3.Row) -> GonRecord:
    data = {col: row[col] for col in _QUEUE_COLUMNS}
    for col in _DATE_COLUMNS:
        data[col] = parse_iso(data[col])
    return GonRecord(**data)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# A note is written whole; an upsert keeps its row (and fires the stage-count trigger on a change).
_SAVE_GON = (
    f"INSERT INTO gons ({','.join(_GON_COLUMNS)}) VALUES ({','.join('?' * len(_GON_COLUMNS))}) "
    "ON CONFLICT(gon_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in _GON_COLUMNS if c != "gon_id")
)


def _expired_sql(before: datetime, limit: int) -> tuple[str, list[Any]]:
    """SELECT of up to ``limit`` notes retention may remove (see StateStore.expired_gons)."""
    return (f"SELECT gon_id FROM gons WHERE stage IN ({','.join('?' * len(RETIRED_STAGES))}) AND updated_at < ?"
            " AND gon_id NOT IN (SELECT gon_id FROM audit WHERE result = 'intent' AND gon_id IS NOT NULL)"
            " AND order_id NOT IN (SELECT order_id FROM audit WHERE result = 'intent' AND order_id IS NOT NULL)"
            f" AND gon_id NOT IN (SELECT gon_id FROM shipments WHERE {PENDING_SHIPMENT})"
            " LIMIT ?", [*RETIRED_STAGES, iso(before), limit])


def _chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
