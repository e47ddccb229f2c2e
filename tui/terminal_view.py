"""A plain terminal view of a running machine for `xtbox run --display tui`: the text screen
redrawn in place, keys typed here go to the guest. The full Textual console is tui/app."""

from __future__ import annotations

import os
import select
import sys
import termios
import threading
import tty


class TerminalView:
    def __init__(self, machine) -> None:
        self.machine = machine
        self._stop = threading.Event()
        self._saved = None

    def start(self) -> None:
        if sys.stdin.isatty():
            self._saved = termios.tcgetattr(sys.stdin.fileno())
            tty.setcbreak(sys.stdin.fileno())
        sys.stdout.write("\x1b[?1049h\x1b[2J")
        threading.Thread(target=self._draw, daemon=True).start()
        threading.Thread(target=self._keys, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        if self._saved is not None:
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)
        sys.stdout.write("\x1b[?1049l")
        sys.stdout.flush()

    def _draw(self) -> None:
        previous = None
        while not self._stop.wait(0.05):
            screen = self.machine.text_screen()
            lines = screen.text_lines()
            if lines != previous:
                out = ["\x1b[H"] + [f"{line:<{screen.cols}}\r\n" for line in lines]
                out.append(f"\x1b[{screen.cursor_row + 1};{screen.cursor_col + 1}H")
                sys.stdout.write("".join(out))
                sys.stdout.flush()
                previous = lines

    def _keys(self) -> None:
        fd = sys.stdin.fileno()
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            data = os.read(fd, 64)
            if not data:
                return
            text = data.decode("latin-1").replace("\n", "\r").replace("\x7f", "\b")
            try:
                self.machine.type_text(text.replace("\r", "\n"))
            except ValueError:
                pass
