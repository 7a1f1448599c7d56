"""The dashboard's overview of several profiles: one line each, read from its state only.

No API call is made: notes per stage, the oldest unshipped note and the last cycle are reads of
a few index entries of each profile's state file (the same reads as the queue's header).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from bp_tui.state import StateStore
from bp_tui.state.alerts import AlertLedger
from bp_tui.state.profiles import Profile


@dataclass(frozen=True)
class ProfileLine:
    """What the overview shows of one profile."""

    name: str
    counts: dict[str, int] = field(default_factory=dict)
    oldest_unshipped: datetime | None = None
    last_sync_at: datetime | None = None
    last_failed: int = 0  # notes failing after the last cycle
    open_incidents: int | None = None  # None: not known (shown as "–")
    problem: str = ""  # why the state could not be read ("" when it was)
    synced: bool = False  # a cycle has run at least once


def count_open_incidents(store: StateStore) -> int | None:
    """The profile's open incidents (alerts), or None when they cannot be read (shown as "–")."""
    try:
        return AlertLedger(store).open_count()
    except sqlite3.Error:
        return None


def read_profile_line(profile: Profile) -> ProfileLine:
    """One profile's line; a state that does not exist yet, or cannot be read, says so."""
    if not profile.state_path.exists():
        return ProfileLine(profile.name, problem="" if profile.exists() else "no config")
    try:
        store = StateStore(profile.state_path)
    except Exception as exc:  # noqa: BLE001 - one unreadable state must not hide the other profiles
        return ProfileLine(profile.name, problem=f"state unreadable: {type(exc).__name__}")
    try:
        last = store.meta.last_run()
        data = last[1] if last is not None else {}
        return ProfileLine(
            profile.name,
            counts=store.queue.stage_counts(),
            oldest_unshipped=store.queue.oldest_unshipped(),
            last_sync_at=last[0] if last is not None else None,
            last_failed=int(data.get("failing", 0) or 0) if isinstance(data, dict) else 0,
            open_incidents=count_open_incidents(store),
            synced=last is not None,
        )
    except Exception as exc:  # noqa: BLE001
        return ProfileLine(profile.name, problem=f"state unreadable: {type(exc).__name__}")
    finally:
        store.close()


def read_overview(profiles: list[Profile]) -> list[ProfileLine]:
    return [read_profile_line(p) for p in profiles]
