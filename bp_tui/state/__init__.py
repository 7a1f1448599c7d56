"""Embedded state (SQLite, WAL): GON stages, shipments seen, audit log, runs, the sync lock."""

from bp_tui.core.records import GonRecord, ShipmentRecord
from bp_tui.state.lock import SyncLock
from bp_tui.state.store import StateStore

__all__ = ["GonRecord", "ShipmentRecord", "StateStore", "SyncLock"]
