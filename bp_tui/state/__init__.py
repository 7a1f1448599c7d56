"""Embedded state (SQLite, WAL): GON stages, shipments seen, audit log, runs, the sync lock."""

from bp_tui.core.records import GonRecord, ShipmentRecord
from bp_tui.state.lock import SyncLock, SyncLocked
from bp_tui.state.store import StateError, StateStore

__all__ = ["GonRecord", "ShipmentRecord", "StateError", "StateStore", "SyncLock", "SyncLocked"]
