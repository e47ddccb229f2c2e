"""What every chip shares: a name, declared ports, a view of virtual time, and the device
contract the machine's registry relies on (``Device``: reset / get_state / set_state;
``TimedDevice``: also tick / next_event and the ``on_reschedule`` wire).

Chips are standalone (they import nothing of the PC). Time-dependent chips (PIT, keyboard,
CRTC status, UART) need "now" in the middle of an IN/OUT, not only at `tick(now)`: a polling
loop that reads the PIT counter or the CGA retrace bit must see time move between two reads,
or it never ends. So a chip takes an optional ``clock`` callable (returning virtual time in
PIT input clocks, 1,193,182 per second) from the machine. Without one it falls back to the
time of the last ``tick(now)``, which is exact for unit tests and coarse-but-safe otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

PIT_HZ = 1_193_182
"""Virtual time unit: the 8253's input clock (14.31818 MHz / 12)."""

Clock = Callable[[], int]
Wire = Callable[[bool], None]


def _no_wire(level: bool) -> None:
    """Default for an unconnected output wire: the signal goes nowhere."""


@runtime_checkable
class Device(Protocol):
    """What the machine's registry asks of every device: power-on state, and a saved state
    made of plain data (ints, bools, bytes, str, lists, dicts) that ``set_state`` takes back
    exactly, including the host-side parts that shape what the guest sees next (queues)."""

    def reset(self) -> None: ...
    def get_state(self) -> dict[str, Any]: ...
    def set_state(self, state: dict[str, Any]) -> None: ...


@runtime_checkable
class TimedDevice(Device, Protocol):
    """A device with behaviour in time: the machine ticks it between slices and runs the CPU
    no further than its next event. ``on_reschedule(self)`` is called by the device when a
    guest access may have moved its next event earlier (the machine then ends the slice)."""

    on_reschedule: Callable[[Any], None] | None

    def tick(self, now: int) -> None: ...
    def next_event(self, now: int) -> int | None: ...


class Chip:
    """Base for chips: ``PORTS``, ``name``, the clock fallback and contract defaults."""

    PORTS: list[tuple[int, int]] = []
    name: str = "chip"

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.clock = clock
        self._tick_time = 0
        self.on_reschedule: Callable[[Any], None] | None = None

    def reset(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define reset()")

    def get_state(self) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} must define get_state()")

    def set_state(self, state: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define set_state()")

    def rescheduled(self) -> None:
        """Tell whoever schedules this chip that its next event may now be earlier."""
        if self.on_reschedule is not None:
            self.on_reschedule(self)

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
