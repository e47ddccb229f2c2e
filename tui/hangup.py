"""The terminal going away under a running console (its window closed, tmux kill-session, an
ssh link dropped) must end the app, so that `xtbox run --display tui` powers its VM off with
the disks flushed instead of living on, holding the images' locks.

Textual writes to the terminal from a writer thread over a bounded queue (30 writes). Once
the terminal has hung up, a write fails (EIO) and that thread dies of it; the app goes on
queueing its last frames and the sequences that restore the terminal, the queue fills, and
the driver's close, which queues one more item to stop the thread, waits for room forever
(seen as a run still alive minutes after tmux killed its session, stuck in
WriterThread.stop). ``install`` lets the writer thread outlive the failed write: it keeps
taking what is queued, and drops it, until it is told to stop.
"""

from __future__ import annotations


def install() -> bool:
    try:
        from textual.drivers._writer_thread import WriterThread
    except ImportError:
        return False
    if getattr(WriterThread, "_xtbox_hangup", False):
        return True

    def run(self) -> None:
        get, qsize = self._queue.get, self._queue.qsize
        gone = False
        while True:
            text = get()
            if text is None:
                break
            if gone:
                continue                  # nobody to show it to: drop it, keep the queue moving
            try:
                self._file.write(text)
                if qsize() == 0:
                    self._file.flush()
            except (OSError, ValueError):  # EIO: hung up; ValueError: the file was closed
                gone = True
        if not gone:
            try:
                self._file.flush()
            except (OSError, ValueError):
                pass

    WriterThread.run = run
    WriterThread._xtbox_hangup = True
    return True
