"""The terminal going away ends the dashboard within 5 s (issue 23), in a real pseudo-terminal:
during retention's batches over 500,000 notes and during a sync, with the terminal as the
process's controlling one (the kernel then sends SIGHUP too) and without (only the hang-up:
end-of-file on reads, EIO on writes). The state is left consistent: the batches done stay
done, the one under way is rolled back whole, no write is left open, the run is finished, and
the sync lock is free."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from bp_tui.state import SyncLock
from tests.ui.retain_demo import FIRST_ID, build_history
from tests.ui.test_demo_in_a_terminal import Terminal
from tests.ui.test_stop_signals import state_facts

ROOT = Path(__file__).resolve().parents[2]
HISTORY = 500_000  # old confirmed notes due for retention: 25 batches of 20,000
BATCH = 20_000
EXIT_WITHIN_S = 5.0


class HungUpTerminal(Terminal):
    """``argv`` in an 80x24 pseudo-terminal, as its controlling terminal when ``controlling``
    (closing the master then sends SIGHUP to the process), else only as its stdin/out/err."""

    def __init__(self, argv: list[str], controlling: bool) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = dict(
            os.environ, TERM="xterm-256color", COLUMNS="80", LINES="24", TEXTUAL_ANIMATIONS="none"
        )

        def take_the_terminal() -> None:  # in the child, after setsid(): stdin becomes its terminal
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=str(ROOT),
            start_new_session=True,
            close_fds=True,
            preexec_fn=take_the_terminal if controlling else None,
        )
        os.close(slave)
        self.raw = b""

    def hang_up(self) -> float:
        """Close the terminal's master side (what a dropped SSH connection or `tmux kill-server`
        does); how long the process took to exit (at most EXIT_WITHIN_S + 5 s, then killed)."""
        os.close(self.master)
        start = time.monotonic()
        try:
            self.proc.wait(EXIT_WITHIN_S + 5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return float("inf")
        return time.monotonic() - start


def lock_is_free(state_path: Path) -> bool:
    lock = SyncLock(state_path)
    try:
        lock.acquire()
    except Exception:  # noqa: BLE001 - SyncLocked: still held
        return False
    lock.release()
    return True


def consistent(state_path: Path) -> sqlite3.Connection:
    """The file is sound and its counts exact; the connection, for more questions."""
    db = sqlite3.connect(state_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    counts = dict(db.execute("SELECT stage, n FROM stage_counts WHERE n > 0").fetchall())
    assert counts == dict(db.execute("SELECT stage, COUNT(*) FROM gons GROUP BY stage").fetchall())
    facts = state_facts(state_path)
    assert facts["open_intents"] == 0 and facts["unfinished_runs"] == 0, facts
    return db


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """The 500,000 old notes, written where the demo's state goes (no copy of 370 MB to write)."""
    path = tmp_path / "state.sqlite3"
    build_history(path, HISTORY)
    return path


def test_hanging_up_during_retention_of_500000_notes_exits_within_5_s(tmp_path, history):
    """As an SSH connection that drops: the terminal is the controlling one (SIGHUP, then
    end-of-file and EIO). (The sync's test below also hangs up without SIGHUP; one retention run
    keeps this test under a minute.)"""
    state = tmp_path / "state.sqlite3"
    term = HungUpTerminal(
        [sys.executable, "-m", "tests.ui.retain_demo", str(tmp_path), str(history)], True
    )
    try:
        term.wait_for(f"retain {BATCH}/", 60)  # retention has done its first batch
        took = term.hang_up()
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    assert took < EXIT_WITHIN_S, f"still running {took:.1f} s after the hang-up"
    assert term.proc.returncode == 0  # a clean exit, as on SIGTERM
    assert lock_is_free(state)
    db = consistent(state)
    try:
        old = db.execute("SELECT COUNT(*) FROM gons WHERE gon_id >= ?", (FIRST_ID,)).fetchone()[0]
        removed = HISTORY - old
        # stopped mid-way, after whole batches: the one under way was rolled back, not half done
        assert BATCH <= removed < HISTORY and removed % BATCH == 0, removed
        # every note left has its label, and no label is left without its note
        labelled = db.execute(
            "SELECT COUNT(DISTINCT gon_id) FROM shipments WHERE gon_id >= ?", (FIRST_ID,)
        )
        assert labelled.fetchone()[0] == old
        assert (
            db.execute(
                "SELECT COUNT(*) FROM shipments WHERE gon_id NOT IN (SELECT gon_id FROM gons)"
            ).fetchone()[0]
            == 0
        )
    finally:
        db.close()


@pytest.mark.parametrize("controlling", [True, False], ids=["with-SIGHUP", "hang-up-only"])
def test_hanging_up_during_a_sync_exits_within_5_s(tmp_path, controlling):
    count = 10  # labels to confirm, each with slow Brightpearl writes: the sync takes many seconds
    term = HungUpTerminal(
        [sys.executable, "-m", "tests.ui.slow_demo", str(tmp_path), str(count)], controlling
    )
    try:
        term.wait_for(
            f"confirm 1/{count}|confirm 2/{count}", 30
        )  # the sync has written one note back
        took = term.hang_up()
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    assert took < EXIT_WITHIN_S, f"still running {took:.1f} s after the hang-up"
    assert term.proc.returncode == 0  # a clean exit, as on SIGTERM
    state = tmp_path / "state.sqlite3"
    assert lock_is_free(state)
    consistent(state).close()
    assert 1 <= state_facts(state)["confirmed"] < count  # stopped mid-sync, between two notes
