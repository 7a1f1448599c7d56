"""One sync at a time per state file.

An exclusive ``flock`` on ``<state>.lock``: the kernel drops it when the holder exits,
even on SIGKILL, so a lock left by a crashed process is taken over by the next run. The
file records who holds it, so a second sync can say "another sync is running (pid N
since T)".
"""

from __future__ import annotations

import fcntl
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from bp_tui.errors import BpTuiError


class SyncLocked(BpTuiError):
    def __init__(self, pid: int | None, since: str | None):
        self.pid = pid
        self.since = since
        who = f"pid {pid}" if pid else "pid unknown"
        when = f" since {since}" if since else ""
        super().__init__(f"another sync is running ({who}{when}); use --wait to wait for it")


class SyncLock:
    def __init__(self, state_path: Path) -> None:
        self.path = Path(str(state_path) + ".lock")
        self._fd: int | None = None

    def holder(self) -> tuple[int | None, str | None]:
        try:
            text = self.path.read_text().strip()
        except OSError:
            return None, None
        pid_text, _, since = text.partition(" ")
        return (int(pid_text) if pid_text.isdigit() else None), (since or None)

    def acquire(self, *, wait: bool = False, poll_s: float = 0.2, timeout_s: float | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait or (deadline is not None and time.monotonic() > deadline):
                    os.close(fd)
                    raise SyncLocked(*self.holder()) from None
                time.sleep(poll_s)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {since}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> "SyncLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
