"""The queue as the dashboard and the CLI read it: a page at a time, by stage, search and sort."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bp_tui.core.records import GonRecord, iso, parse_iso
from bp_tui.core.stages import Stage
from bp_tui.state.queries import (
    QUEUE_SORTS,
    SEARCH_LIMIT,
    SORT_SQL,
    Search,
    order_by,
    stage_order,
    stage_rank_sql,
)
from bp_tui.state.rows import (
    DATE_COLUMNS,
    GON_COLUMNS,
    PENDING_SHIPMENT,
    QUEUE_COLUMNS,
    Concern,
    queue_record,
)


class QueueReads(Concern):
    """Reads of the queue (``store.queue``): pages, positions, counts per stage, the header."""

    def page(
        self,
        *,
        stage: Stage | None = None,
        search: str = "",
        sort: str = "stage",
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[list[GonRecord], int]:
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
            segments = [
                (s, counts.get(s, 0)) for s in ([stage] if stage else stage_order(list(counts)))
            ]
            ids, total = self._stage_page(segments, offset, limit), sum(n for _s, n in segments)
        else:
            total = (
                self.stage_counts().get(stage, 0) if stage else sum(self.stage_counts().values())
            )
            ids = self._sorted_page(stage, sort, offset, limit, total)
        return self._queue_records_in_order(ids), total

    def records_of(self, gon_ids: Iterable[int]) -> dict[int, GonRecord]:
        """These notes as the queue shows them (a live refresh re-reads the rows on screen)."""
        return {r.gon_id: r for r in self._queue_records_in_order(list(gon_ids))}

    def position(
        self, gon_id: int, *, stage: Stage | None = None, search: str = "", sort: str = "stage"
    ) -> int | None:
        """Where the note is in that view (its offset), or None when the view does not hold it."""
        rec = self._store.gon(gon_id)
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
            row = self._db.execute(
                "SELECT COUNT(*) FROM gons WHERE stage = ? AND gon_id > ?", (rec.stage, gon_id)
            ).fetchone()
            return before + int(row[0])
        # rows before it: a key smaller (in the sort's direction), or the same key and an
        # earlier gon_id; an index range count
        (col, way), *_rest = SORT_SQL[sort]
        args: list[object]
        if col == "gon_id":
            where, args = ("gon_id < ?" if way == "ASC" else "gon_id > ?"), [gon_id]
        else:
            value = self._db.execute(
                f"SELECT {col} FROM gons WHERE gon_id = ?", (gon_id,)
            ).fetchone()[0]
            ahead, tie = ("<", "<") if way == "ASC" else (">", ">")
            where = f"({col} {ahead} ? OR ({col} = ? AND gon_id {tie} ?))"
            args = [value, value, gon_id]
        if stage:
            where += " AND stage = ?"
            args.append(stage)
        return int(self._db.execute(f"SELECT COUNT(*) FROM gons WHERE {where}", args).fetchone()[0])

    def _search_page(
        self, found: Search, stage: Stage | None, sort: str, offset: int, limit: int
    ) -> tuple[list[int], int]:
        # "+stage": the stage filter must not pick the stage index over the search's ranges
        where = found.where + (" AND +stage = ?" if stage else "")
        args = [*found.args, *([stage] if stage else [])]
        hits = f"SELECT gon_id FROM gons WHERE {where} LIMIT {SEARCH_LIMIT + 1}"
        total = int(self._db.execute(f"SELECT COUNT(*) FROM ({hits})", args).fetchone()[0])
        order = f"ORDER BY {stage_rank_sql()}, gon_id DESC" if sort == "stage" else order_by(sort)
        rows = self._db.execute(
            f"SELECT gon_id FROM gons WHERE gon_id IN ({hits}) {order} LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [r[0] for r in rows], total

    def _stage_page(self, segments: list[tuple[str, int]], offset: int, limit: int) -> list[int]:
        """Rows [offset, offset+limit) of the stages laid end to end (each newest GON first)."""
        ids: list[int] = []
        start = 0
        for stage, count in segments:
            lo, hi = max(offset, start), min(offset + limit, start + count)
            if lo < hi:
                ids += self._window(
                    "SELECT gon_id FROM gons WHERE stage = ?",
                    [stage],
                    (("gon_id", "DESC"),),
                    lo - start,
                    hi - lo,
                    count,
                )
            start += count
        return ids

    def _sorted_page(
        self, stage: Stage | None, sort: str, offset: int, limit: int, total: int
    ) -> list[int]:
        sql, args = "SELECT gon_id FROM gons", []
        if stage:
            sql, args = sql + " WHERE stage = ?", [stage]
        return self._window(sql, args, SORT_SQL[sort], offset, limit, total)

    def _window(
        self,
        sql: str,
        args: list[Any],
        columns: tuple[tuple[str, str], ...],
        offset: int,
        limit: int,
        total: int,
    ) -> list[int]:
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
        ids = [
            r[0]
            for r in self._db.execute(
                f"{sql} ORDER BY {order} LIMIT ? OFFSET ?", [*args, limit, skip]
            )
        ]
        return ids[::-1] if backwards else ids

    def _queue_records_in_order(self, ids: list[int]) -> list[GonRecord]:
        found: dict[int, GonRecord] = {}
        sql = f"SELECT {', '.join(QUEUE_COLUMNS)} FROM gons WHERE gon_id IN ({{marks}})"
        for row in self._select_in(sql, ids):
            found[row["gon_id"]] = queue_record(row)
        return [found[i] for i in ids if i in found]

    # ---- the operator's header -----------------------------------------------------------
    def oldest_unshipped(self) -> datetime | None:
        """When the longest-waiting note still to be imported or shipped was first seen: ready,
        imported (in ShipStation, no label yet), or failed before it reached ShipStation."""
        row = self._db.execute(
            "SELECT MIN(t) FROM ("
            " SELECT MIN(first_seen) AS t FROM gons WHERE stage = 'ready'"
            " UNION ALL SELECT MIN(first_seen) FROM gons WHERE stage = 'imported'"
            " UNION ALL SELECT MIN(first_seen) FROM gons"
            " WHERE stage = 'failed' AND ss_order_id IS NULL)"
        ).fetchone()
        return parse_iso(row[0]) if row and row[0] else None

    def activity_by_hour(self, since: datetime) -> dict[str, tuple[int, int]]:
        """Per UTC hour since ``since`` ("YYYY-MM-DDTHH"): notes sent to ShipStation (audit rows
        of import writes that succeeded) and notes confirmed (their confirmed_at); one query."""
        start = iso(since)
        out: dict[str, tuple[int, int]] = {}
        for kind, hour, count in self._db.execute(
            "SELECT 'imported', substr(at, 1, 13), COUNT(DISTINCT gon_id) FROM audit"
            " WHERE at >= ? AND action = 'import' AND result = 'ok' GROUP BY 2"
            " UNION ALL SELECT 'confirmed', substr(confirmed_at, 1, 13), COUNT(*) FROM gons"
            " WHERE confirmed_at >= ? GROUP BY 2",
            (start, start),
        ):
            imported, confirmed = out.get(hour, (0, 0))
            out[hour] = (
                (imported + count, confirmed)
                if kind == "imported"
                else (imported, confirmed + count)
            )
        return out

    def orders_confirmed_since(self, since: datetime) -> dict[int, datetime]:
        """The orders with a note confirmed (or saved again while confirmed) since ``since``,
        each with the earliest such save (on the stage and time index)."""
        rows = self._db.execute(
            "SELECT order_id, MIN(updated_at) FROM gons WHERE stage = ? AND updated_at >= ?"
            " AND order_id IS NOT NULL GROUP BY order_id",
            (Stage.CONFIRMED, iso(since)),
        )
        return {int(r[0]): parse_iso(r[1]) or since for r in rows}

    def count_stage(self, stage: Stage) -> int:
        """How many notes are in ``stage`` (one count on the stage index)."""
        return int(
            self._db.execute("SELECT COUNT(*) FROM gons WHERE stage = ?", (stage,)).fetchone()[0]
        )

    def stage_counts(self) -> dict[str, int]:
        """Notes per stage (stages with none left out): a read of the counts the triggers keep."""
        return {
            r[0]: r[1] for r in self._db.execute("SELECT stage, n FROM stage_counts WHERE n > 0")
        }

    def gons_with_pending_shipments(self) -> set[int]:
        """Notes with a label still to handle: new, or a late/voided one whose order note is not
        posted."""
        return {
            r[0]
            for r in self._db.execute(
                f"SELECT DISTINCT gon_id FROM shipments WHERE {PENDING_SHIPMENT}"
            )
        }

    def records(self, *, changed_since: datetime | None = None) -> list[GonRecord]:
        """Every note for the queue, newest first, without its ShipStation payload; with
        ``changed_since``, only the notes updated since then (cheap live updates)."""
        columns = [c for c in GON_COLUMNS if c != "ss_payload"]
        sql = f"SELECT {', '.join(columns)} FROM gons"
        args: tuple[Any, ...] = ()
        if changed_since is not None:
            sql += " WHERE updated_at >= ?"
            args = (iso(changed_since),)
        out = []
        for row in self._db.execute(sql + " ORDER BY gon_id DESC", args):
            data = dict(zip(columns, row, strict=True))
            for col in DATE_COLUMNS:
                data[col] = parse_iso(data[col])
            out.append(GonRecord(**data))
        return out
