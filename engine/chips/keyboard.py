"""The IBM XT keyboard (scancode set 1) as the motherboard sees it, with a lossless host queue.

On the XT the keyboard shifts a byte into a register on the motherboard, raises IRQ1, and
cannot send again until software clears the register by pulsing port 61h bit 7 (the INT 9
handler's "acknowledge"). This model keeps that handshake and adds what an emulator needs:
the host may push keys far faster than a guest reads them (a paste of a whole file), so keys
wait in an unbounded host-side queue and are released one byte at a time, each only after the
guest acknowledged the previous one and at least ``min_gap`` clocks later. Nothing is dropped.

An optional ``ready`` predicate lets the machine hold keys back further without this chip
knowing why (for example "the BIOS type-ahead buffer has room"), since a BIOS drops keys when
its 15-character buffer is full: with the predicate no pasted character is ever lost.

Wires and methods:
    kbd = XTKeyboard(clock=None, min_gap=600, ready=None, read_ack_delay=5966)
    kbd.irq = pic.wire(1)            # IRQ1: high while a byte waits in the register
    kbd.read_data() -> int           # port 60h (PPI port A): the register
    kbd.set_clear(level)             # port 61h bit 7: 1 clears the register and holds it clear
    kbd.set_clock(level)             # port 61h bit 6: 0 holds the clock low; 0->1 resets the
                                     # keyboard, which answers 0xAA (self-test passed)
    kbd.press(name_or_code) ; kbd.release(name_or_code) ; kbd.tap(name)   # host side
    kbd.send(codes)                  # raw scancode bytes, in order (thread-safe)
    kbd.type_text(text)              # US layout via engine.chips.scancodes
    kbd.pending() -> int             # bytes still queued on the host side
    kbd.tick(now) ; kbd.next_event(now) ; reset() ; get_state() ; set_state()
The host-side methods only append to a deque, so a UI thread may call them while the
emulation thread runs ``tick``; the machine must tick the keyboard at least once per slice.
After the guest acknowledges, the register keeps its last byte readable at port 60h (as the AT
does); games that poll port 60h therefore still see the last key. Handlers written for the AT
read port 60h and never pulse 61h bit 7; on a real XT the keyboard would then stall, here a
byte that was read counts as acknowledged ``read_ack_delay`` clocks (5 ms) after its first
read (``None`` gives the strict XT behaviour).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from engine.chips import scancodes
from engine.chips.base import Chip, Clock, Wire, _no_wire

SELF_TEST_OK = 0xAA


class XTKeyboard(Chip):
    """XT keyboard + the motherboard's scancode register (see module docstring)."""

    name = "keyboard"
    PORTS: list[tuple[int, int]] = []  # reached through the PPI at 60h/61h

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        min_gap: int = 600,
        ready: Callable[[], bool] | None = None,
        read_ack_delay: int | None = 5966,
        name: str = "keyboard",
    ) -> None:
        super().__init__(clock=clock)
        self.name = name
        self.min_gap = min_gap
        self.ready = ready
        self.read_ack_delay = read_ack_delay
        self.irq: Wire = _no_wire
        self.queue: deque[int] = deque()
        self.reset()

    def reset(self) -> None:
        """Power-on: register empty, lines released. Host keys already queued are kept."""
        self.data = 0
        self.full = False
        self.read_at = -1  # when the guest first read the waiting byte (-1: not yet)
        self.clear_held = False
        self.clock_low = False
        self.earliest = 0  # no delivery before this time (gap after delivery / ack)
        self._irq_level = False
        self._set_irq(False)

    # -- host side ------------------------------------------------------------------------
    def send(self, codes: Iterable[int]) -> None:
        """Queue raw scancode bytes (validated) for delivery at the guest's pace."""
        data = [int(c) for c in codes]
        for c in data:
            if not 0 <= c <= 0xFF:
                raise ValueError(f"scancode {c!r} is not a byte (0..255)")
        self.queue.extend(data)

    def press(self, key: str | int) -> None:
        self.send([key] if isinstance(key, int) else scancodes.key_make(key))

    def release(self, key: str | int) -> None:
        if isinstance(key, int):
            self.send([key | 0x80])
        else:
            self.send(scancodes.key_break(key))

    def tap(self, key: str) -> None:
        self.send(scancodes.key_press(key))

    def type_text(self, text: str) -> None:
        """Queue the keystrokes that type ``text`` (ValueError before queueing anything if a
        character cannot be typed)."""
        self.send(scancodes.text_to_scancodes(text))

    def pending(self) -> int:
        return len(self.queue)

    # -- motherboard side ------------------------------------------------------------------
    def read_data(self) -> int:
        if self.full and self.read_at < 0:
            self.read_at = self.now()
        return self.data

    def set_clear(self, level: bool) -> None:
        level = bool(level)
        if level and not self.clear_held:
            if self.full:
                # Acknowledge: the next byte may follow after the gap.
                self.earliest = max(self.earliest, self.now() + self.min_gap)
            self.full = False
            self._set_irq(False)
        self.clear_held = level
        if not level:
            self._try_deliver(self.now())
            self.rescheduled()          # the next key may follow after the gap

    def set_clock(self, level: bool) -> None:
        level = bool(level)
        if self.clock_low and level:
            # Clock released after being held low: the keyboard resets and reports.
            self.queue.appendleft(SELF_TEST_OK)
            self.earliest = max(self.earliest, self.now() + self.min_gap)
        self.clock_low = not level
        self.rescheduled()

    # -- time ---------------------------------------------------------------------------
    def _can_send(self) -> bool:
        return bool(self.queue) and not self.full and not self.clear_held and not self.clock_low

    def _implicit_ack_at(self) -> int | None:
        if not self.full or self.read_at < 0 or self.read_ack_delay is None:
            return None
        return self.read_at + self.read_ack_delay

    def _try_deliver(self, now: int) -> None:
        ack_at = self._implicit_ack_at()
        if ack_at is not None and now >= ack_at:
            # AT-style handler: read port 60h but never pulsed 61h bit 7. Treat the read as
            # the acknowledge once the delay has passed (the byte was seen: nothing lost).
            self.full = False
            self.earliest = max(self.earliest, now)
            self._set_irq(False)
        if not self._can_send() or now < self.earliest:
            return
        if self.ready is not None and not self.ready():
            self.earliest = now + self.min_gap  # look again a little later
            return
        self.data = self.queue.popleft()
        self.full = True
        self.read_at = -1
        self.earliest = now + self.min_gap
        self._set_irq(True)

    def tick(self, now: int) -> None:
        super().tick(now)
        self._try_deliver(now)

    def next_event(self, now: int) -> int | None:
        ack_at = self._implicit_ack_at()
        if ack_at is not None and self.queue:
            return max(ack_at, now)
        if not self._can_send():
            return None
        return max(self.earliest, now)

    def _set_irq(self, level: bool) -> None:
        if level != self._irq_level:
            self._irq_level = level
            self.irq(level)

    # -- state --------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {
            "data": self.data, "full": self.full, "read_at": self.read_at,
            "clear_held": self.clear_held,
            "clock_low": self.clock_low, "earliest": self.earliest,
            "irq_level": self._irq_level, "queue": bytes(self.queue),
            "tick_time": self._tick_time,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.data = state["data"]
        self.full = state["full"]
        self.read_at = state["read_at"]
        self.clear_held = state["clear_held"]
        self.clock_low = state["clock_low"]
        self.earliest = state["earliest"]
        self._tick_time = state["tick_time"]
        self.queue = deque(state["queue"])
        self._irq_level = not state["irq_level"]
        self._set_irq(state["irq_level"])
