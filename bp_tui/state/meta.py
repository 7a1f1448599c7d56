"""Sync runs, watermarks and the product cache."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bp_tui.core.records import iso, parse_iso
from bp_tui.state.rows import Concern, now


class Meta(Concern):
    """Runs, watermarks and cached products (``store.meta``)."""

    def start_run(self, mode: str, pid: int) -> int:
        with self._store.transaction():
            cur = self._db.execute(
                "INSERT INTO runs (started_at, mode, pid) VALUES (?,?,?)", (iso(now()), mode, pid)
            )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, summary: dict[str, Any]) -> None:
        with self._store.transaction():
            self._db.execute(
                "UPDATE runs SET finished_at = ?, summary = ? WHERE id = ?",
                (iso(now()), json.dumps(summary), run_id),
            )

    def last_run(self) -> tuple[datetime, dict[str, Any]] | None:
        row = self._db.execute(
            "SELECT finished_at, summary FROM runs "
            "WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if not row:
            return None
        return parse_iso(row[0]) or now(), json.loads(row[1] or "{}")

    def run_count(self, *, unfinished: bool = False) -> int:
        """How many sync runs the state records; ``unfinished``: only those never finished (their
        process is still running, or ended mid-cycle)."""
        sql = "SELECT COUNT(*) FROM runs" + (" WHERE finished_at IS NULL" if unfinished else "")
        return int(self._db.execute(sql).fetchone()[0])

    def watermark(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM watermarks WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_watermark(self, name: str, value: str) -> None:
        with self._store.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO watermarks (name, value) VALUES (?, ?)", (name, value)
            )

    def products(self, ids: Iterable[int]) -> dict[int, tuple[float | None, bool]]:
        sql = "SELECT product_id, weight, stock_tracked FROM products WHERE product_id IN ({marks})"
        return {row[0]: (row[1], bool(row[2])) for row in self._select_in(sql, ids)}

    def save_products(self, items: Iterable[tuple[int, float | None, bool]]) -> None:
        stamp = iso(now())
        with self._store.transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO products (product_id, weight, stock_tracked, fetched_at) "
                "VALUES (?,?,?,?)",
                [(pid, w, int(st), stamp) for pid, w, st in items],
            )
