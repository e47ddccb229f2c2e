"""What every chip shares: a name, declared ports, and a view of virtual time.

Chips are standalone (they import nothing of the PC). Time-dependent chips (PIT, keyboard,
CRTC status, UART) need "now" in the middle of an IN/OUT, not only at `tick(now)`: a polling
loop that reads the PIT counter or the CGA retrace bit must see time move between two reads,
or it never ends. So a chip takes an optional ``clock`` callable (returning virtual time in
PIT input clocks, 1,193,182 per second) from the machine. Without one it falls back to the
time of the last ``tick(now)``, which is exact for unit tests and coarse-but-safe otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

PIT_HZ = 1_193_182
"""Virtual time unit: the 8253's input clock (14.31818 MHz / 12)."""

Clock = Callable[[], int]
Wire = Callable[[bool], None]


def _no_wire(level: bool) -> None:
    """Default for an unconnected output wire: the signal goes nowhere."""


class Chip:
    """Base for chips: ``PORTS``, ``name``, the clock fallback and contract defaults."""

    PORTS: list[tuple[int, int]] = []
    name: str = "chip"

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.clock = clock
        self._tick_time = 0

    def now(self) -> int:
        """Virtual time as the chip sees it right now (see module docstring)."""
        if self.clock is not None:
            return self.clock()
        return self._tick_time

    def polled_now(self, step: int = 16) -> int:
        """``now()`` for status registers that software busy-polls (CGA/MDA retrace).

        With a clock this is just the clock. Without one, time would stand still between two
        ticks and a "wait for retrace" loop would never end, so each poll nudges a private
        offset forward by ``step`` clocks (about one IN-and-branch iteration).
        """
        if self.clock is not None:
            return self.clock()
        self._poll_offset = getattr(self, "_poll_offset", 0) + step
        return self._tick_time + self._poll_offset

    def tick(self, now: int) -> None:
        """Catch up to virtual time ``now``. Chips with time behaviour extend this."""
        if now > self._tick_time:
            self._tick_time = now

    def next_event(self, now: int) -> int | None:
        """Virtual time of the next thing the chip must do by itself; None when idle."""
        return None

    def __repr__(self) -> str:
        ports = ", ".join(f"{a:#x}-{b:#x}" for a, b in self.PORTS)
        return f"<{type(self).__name__} {self.name} [{ports}]>"
