"""The screen's output once the terminal is gone (ui/terminal.py): the first failed write (EIO)
reports the terminal gone, once, and every later write is dropped, so Textual's writer thread
keeps emptying its queue (its 31st write would otherwise block the event loop for ever)."""

from __future__ import annotations

import errno
import threading

from textual.drivers._writer_thread import WriterThread

from bp_tui.ui.terminal import TerminalOut


class GoneTerminal:
    """A terminal that fails every write and flush after the first ``works`` writes."""

    def __init__(self, works: int = 0) -> None:
        self.works = works
        self.written: list[str] = []

    def write(self, text: str) -> None:
        if len(self.written) >= self.works:
            raise OSError(errno.EIO, "Input/output error")
        self.written.append(text)

    def flush(self) -> None:
        if len(self.written) >= self.works:
            raise OSError(errno.EIO, "Input/output error")

    def fileno(self) -> int:
        return 2


def test_the_first_failed_write_reports_the_terminal_gone_once_and_later_writes_are_dropped():
    terminal = GoneTerminal(works=2)
    gone: list[int] = []
    out = TerminalOut(terminal, lambda: gone.append(1))  # type: ignore[arg-type]
    out.write("a")
    out.write("b")
    assert not out.failed and gone == []
    out.write("c")  # the terminal went away
    assert out.failed and gone == [1]
    for text in ("d", "e"):
        out.write(text)
        out.flush()
    assert gone == [1] and terminal.written == ["a", "b"]


def test_the_writer_thread_keeps_draining_its_queue_after_the_terminal_is_gone():
    gone = threading.Event()
    writer = WriterThread(TerminalOut(GoneTerminal(), gone.set))  # type: ignore[arg-type]
    writer.start()
    finished = threading.Event()

    def many_frames() -> None:  # far more than the queue holds (30)
        for n in range(500):
            writer.write(f"frame {n}")
        writer.stop()
        finished.set()

    threading.Thread(target=many_frames, daemon=True).start()
    assert finished.wait(5), "the writes blocked: the writer thread stopped emptying its queue"
    assert gone.is_set() and not writer.is_alive()
