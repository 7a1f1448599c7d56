"""SIGTERM / SIGHUP to the dashboard: a running sync stops between two writes, then the app
exits cleanly (terminal restored, exit code 0, as `bp-tui sync --watch` when stopped)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from bp_tui.core.types import Progress
from bp_tui.state import StateStore
from tests.ui.conftest import make_app, settle
from tests.ui.test_demo_in_a_terminal import ANSI, Terminal

ROOT = Path(__file__).resolve().parents[2]
ENTER_ALT_SCREEN = b"\x1b[?1049h"
LEAVE_ALT_SCREEN = b"\x1b[?1049l"


def state_facts(state_path: Path) -> dict[str, int]:
    assert state_path.is_file(), f"{state_path}: the app never made its state"  # opening makes one
    store = StateStore(state_path)
    try:
        return {
            "open_intents": len(store.audit.open_intents()),
            "unfinished_runs": store.meta.run_count(unfinished=True),
            "runs": store.meta.run_count(),
            "confirmed": store.queue.count_stage("confirmed"),
        }
    finally:
        store.close()


async def wait_for_exit(app, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while app.is_running and time.monotonic() < end:
        await asyncio.sleep(0.02)


# ------------------------------------------------------------------ in process
async def test_a_stop_request_mid_sync_stops_between_two_writes_then_exits(env):
    app = make_app(env)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("i")
        await settle(pilot)
        assert len(env.label(3)) == 3
        reported = app._on_progress  # noqa: SLF001 - what the engine calls

        def stop_after_the_first_confirmation(progress: Progress) -> None:
            reported(progress)
            if progress.step == "confirm" and progress.done == 1:
                app.request_stop(signal.SIGTERM)  # what the SIGTERM handler calls

        app._on_progress = stop_after_the_first_confirmation  # type: ignore[method-assign]  # noqa: SLF001
        await pilot.press("c")
        await wait_for_exit(app)
        assert not app.is_running
    assert app.return_code == 0 and app.stop_signal == signal.SIGTERM
    facts = state_facts(env.state_path)
    assert facts["open_intents"] == 0 and facts["unfinished_runs"] == 0
    assert facts["confirmed"] == 1  # the second note was never started


async def test_a_stop_request_when_idle_exits_at_once_and_no_sync_starts(env):
    app = make_app(env)
    async with app.run_test() as pilot:
        await pilot.pause()
        app.request_stop(signal.SIGHUP)
        assert app.start_sync("sync") is False
        await wait_for_exit(app)
        assert not app.is_running
    assert app.return_code == 0 and state_facts(env.state_path)["runs"] == 0


# ------------------------------------------------------------ real terminal
def assert_left_the_alternate_screen(raw: bytes) -> None:
    """The output ends by leaving the alternate screen (nothing drawn after that)."""
    assert raw.rfind(ENTER_ALT_SCREEN) >= 0
    leave = raw.rfind(LEAVE_ALT_SCREEN)
    assert leave > raw.rfind(ENTER_ALT_SCREEN)
    assert ANSI.sub(b"", raw[leave:]).strip() == b""


def stop(term: Terminal, signum: int, seconds: float) -> None:
    """Send ``signum``; the process must have exited within ``seconds``."""
    os.kill(term.proc.pid, signum)
    deadline = time.monotonic() + seconds
    while term.proc.poll() is None and time.monotonic() < deadline:
        term.read(0.05)
    term.read(0.2)  # whatever was still in the pseudo-terminal
    assert term.proc.poll() is not None, f"still running {seconds} s after the signal"


def test_sigterm_to_bp_tui_demo_during_its_first_sync_exits_0_and_restores_the_terminal():
    term = Terminal()
    try:
        term.wait_for("Notes per stage", 10)  # the demo's two profiles: Enter opens the first one
        term.press(b"\r")
        term.wait_for("SYNCING", 10)  # the first automatic sync
        stop(term, signal.SIGTERM, 5)
        assert term.proc.returncode == 0
        assert_left_the_alternate_screen(term.raw)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
        os.close(term.master)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_mid_sync_stops_between_two_writes_in_a_real_terminal(tmp_path: Path, signum: int):
    count = 10  # labels to confirm, each with slow Brightpearl writes: the sync takes many seconds
    term = Terminal(
        [sys.executable, "-m", "tests.ui.slow_demo", str(tmp_path), str(count)], cwd=str(ROOT)
    )
    try:
        term.wait_for(
            f"confirm 1/{count}|confirm 2/{count}", 30
        )  # the sync has written one note back
        stop(term, signum, 5)
        assert term.proc.returncode == 0
        assert_left_the_alternate_screen(term.raw)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
        os.close(term.master)
    facts = state_facts(tmp_path / "state.sqlite3")
    assert facts["open_intents"] == 0 and facts["unfinished_runs"] == 0
    assert 1 <= facts["confirmed"] < count, facts  # stopped mid-sync, between two notes
