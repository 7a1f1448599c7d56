"""`bp-tui demo` in a real pseudo-terminal at 80x24 with TERM=xterm-256color, driven by keys
as an operator over SSH would: the overview of its two profiles within 2 s, Enter opens the
first one's queue, `s` syncs with visible progress, `?` shows help, setup shows the OAuth
connection, F5 goes back to the overview and on to the second profile, `q` quits cleanly."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time

EXE = os.path.join(os.path.dirname(sys.executable), "bp-tui")
ANSI = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|"
    rb"\x1b[PX^_].*?\x1b\\\\|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]|\x1b[=>78]"
)


class Terminal:
    """``argv`` (default: ``bp-tui demo``) in an 80x24 pseudo-terminal."""

    def __init__(self, argv: list[str] | None = None, cwd: str | None = None) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = dict(
            os.environ, TERM="xterm-256color", COLUMNS="80", LINES="24", TEXTUAL_ANIMATIONS="none"
        )
        self.proc = subprocess.Popen(
            argv or [EXE, "demo"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
            cwd=cwd,
        )
        os.close(slave)
        self.raw = b""

    def read(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.raw += chunk

    def text(self, since: int = 0) -> str:
        return ANSI.sub(b"", self.raw[since:]).decode("utf-8", "replace")

    def wait_for(self, needle: str, seconds: float, since: int = 0) -> float:
        """Wait until the screen output shows ``needle`` (alternatives separated by "|")."""
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            self.read(0.1)
            if any(part in self.text(since) for part in needle.split("|")):
                return time.monotonic() - start
        raise AssertionError(
            f"{needle!r} not shown within {seconds} s; screen text: {self.text(since)[-800:]!r}"
        )

    def press(self, keys: bytes) -> int:
        mark = len(self.raw)
        os.write(self.master, keys)
        return mark


def test_demo_over_a_terminal():
    term = Terminal()
    try:
        started = time.monotonic()
        term.wait_for("Notes per stage", 10)  # the overview of the demo's two profiles
        assert (
            time.monotonic() - started < 2.0 + 1.5
        )  # 2 s target, plus interpreter start on a busy CI box
        term.wait_for("south-shop", 5)
        mark = term.press(b"\r")  # Enter: the first profile's queue
        term.wait_for(
            "Tracking", 10, since=mark
        )  # the queue's column header (stage, GON, … tracking)
        term.wait_for("profile north-shop", 5, since=mark)
        term.wait_for("Sync finished", 10)  # the first automatic sync
        mark = term.press(b"s")
        # visible progress: the header says SYNCING, and the progress bar stays up at 100 %
        term.wait_for("SYNCING|100%", 5, since=mark)
        term.wait_for("Sync finished", 10, since=mark)
        mark = term.press(b"?")
        term.wait_for("Order queue: keys", 5, since=mark)
        term.press(b"\x1b")
        term.read(0.5)
        mark = term.press(
            b"\x1bOR"
        )  # F3: the demo's Brightpearl is connected by OAuth, as a new setup is
        term.wait_for("oauth (recommended)", 5, since=mark)
        term.press(b"\x1bOQ")  # F2: back to the queue
        term.read(0.5)
        mark = term.press(b"\x1b[15~")  # F5: the overview again
        term.wait_for("Notes per stage", 5, since=mark)
        term.read(0.3)
        term.press(b"\x1b[B")  # down
        term.read(0.3)
        mark = term.press(b"\r")
        term.wait_for("profile south-shop", 5, since=mark)
        term.wait_for("Sync finished", 10, since=mark)  # the second profile syncs once it is open
        term.press(b"q")
        assert term.proc.wait(timeout=10) == 0
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
        os.close(term.master)


def test_the_demo_runs_on_shipstation_v2_too():
    term = Terminal([EXE, "demo", "--ss-api", "v2"])
    try:
        term.wait_for("Notes per stage", 10)
        term.press(b"\r")  # the first profile
        term.wait_for("Sync finished", 15)  # the first automatic sync, through the V2 API
        mark = term.press(b"\x1bOS")  # F4: troubleshooting names the API in use
        term.wait_for("ShipStation API V2", 5, since=mark)
        term.press(b"q")
        assert term.proc.wait(timeout=10) == 0
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
        os.close(term.master)
