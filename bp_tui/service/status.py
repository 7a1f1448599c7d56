"""The health of one install for `bp-tui status`, read from its state only: no client is made and
no API is called. Kept apart from ``Connector`` (and light to import) so that the command a
monitor runs every minute starts in a fraction of a second."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bp_tui.alerts.status import as_json, prometheus_text, read_status, write_textfile
from bp_tui.config import Config
from bp_tui.core.health import StatusReport
from bp_tui.core.records import utcnow
from bp_tui.state import StateStore
from bp_tui.state.tokens import TokenStore

# The report's renderings, for `bp-tui status` (which reaches the alerts package only through here).
__all__ = [
    "account_label",
    "as_json",
    "prometheus_text",
    "read_health",
    "state_stats",
    "write_textfile",
]


def account_label(config: Config, profile: str | None = None) -> str:
    """How alerts and status name this install: the profile (when one was chosen, other than the
    install's own) and the Brightpearl account code."""
    account = config.brightpearl.account_code or "(no account code)"
    return f"{profile} ({account})" if profile and profile != "default" else account


def read_health(
    config: Config, state_path: Path, now: datetime | None = None, *, profile: str | None = None
) -> StatusReport:
    """The status report of the state at ``state_path`` (which must exist: the caller says
    UNKNOWN otherwise)."""
    store = StateStore(state_path)
    try:
        tokens = None
        if config.brightpearl.auth == "oauth":
            try:
                tokens = TokenStore.beside_state(state_path).load()
            except Exception:  # noqa: BLE001 - an unreadable token file: no age to show
                tokens = None
        return read_status(
            store, config, now or utcnow(), label=account_label(config, profile), tokens=tokens
        )
    finally:
        store.close()


def state_stats(state_path: Path) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """`bp-tui state stats`: rows per table, the files' sizes and the notes per stage of the
    state at ``state_path`` (raises StateError when it cannot be opened)."""
    store = StateStore(state_path)
    try:
        return (
            store.retention.table_rows(),
            store.retention.file_sizes(),
            store.queue.stage_counts(),
        )
    finally:
        store.close()
