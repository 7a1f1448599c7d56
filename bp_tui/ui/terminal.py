"""The terminal going away (an SSH connection that drops, a closed window, ``tmux kill-server``).

Textual's Linux driver writes the screen from a thread through a queue of 30 writes; on a
terminal that is gone each write fails (EIO), that thread ends, and the 31st write blocks the
event loop for ever (the process then holds the sync lock until killed). Its input thread reads
end-of-file without pause. ``HangupDriver`` is that driver with both handled:

- the screen's writes go through ``TerminalOut``, which drops everything once a write fails;
- on Linux, a thread waits (``poll``, no reading) for the terminal's hang-up;
- either way, once: the input thread is told to end, and the app's ``terminal_gone`` runs in
  its loop (the dashboard stops its sync at the next safe point and exits).

SIGHUP, which the kernel sends as well when the terminal was the process's controlling one,
is handled by the app itself.
"""

from __future__ import annotations

import asyncio
import os
import select
import sys
import threading
from collections.abc import Callable
from typing import IO, Any, cast

from textual.drivers.linux_driver import LinuxDriver

HANGUP_POLL_MS = 250  # how often the watcher looks whether the driver is closing


class TerminalOut:
    """A text file that drops every write once one failed (the terminal is gone): the writer
    thread then keeps emptying its queue, so the event loop never blocks on it."""

    def __init__(self, file: IO[str], gone: Callable[[], None]) -> None:
        self._file = file
        self._gone = gone
        self.failed = False

    def write(self, text: str) -> None:
        if not self.failed:
            self._call(self._file.write, text)

    def flush(self) -> None:
        if not self.failed:
            self._call(self._file.flush)

    def _call(self, method: Callable[..., Any], *args: Any) -> None:
        try:
            method(*args)
        except (OSError, ValueError):  # EIO, EPIPE, ENXIO...; ValueError: the file was closed
            self.failed = True
            self._gone()

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return True


class HangupDriver(LinuxDriver):
    """Textual's Linux driver, ending the app when its terminal goes away (see the module)."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._out = TerminalOut(cast(IO[str], self._file), self.terminal_gone)
        self._file = cast(Any, self._out)  # the driver's writer thread writes through it
        self.gone = threading.Event()
        self._closing = threading.Event()
        self._watcher: threading.Thread | None = None

    def start_application_mode(self) -> None:
        self._loop = asyncio.get_running_loop()
        super().start_application_mode()
        # (Linux only: macOS's poll() does not support terminals, and answers POLLNVAL at once)
        if self._watcher is None and sys.platform.startswith("linux") and os.isatty(self.fileno):
            self._watcher = threading.Thread(target=self._watch, name="bp-tui-hangup", daemon=True)
            self._watcher.start()

    def _sigcont_application(self, *args: Any) -> None:
        if not self.gone.is_set():  # (the kernel sends SIGCONT with a hang-up: nothing to resume)
            super()._sigcont_application(*args)

    def _watch(self) -> None:
        """Wait for the terminal's hang-up (poll reports it whatever events are asked for)."""
        poller = select.poll()
        poller.register(self.fileno, 0)
        while not self._closing.is_set() and not self.gone.is_set():
            try:
                events = poller.poll(HANGUP_POLL_MS)
            except OSError:
                events = [(self.fileno, select.POLLERR)]
            if any(
                mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _fd, mask in events
            ):
                self.terminal_gone()
                return

    def terminal_gone(self) -> None:
        """From any thread, once: stop reading, and tell the app."""
        if self.gone.is_set():
            return
        self.gone.set()
        self._out.failed = True
        self.exit_event.set()  # the input thread's loop ends (it would read end-of-file for ever)
        loop, handler = self._loop, getattr(self._app, "terminal_gone", None)
        if loop is not None and handler is not None:
            try:
                loop.call_soon_threadsafe(handler)
            except RuntimeError:
                pass  # the loop has ended: the app is exiting anyway

    def close(self) -> None:
        self._closing.set()
        super().close()
