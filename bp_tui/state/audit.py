"""The audit log: an intent recorded before each API write, settled with its result after."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from bp_tui.core.records import AuditRecord, iso, parse_iso
from bp_tui.core.types import HistoryEntry
from bp_tui.state.rows import Concern, now


class AuditLog(Concern):
    """The audit log and write intents (``store.audit``)."""

    def record_intent(
        self,
        api: str,
        action: str,
        *,
        gon_id: int | None = None,
        order_id: int | None = None,
        key: str | None = None,
        detail: str = "",
    ) -> int:
        """Record that a write is about to happen; committed before the write is sent."""
        with self._store.transaction():
            cur = self._db.execute(
                "INSERT INTO audit (at, api, action, gon_id, order_id, key, result, detail) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (iso(now()), api, action, gon_id, order_id, key, "intent", detail),
            )
        return int(cur.lastrowid or 0)

    def settle_intents(self, ids_and_results: Iterable[tuple[int, str, str]]) -> None:
        """Settle many intents at once, with their results: (audit id, result, detail)."""
        with self._store.transaction():
            self._db.executemany(
                "UPDATE audit SET result = ?, detail = CASE WHEN ? = '' THEN detail ELSE ? END, "
                "at = ? WHERE id = ?",
                [
                    (result, detail, detail, iso(now()), aid)
                    for aid, result, detail in ids_and_results
                ],
            )

    def settle_intent(self, audit_id: int, result: str, detail: str = "") -> None:
        self.settle_intents([(audit_id, result, detail)])

    def record_intents(
        self, api: str, action: str, items: Iterable[tuple[int | None, int | None, str | None, str]]
    ) -> list[int]:
        """Record several intents in one transaction: (gon_id, order_id, key, detail)."""
        ids: list[int] = []
        with self._store.transaction():
            for gon_id, order_id, key, detail in items:
                cur = self._db.execute(
                    "INSERT INTO audit (at, api, action, gon_id, order_id, key, result, detail) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    (iso(now()), api, action, gon_id, order_id, key, "intent", detail),
                )
                ids.append(int(cur.lastrowid or 0))
        return ids

    def open_intents(self) -> list[AuditRecord]:
        """The intents not settled yet (a run that stopped before their result), oldest first."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM audit WHERE result = 'intent' ORDER BY id")
        return [_record(r) for r in rows]

    def done_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these idempotency keys already have a successful write on record."""
        return {
            row[0]
            for row in self._select_in(
                "SELECT key FROM audit WHERE result = 'ok' AND key IN ({marks})", keys
            )
        }

    def keys_attempted(self, keys: Iterable[str]) -> set[str]:
        """Which of these idempotency keys have any write on record (sent, lost or failed)."""
        return {
            row[0]
            for row in self._select_in(
                "SELECT DISTINCT key FROM audit WHERE key IN ({marks})", keys
            )
        }

    def latest_results(self, keys: Iterable[str]) -> dict[str, str]:
        """The result of the newest audit row of each of these keys that has one."""
        sql = (
            "SELECT key, result FROM audit WHERE id IN "
            "(SELECT MAX(id) FROM audit WHERE key IN ({marks}) GROUP BY key)"
        )
        return {row[0]: row[1] for row in self._select_in(sql, keys)}

    def history(self, gon_id: int, limit: int = 200) -> list[HistoryEntry]:
        rows = self._db.execute(
            "SELECT at, api, action, result, detail FROM audit WHERE gon_id = ? "
            "ORDER BY id DESC LIMIT ?",
            (gon_id, limit),
        ).fetchall()
        return [
            HistoryEntry(
                at=parse_iso(r[0]) or now(), api=r[1], action=r[2], result=r[3], detail=r[4]
            )
            for r in rows
        ]

    def recent(self, limit: int = 500) -> list[AuditRecord]:
        """The newest audit rows, newest first."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [_record(r) for r in rows]

    def count(self, action: str | None = None, result: str | None = "ok") -> int:
        sql, args = "SELECT COUNT(*) FROM audit WHERE 1=1", []
        if action:
            sql += " AND action = ?"
            args.append(action)
        if result:
            sql += " AND result = ?"
            args.append(result)
        return int(self._db.execute(sql, args).fetchone()[0])


_COLUMNS = "id, at, api, action, gon_id, order_id, key, result, detail"


def _record(r: sqlite3.Row) -> AuditRecord:
    return AuditRecord(
        id=r["id"],
        at=parse_iso(r["at"]),
        api=r["api"],
        action=r["action"],
        gon_id=r["gon_id"],
        order_id=r["order_id"],
        key=r["key"],
        result=r["result"],
        detail=r["detail"],
    )
