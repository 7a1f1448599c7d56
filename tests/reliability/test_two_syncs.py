"""Two syncs on one state file: one runs, the other says who holds it, or waits with --wait;
a lock left by a killed process is taken over."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from .served import Served, wait_for_line

HOLD = """
import sys, time
from pathlib import Path
from bp_tui.state import SyncLock
lock = SyncLock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
lock.release()
"""


def hold_lock(state, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(state), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_second_sync_exits_1_naming_the_holder_or_waits(tmp_path):
    served = Served(tmp_path, orders=6)
    holder = hold_lock(served.state, 30)
    try:
        refused = served.run("sync", "--once")
        assert refused.returncode == 1
        assert f"another sync is running (pid {holder.pid} since " in refused.stderr
        assert served.tally()["orders"] == 0  # it wrote nothing
        holder.kill()  # SIGKILL: the kernel drops the flock; the pid stays in the lock file
        holder.wait()
        taken = served.run("sync", "--once")
        assert taken.returncode in (0, 1) and "another sync" not in taken.stderr
        assert served.tally()["orders"] > 0
    finally:
        holder.kill()
        served.close()


def test_wait_flag_waits_for_the_running_sync(tmp_path):
    served = Served(tmp_path, orders=6)
    holder = hold_lock(served.state, 1.0)
    try:
        started = time.monotonic()
        waited = served.run("sync", "--once", "--wait")
        assert waited.returncode in (0, 1), waited.stderr
        assert time.monotonic() - started >= 0.5
        assert served.tally()["orders"] > 0
    finally:
        holder.kill()
        served.close()


def test_real_sync_killed_mid_cycle_leaves_a_lock_that_is_taken_over(tmp_path):
    served = Served(tmp_path, orders=10)
    try:
        proc = served.start_sync("--watch")
        wait_for_line(proc, ("discover", "recover"))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert served.state.with_name("state.sqlite3.lock").read_text().startswith(f"{proc.pid} ")
        again = served.run("sync", "--once")
        assert again.returncode in (0, 1), again.stderr
        assert "another sync" not in again.stderr
    finally:
        served.close()
