"""One sync at a time per state file.

An exclusive ``flock`` on ``<state>.lock``: the kernel drops it when the holder exits,
even on SIGKILL, so a lock left by a crashed process is taken over by the next run. The
file records who holds it, so a second sync can say "another sync is running (pid N
since T)".

Taking the lock and writing the holder's pid into it are two steps, so both happen under a
second, short ``flock`` on ``<state>.lock-guard``, and a run that finds the lock taken reads
the holder under that guard too: it never sees the lock held without the holder's pid (nor
the pid of an earlier holder, nor a file emptied by a release).

Both files are opened without following links (a link there is refused, its target untouched).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bp_tui.errors import SyncLocked
from bp_tui.paths import make_private_folder, open_private

GUARD_SUFFIX = ".lock-guard"


class SyncLock:
    def __init__(self, state_path: Path) -> None:
        self.path = Path(str(state_path) + ".lock")
        self.guard_path = Path(str(state_path) + GUARD_SUFFIX)
        self._fd: int | None = None

    def holder(self) -> tuple[int | None, str | None]:
        """Who holds the lock, as its file says (read under the guard: never half written)."""
        try:
            with self._guard():
                fd = open_private(self.path, os.O_RDONLY)
                try:
                    return _read(fd)
                finally:
                    os.close(fd)
        except OSError:
            return None, None

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """The short lock under which the sync lock is taken, written, read and released."""
        fd = open_private(self.guard_path, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the flock

    def acquire(
        self, *, wait: bool = False, poll_s: float = 0.2, timeout_s: float | None = None
    ) -> None:
        make_private_folder(self.path.parent)
        fd = open_private(self.path, os.O_RDWR | os.O_CREAT)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        try:
            while True:
                with self._guard():
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        holder = _read(fd)
                    else:
                        since = datetime.now(UTC).isoformat(timespec="seconds")
                        os.ftruncate(fd, 0)
                        os.pwrite(fd, f"{os.getpid()} {since}\n".encode(), 0)
                        self._fd = fd
                        return
                if not wait or (deadline is not None and time.monotonic() > deadline):
                    raise SyncLocked(*holder)
                time.sleep(poll_s)
        except BaseException:
            if self._fd != fd:
                os.close(fd)
            raise

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            with self._guard():
                os.ftruncate(self._fd, 0)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> SyncLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read(fd: int) -> tuple[int | None, str | None]:
    try:
        return _parse(os.pread(fd, 200, 0).decode("utf-8", "replace").strip())
    except OSError:
        return None, None


def _parse(text: str) -> tuple[int | None, str | None]:
    pid_text, _, since = text.partition(" ")
    return (int(pid_text) if pid_text.isdigit() else None), (since or None)
