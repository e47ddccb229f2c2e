"""A terminal that hangs up under the console: Textual's writer thread keeps draining its
queue after a failed write, so the driver's close (which queues one more item) returns and
the app can end (tui/hangup.py)."""

from __future__ import annotations

import errno
import threading

from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

from tui import hangup


class HungUp:
    """A terminal after its hang-up: every write fails with EIO, as a tty's does."""

    def __init__(self) -> None:
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        raise OSError(errno.EIO, "Input/output error")

    def flush(self) -> None:
        raise OSError(errno.EIO, "Input/output error")

    def fileno(self) -> int:
        return -1


def test_the_writer_thread_outlives_a_hung_up_terminal():
    hangup.install()
    terminal = HungUp()
    writer = WriterThread(terminal)
    writer.start()
    stopped = threading.Event()

    def shut_down() -> None:            # what the app does last: frames, restores, then stop
        for i in range(MAX_QUEUED_WRITES * 3):
            writer.write(f"frame {i}")
        writer.stop()
        stopped.set()
    threading.Thread(target=shut_down, daemon=True).start()
    assert stopped.wait(10), "the driver's close waited forever for room in the queue"
    assert terminal.writes == 1         # the first failure: nothing is written after it
    assert not writer.is_alive()
