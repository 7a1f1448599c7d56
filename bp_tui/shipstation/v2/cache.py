"""The V2 adapter's local memory, in a small SQLite file next to the state (chosen: a file of
its own, ``<state>.shipstation-v2``, so the state's schema and migrations stay the engine's).

- ``external_shipment_id -> shipment_id``: a note's key is looked up on ShipStation once;
  afterwards its shipment is known without spending a request of the 200/min budget;
- aliases for V2 ids that are not ``se-<digits>`` (see ``ids``);
- a few facts about the account (its default warehouse).

Private (0600) from the first byte, like the state. Losing the file costs look-ups, never
correctness: every entry can be found again by ``external_shipment_id``.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from bp_tui.paths import make_private_folder, open_private, refuse_link
from bp_tui.shipstation.v2.ids import ALIAS_BASE, numeric_part, se_id

SCHEMA = """
CREATE TABLE IF NOT EXISTS shipment_keys (
    external_id TEXT PRIMARY KEY,
    shipment_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS aliases (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    v2_id TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS facts (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def cache_path(state_path: Path) -> Path:
    return Path(f"{state_path}.shipstation-v2")


class IdCache:
    """``path`` None: in memory only (a client built without a state file)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        if path is not None:
            make_private_folder(path.parent)
            for companion in (f"{path}-wal", f"{path}-shm", f"{path}-journal"):
                refuse_link(companion)  # SQLite would open them through a link
            fd = open_private(path, os.O_RDWR | os.O_CREAT)  # never through a link
            try:
                os.fchmod(fd, 0o600)
            finally:
                os.close(fd)
        self.db = sqlite3.connect(":memory:" if path is None else path, timeout=30)
        if path is not None:
            # WAL without a sync per commit: an entry lost to a power cut is found again by a
            # look-up
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        with self.db:
            self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # ---- external_shipment_id -> shipment_id
    def shipment_of(self, external_id: str) -> str | None:
        row = self.db.execute(
            "SELECT shipment_id FROM shipment_keys WHERE external_id = ?", (external_id,)
        ).fetchone()
        return row[0] if row else None

    def remember(self, external_id: str, shipment_id: str) -> None:
        self.remember_many([(external_id, shipment_id)])

    def remember_many(self, pairs: list[tuple[str, str]]) -> None:
        """Several ``(external_id, shipment_id)`` at once (one commit)."""
        with self.db:
            self.db.executemany(
                "INSERT INTO shipment_keys (external_id, shipment_id) VALUES (?, ?) "
                "ON CONFLICT(external_id) DO UPDATE SET shipment_id = excluded.shipment_id",
                pairs,
            )

    def forget(self, external_id: str) -> None:
        with self.db:
            self.db.execute("DELETE FROM shipment_keys WHERE external_id = ?", (external_id,))

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM shipment_keys").fetchone()[0])

    # ---- ids: V2 string <-> the integer the state keeps
    def carried(self, v2_id: str) -> int:
        """The integer the state stores for ``v2_id``: ``n`` for ``se-<n>``, else an alias."""
        number = numeric_part(v2_id)
        if number is not None:
            return number
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO aliases (v2_id) VALUES (?)", (v2_id,))
        row = self.db.execute("SELECT n FROM aliases WHERE v2_id = ?", (v2_id,)).fetchone()
        return ALIAS_BASE + int(row[0])

    def v2_of(self, carried: int) -> str:
        """The V2 id of a stored integer id (``se-<n>``, or the id an alias stands for)."""
        if carried >= ALIAS_BASE:
            row = self.db.execute(
                "SELECT v2_id FROM aliases WHERE n = ?", (carried - ALIAS_BASE,)
            ).fetchone()
            if row is None:
                raise KeyError(
                    f"ShipStation id {carried} is a local alias this install does not know"
                )
            return str(row[0])
        return se_id(carried)

    # ---- facts
    def fact(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM facts WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_fact(self, name: str, value: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO facts (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
