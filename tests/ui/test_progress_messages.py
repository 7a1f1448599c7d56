"""Engine progress reaches the dashboard as SyncProgress messages; when many wait in the
queue they are handled as one, the newest (``Message.can_replace``)."""

from __future__ import annotations

from pathlib import Path

import bp_tui.ui.app
from bp_tui.core.types import CycleSummary, Progress
from bp_tui.ui import BpApp
from bp_tui.ui.messages import SyncFinished, SyncProgress
from tests.ui.conftest import frozen_clock


class CountingApp(BpApp):
    """Records every SyncProgress it handles (BpApp's own handler runs too)."""

    CSS_PATH = [
        Path(bp_tui.ui.app.__file__).parent / "styles" / "app.tcss"
    ]  # relative paths follow the module

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.handled: list[Progress] = []

    def on_sync_progress(self, message: SyncProgress) -> None:
        self.handled.append(message.progress)


def test_a_progress_message_replaces_only_another_progress_message():
    older = SyncProgress(Progress(step="import", done=1, total=3))
    newer = SyncProgress(Progress(step="confirm", done=0, total=5))
    assert newer.can_replace(older) and older.can_replace(newer)
    assert not newer.can_replace(SyncFinished(CycleSummary()))


async def test_a_burst_of_progress_events_is_handled_as_the_newest(env):
    app = CountingApp(
        config=env.config,
        config_path=env.config_path,
        state_path=env.state_path,
        connector=env.connector,
        clock=frozen_clock,
        auto_sync=False,
    )
    async with app.run_test() as pilot:
        await pilot.pause()
        app.status = app.status.but(running=True, kind="sync")
        for done in range(1, 1001):  # as the engine reports, without yielding in between
            app._on_progress(Progress(step="import", done=done, total=1000))  # noqa: SLF001
        await pilot.pause()
        assert app.handled and len(app.handled) < 20
        assert app.handled[-1].done == 1000
        assert (app.status.step, app.status.done, app.status.total) == ("import", 1000, 1000)
