"""What several tests ask of a state, through its public methods only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

import pytest

from bp_tui.state import StateStore
from bp_tui.state import rows as rows_module


def stages_counted(store: StateStore) -> dict[str, int]:
    """Notes per stage, counted from the notes themselves (not the trigger-kept counts)."""
    return dict(Counter(r.stage for r in store.gons().values()))


def written_again_at(store: StateStore, at: datetime, gon_ids: Iterable[int] | None = None) -> None:
    """These notes (None: every note), written again unchanged with the state's clock at ``at``:
    last updated then."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rows_module, "utcnow", lambda: at)
        store.save_gons(store.gons(gon_ids).values())
