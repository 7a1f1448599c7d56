"""Retention: removing old finished notes and old audit rows, and giving the space back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from bp_tui.core.records import iso
from bp_tui.state.rows import Concern, chunks, expired_sql, file_size


class Retention(Concern):
    """Retiring notes, pruning the audit log and the file's size (``store.retention``)."""

    def expired_gons(self, before: datetime, limit: int = 1000) -> list[int]:
        """Up to ``limit`` notes retention may remove: confirmed or cancelled, unchanged since
        ``before``, with no write of theirs (or of their order) left open and no label with
        work left."""
        sql, args = expired_sql(before, limit)
        return [r[0] for r in self._db.execute(sql, args)]

    def retire_batch(self, before: datetime, limit: int = 1000) -> int:
        """Remove up to ``limit`` of the notes :meth:`expired_gons` lists, with their shipments and
        their ShipStation parts (split, merged), in one transaction; how many notes. On a
        ``StateStore.worker`` connection that is one statement (its temporary trigger takes a note's
        shipments and parts along): the worker thread takes the GIL back from the busy dashboard
        only at the statement's end, not once per row or per table."""
        if not self._store._worker:
            return self.remove_gons(self.expired_gons(before, limit))[0]
        sql, args = expired_sql(before, limit)
        with self._store.transaction():
            return self._db.execute(f"DELETE FROM gons WHERE gon_id IN ({sql})", args).rowcount

    def remove_gons(self, gon_ids: Iterable[int]) -> tuple[int, int]:
        """Remove these notes, their shipments and their ShipStation parts, in one transaction:
        (notes, shipments)."""
        wanted = list(set(gon_ids))
        notes = shipments = 0
        with self._store.transaction():
            for part in chunks(wanted, 500):
                marks = ",".join("?" * len(part))
                shipments += self._db.execute(
                    f"DELETE FROM shipments WHERE gon_id IN ({marks})", part
                ).rowcount
                self._db.execute(f"DELETE FROM ss_parts WHERE gon_id IN ({marks})", part)
                notes += self._db.execute(
                    f"DELETE FROM gons WHERE gon_id IN ({marks})", part
                ).rowcount
        return notes, shipments

    def prune_audit(self, before: datetime, limit: int = 1000) -> int:
        """Remove up to ``limit`` audit rows written before ``before``, never an open intent
        (recovery needs it); one transaction."""
        with self._store.transaction():
            return self._db.execute(
                "DELETE FROM audit WHERE id IN "
                "(SELECT id FROM audit WHERE at < ? AND result <> 'intent' LIMIT ?)",
                (iso(before), limit),
            ).rowcount

    def free_pages(self) -> int:
        return int(self._db.execute("PRAGMA freelist_count").fetchone()[0])

    def incremental_vacuum(self, pages: int) -> int:
        """Give up to ``pages`` free pages back to the file system (auto_vacuum = INCREMENTAL);
        how many were freed. Nothing in a rehearsal (its deletions are rolled back)."""
        if self._store.rehearsing or pages <= 0:  # (0 would mean every free page at once)
            return 0
        before = self.free_pages()
        # each step of this pragma frees one page, and execute() steps a statement without
        # result columns once: executescript runs it to the end
        self._db.executescript(f"PRAGMA incremental_vacuum({int(pages)});")
        return before - self.free_pages()

    # ---- size --------------------------------------------------------------------------
    def table_rows(self) -> dict[str, int]:
        """Rows per table of the state (sqlite_ tables and the counts table left out)."""
        names = [
            r[0]
            for r in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name <> 'stage_counts' ORDER BY name"
            )
        ]
        return {
            name: int(self._db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])
            for name in names
        }

    def file_sizes(self) -> dict[str, int]:
        """Bytes on disk: the database, its -wal, and the free pages inside the database."""
        page = int(self._db.execute("PRAGMA page_size").fetchone()[0])
        sizes = {
            "database": file_size(self._store.path),
            "wal": file_size(Path(f"{self._store.path}-wal")),
            "free": self.free_pages() * page,
        }
        return sizes
