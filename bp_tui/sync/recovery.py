"""Recovery: settle the write intents a crashed or killed run left open, by re-reading the
remote side, before a new cycle writes anything."""

from __future__ import annotations

from typing import Any

from bp_tui.sync.base import EngineBase
from bp_tui.sync.notes import note_marker


class Recovery(EngineBase):
    # ------------------------------------------------------------------ recovery
    async def recover(self) -> None:
        """Settle write intents a crashed run left open."""
        open_rows = self.store.open_intents()
        if not open_rows:
            return
        self.emit("recover", 0, len(open_rows), message=f"{len(open_rows)} unfinished writes from an earlier run")
        settled: list[tuple[int, str, str]] = []
        to_ready: list[int] = []
        notes_by_order: dict[int, list[Any]] = {}
        note_rows = [r for r in open_rows if r["action"].startswith("note")]
        if note_rows:
            notes_by_order = await self.bp.search_order_notes({r["order_id"] for r in note_rows})
        for row in open_rows:
            action = row["action"]
            if action in ("import", "cancel"):
                # orderKey upsert makes re-sending safe: put the note back in line.
                if action == "import" and row["gon_id"] is not None:
                    to_ready.append(row["gon_id"])
                settled.append((row["id"], "lost", "interrupted; will be re-sent (orderKey makes it an update)"))
            elif action.startswith("note"):
                marker = note_marker(row["key"])
                found = any(marker in n.text for n in notes_by_order.get(row["order_id"], []))
                if found:
                    settled.append((row["id"], "ok", "found on the order after an interrupted run"))
                    self._mark_noted(row["key"])
                else:
                    settled.append((row["id"], "lost", "interrupted before Brightpearl stored it; will be re-posted"))
            else:
                # reference PUT and status PUT are idempotent; SHW is re-checked by re-reading the note.
                settled.append((row["id"], "lost", "interrupted; re-checked on this run"))
        if not self.dry_run:
            self.store.intents(settled)
        with self.store.transaction():
            for gon_id in to_ready:
                rec = self.store.gon(gon_id)
                if rec and rec.stage in ("ready", "failed", "waiting"):
                    rec.stage, rec.next_attempt_at = "ready", None
                    self.store.save_gon(rec)

    def _mark_noted(self, key: str) -> None:
        kind, _, rest = key.partition(":")
        ship_kind, _, remote = rest.partition("-")
        if not remote.isdigit():
            return
        rec = self.store.shipment(ship_kind, int(remote))
        if rec is None:
            return
        if kind == "note":
            rec.noted = True
        elif kind in ("note-late", "note-void"):
            rec.void_noted = True if kind == "note-void" else rec.void_noted
            rec.noted = True if kind == "note-late" else rec.noted
        with self.store.transaction():
            self.store.save_shipment(rec)
