"""The sync lock names its holder: a run that finds it taken always reads the holder's pid,
never "pid unknown", however the two runs interleave."""

from __future__ import annotations

import subprocess
import sys
import time

from bp_tui.errors import SyncLocked
from bp_tui.state import SyncLock
from bp_tui.state.lock import GUARD_SUFFIX

HAMMER = """
import sys, time
from pathlib import Path
from bp_tui.state import SyncLock
lock = SyncLock(Path(sys.argv[1]))
print("ready", flush=True)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    try:
        lock.acquire()
    except Exception:
        continue
    lock.release()
"""


def test_a_reader_racing_the_holder_always_sees_its_pid(tmp_path):
    state = tmp_path / "state.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-c", HAMMER, str(state), "3"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        refusals: list[SyncLocked] = []
        end = time.monotonic() + 2.5
        while time.monotonic() < end:
            lock = SyncLock(state)
            try:
                lock.acquire()
            except SyncLocked as exc:
                refusals.append(exc)
            else:
                lock.release()
        assert len(refusals) > 50  # the two really raced
        wrong = [str(e) for e in refusals if e.pid != proc.pid or not e.since]
        assert not wrong, (len(wrong), len(refusals), wrong[:3])
    finally:
        proc.wait(timeout=10)


def test_the_lock_file_names_the_holder_and_is_emptied_on_release(tmp_path):
    import os

    state = tmp_path / "state.sqlite3"
    lock = SyncLock(state)
    lock.acquire()
    try:
        assert lock.path.read_text().startswith(f"{os.getpid()} ")
        assert SyncLock(state).holder()[0] == os.getpid()
        other = SyncLock(state)
        try:
            other.acquire()
        except SyncLocked as exc:
            assert exc.pid == os.getpid() and exc.since
            assert f"another sync is running (pid {os.getpid()} since " in str(exc)
        else:
            raise AssertionError("a second lock on the same state was granted")
    finally:
        lock.release()
    assert lock.path.read_text() == ""
    assert (tmp_path / f"state.sqlite3{GUARD_SUFFIX}").stat().st_mode & 0o077 == 0
    again = SyncLock(state)
    again.acquire()
    again.release()
