"""The terminal's mouse as the guest's serial mouse: cells to counts, terminal buttons to the
mouse's, and the queue that keeps a fast-moving pointer from flooding the control socket.

A terminal reports the pointer's cell; a serial mouse reports relative motion in counts
(mickeys). DOS drivers map counts to their virtual screen (640 x 200 in every CGA mode) at
8 counts per 8 pixels across and 16 per 8 down by default, so a sweep across the guest's
screen is 640 counts across and 400 down. The console maps the area showing the guest
(text or graphics) to that range, from the pointer's absolute cell, so rounding never drifts:
a move across the view moves the guest's pointer across its screen.
"""

from __future__ import annotations

import threading
from collections import deque

COUNTS_ACROSS = 640
COUNTS_DOWN = 400
# Textual's button numbers (1 left, 2 middle, 3 right) -> the mouse's bits.
BUTTON_BITS = {1: 1, 2: 4, 3: 2}


class MouseMapper:
    """Pointer cells -> relative counts for a view ``width`` x ``height`` cells."""

    def __init__(self) -> None:
        self._last: tuple[int, int] | None = None

    def reset(self) -> None:
        """Forget where the pointer was (captured again, or the view changed): the next
        position is the new origin, so the guest's pointer does not jump."""
        self._last = None

    def move(self, x: float, y: float, width: int, height: int) -> tuple[int, int]:
        width, height = max(1, width), max(1, height)
        x = min(max(x, 0), width - 1)
        y = min(max(y, 0), height - 1)
        at = (round(x * COUNTS_ACROSS / width), round(y * COUNTS_DOWN / height))
        last, self._last = self._last, at
        if last is None:
            return 0, 0
        return at[0] - last[0], at[1] - last[1]


class MouseQueue:
    """Motion and button changes waiting to go to the VM, merged while they wait.

    Motion with the same buttons held is summed into one command; a button change starts a
    new one, so a click shorter than the control round trip still reaches the guest as a
    press and a release. ``add`` returns True when a new command was queued (the caller then
    posts one marker for the sender thread, which ``take``s one command a marker)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: deque[list[int]] = deque()
        self.buttons = 0

    def add(self, dx: int, dy: int, buttons: int | None = None) -> bool:
        with self._lock:
            if buttons is not None:
                self.buttons = buttons
            if self._items and self._items[-1][2] == self.buttons:
                self._items[-1][0] += dx
                self._items[-1][1] += dy
                return False
            if not self._items and not (dx or dy) and buttons is None:
                return False
            self._items.append([dx, dy, self.buttons])
            return True

    def take(self) -> dict | None:
        with self._lock:
            if not self._items:
                return None
            dx, dy, buttons = self._items.popleft()
        return {"dx": dx, "dy": dy, "buttons": buttons}
