"""One sync cycle: discover -> hydrate -> map -> import -> read shipments -> confirm.

Every API write is recorded in the state's audit log as an ``intent`` before it is sent
and settled after; ``recover`` resolves intents left open by a crash by re-reading the
remote side, so a crash at any point followed by a new run ends with every note imported
once and confirmed once. Every step is batched to the vendors' documented limits.
"""

from __future__ import annotations

import time

from bp_tui.core.types import CycleSummary
from bp_tui.sync.base import StopRequested
from bp_tui.sync.confirmer import Confirmer
from bp_tui.sync.importer import Importer
from bp_tui.sync.mapping import order_key
from bp_tui.sync.recovery import Recovery


class SyncEngine(Recovery, Importer, Confirmer):
    """recover -> import -> confirm, each a mixin over the shared EngineBase."""

    # ------------------------------------------------------------------ cycle
    async def run_cycle(self, *, do_import: bool = True, do_confirm: bool = True) -> CycleSummary:
        started = time.monotonic()
        bp_start, ss_start = self.bp.requests_sent, self.ss.requests_sent
        try:
            await self.recover()
            if do_import:
                await self.import_step()
            if do_confirm:
                await self.confirm_step()
        finally:
            self.summary.api_calls = {
                "brightpearl": self.bp.requests_sent - bp_start,
                "shipstation": self.ss.requests_sent - ss_start,
            }
            self.summary.duration_s = time.monotonic() - started
        return self.summary


__all__ = ["StopRequested", "SyncEngine", "order_key"]
