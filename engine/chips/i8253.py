"""Intel 8253/8254 programmable interval timer, counted lazily in virtual time.

Why lazy: the PIT's input clock runs at 1.193182 MHz; stepping three counters per clock would
cost more than the CPU. Instead each channel remembers when its counting element was loaded and
with what, and its count and OUT level are computed from ``now`` on demand (as PCE's e8253 and
QEMU's i8254 do). The only thing the PIT must *do* by itself is raise IRQ0 when channel 0's OUT
rises; ``next_event(now)`` says when that is and ``tick(now)`` drives the wire.

Implemented: channels 0-2; modes 0-5 (1 and 5 triggered by the gate's rising edge); access
modes lobyte / hibyte / lobyte-then-hibyte with separate read and write flip-flops (reads and
writes may interleave, as on the 8254); BCD counting; the counter-latch command; the 8254
read-back command (count and/or status, with the null-count bit); count 0 meaning 65536
(10000 in BCD). Timing follows the datasheet: a count is loaded into the counting element on
the clock after it is written, mode 0 OUT goes high N+1 clocks after the write, mode 2 pulses
OUT low for one clock per period, mode 3 is high for ceil(N/2) and low for floor(N/2).
Mode 3 with an odd N reads back the 8254's sequence (N, N-1, N-3, ... high; N, N-3, ... low).
Approximations: a new count written in mode 3 takes effect at the end of the current period
(the 8254 switches at the end of the current half-cycle); a count of 1 in modes 2/3 (illegal
on the chip) behaves like 2. tests/engine/chips/test_i8253_reference.py checks all of this
clock by clock against a stepped reference model.

Public API:
    pit = PIT8253(base=0x40, clock=None)  # ports base..base+3; clock() -> virtual time
    pit.irq0 = pic.wire(0)                # channel 0 OUT wire, driven in tick()
    pit.tick(now) ; pit.next_event(now) -> time of channel 0's next OUT rising edge | None
    pit.out(ch) -> bool                   # OUT level now (port 62h bit 5 reads OUT2)
    pit.set_gate(ch, level)               # GATE input (port 61h bit 0 drives GATE2)
    pit.frequency(ch) -> float | None     # square-wave frequency in Hz (speaker), if periodic
    pit.reset() ; pit.get_state() ; pit.set_state(state)
Time is virtual PIT clocks (an int). ``now`` during an IN/OUT comes from ``clock``; give the
machine's instruction-derived clock so counter-polling loops see time advance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.chips.base import PIT_HZ, Chip, Clock, Wire, _no_wire


def _to_bcd(value: int) -> int:
    return (
        (value % 10)
        | ((value // 10 % 10) << 4)
        | ((value // 100 % 10) << 8)
        | ((value // 1000 % 10) << 12)
    )


def _from_bcd(value: int) -> int:
    return (
        (value & 0xF)
        + ((value >> 4) & 0xF) * 10
        + ((value >> 8) & 0xF) * 100
        + ((value >> 12) & 0xF) * 1000
    )


class _Channel:
    """One counter. ``start`` is when the counting element held ``n``; counts follow."""

    _FIELDS = (
        "mode", "access", "bcd", "cr", "cr_low", "write_hi", "read_hi", "latch", "latch_hi",
        "status", "gate", "armed", "n", "start", "frozen", "hold", "next_n", "next_start",
        "written", "hold_out",
    )

    def __init__(self) -> None:
        self.mode = 0
        self.access = 3
        self.bcd = False
        self.cr = 0  # last count written (raw register value)
        self.cr_low = 0  # first byte of a lobyte/hibyte write
        self.write_hi = False  # write flip-flop: next byte written is the high byte
        self.read_hi = False  # read flip-flop for live reads
        self.latch = -1  # latched count or -1
        self.latch_hi = False
        self.status = -1  # latched status byte or -1
        self.gate = True
        self.armed = False  # counting element is (or will be) running with n
        self.n = 0x10000
        self.start = 0
        self.frozen: int | None = None  # elapsed clocks while the gate holds counting
        self.hold = 0  # what the counting element shows before a count is loaded
        self.next_n = 0  # modes 2/3: count that takes over at next_start
        self.next_start: int | None = None
        self.written = False  # a count has been written since the control word
        self.hold_out = True  # mode 1: OUT between a retrigger and the reload it causes

    # -- timeline ---------------------------------------------------------------------
    @property
    def modulus(self) -> int:
        return 10000 if self.bcd else 0x10000

    def _count_value(self, raw: int) -> int:
        if self.bcd:
            n = _from_bcd(raw)
            return n or 10000
        return raw or 0x10000

    def sync(self, t: int) -> None:
        """Apply a pending end-of-period count change (modes 2/3) once its time has come."""
        if self.next_start is not None and t >= self.next_start and self.frozen is None:
            self.start = self.next_start
            self.n = self.next_n
            self.next_start = None

    def elapsed(self, t: int) -> int:
        # While the gate holds counting, elapsed time stops at `frozen` (a count written with
        # the gate low still loads on the next clock, then waits at elapsed 0).
        e = t - self.start
        if self.frozen is not None and e > self.frozen:
            return self.frozen
        return e

    def period(self) -> int:
        return max(self.n, 2) if self.mode in (2, 3) else self.n

    def count(self, t: int) -> int:
        """Value of the counting element at time t (binary, before any BCD encoding)."""
        self.sync(t)
        if not self.armed:
            return self.hold
        e = self.elapsed(t)
        if e < 0:
            return self.hold
        mode = self.mode
        if mode in (2, 3):
            n = self.period()
            p = e % n
            if mode == 2:
                return n - p
            half = (n + 1) // 2
            if not n & 1:
                k = p if p < half else p - half
                return (n - 2 * k) % self.modulus
            # Odd N (8254 datasheet): reload N, then the first clock of the high half takes
            # one off and the first of the low half three, the rest two each.
            if p < half:
                return n if p == 0 else n + 1 - 2 * p
            q = p - half
            return n if q == 0 else n - 1 - 2 * q
        return (self.n - e) % self.modulus

    def out(self, t: int) -> bool:
        self.sync(t)
        mode = self.mode
        if not self.armed:
            return mode != 0
        if mode in (2, 3) and not self.gate:
            return True
        e = self.elapsed(t)
        if e < 0:
            if mode == 1:
                return self.hold_out  # a retrigger changes nothing until the reload
            return mode != 0  # not loaded yet: mode 0 is low from the control word on
        if mode == 0 or mode == 1:
            return e >= self.n
        if mode == 2:
            n = self.period()
            return e % n != n - 1
        if mode == 3:
            n = self.period()
            return e % n < (n + 1) // 2
        return e != self.n  # modes 4 and 5: one-clock low strobe at terminal count

    def next_rising(self, t: int) -> int | None:
        """Earliest time > t at which OUT rises, under the current programming."""
        self.sync(t)
        if not self.armed or self.frozen is not None:
            return None
        mode = self.mode
        if mode in (2, 3):
            if not self.gate:
                return None
            n = self.period()
            e = t - self.start
            # A pending count change moves the period grid from next_start on.
            if self.next_start is not None:
                first = self.start + (max(e, 0) // n + 1) * n
                return first if first <= self.next_start else self.next_start + max(self.next_n, 2)
            if e < 0:
                return self.start + n
            return self.start + (e // n + 1) * n
        edge = self.start + (self.n if mode in (0, 1) else self.n + 1)
        return edge if edge > t else None

    # -- programming ------------------------------------------------------------------
    def control(self, mode: int, access: int, bcd: bool, t: int) -> None:
        self.hold = self.count(t)
        self.mode = mode
        self.access = access
        self.bcd = bcd
        self.armed = False
        self.frozen = None
        self.next_start = None
        self.written = False
        self.write_hi = False
        self.read_hi = False
        self.latch = -1
        self.latch_hi = False

    def write_count(self, raw: int, t: int) -> None:
        self.cr = raw
        self.written = True
        n = self._count_value(raw)
        mode = self.mode
        if mode in (1, 5):
            return  # the count is loaded by the next gate trigger
        if mode in (2, 3) and self.armed and t >= self.start:
            if self.gate and self.frozen is None:
                # Counting: the new count takes over at the end of the current period.
                p = self.period()
                self.next_start = self.start + ((t - self.start) // p + 1) * p
                self.next_n = n
            # Gate low: the gate's rising edge reloads from the count register.
            return
        self.hold = self.count(t)
        self.n = n
        self.next_n = n
        self.next_start = None
        self.start = t + 1
        self.armed = True
        self.frozen = None if self.gate else 0  # with the gate low: load, then wait

    def set_gate(self, level: bool, t: int) -> None:
        if level == self.gate:
            return
        self.sync(t)
        mode = self.mode
        self.gate = level
        if mode in (1, 5):
            if level and self.written:
                self.hold_out = self.out(t)
                self.hold = self.count(t)
                self.n = self._count_value(self.cr)
                self.armed = True
                self.start = t + 1
                self.frozen = None
            return
        if not self.armed:
            return
        if not level:
            self.frozen = max(t - self.start, 0)
        elif mode in (2, 3):
            self.hold = self.count(t)
            self.next_start = None
            self.n = self._count_value(self.cr)
            self.start = t + 1  # gate rising reloads the count register
            self.frozen = None
        else:
            frozen = self.frozen or 0
            if t - self.start > frozen:
                self.start = t - frozen  # resume from where counting stopped
            self.frozen = None

    def null_count(self, t: int) -> bool:
        if not self.written:
            return True
        if self.mode in (1, 5):
            return not self.armed
        return t < self.start or (self.next_start is not None and t < self.next_start)

    def control_bits(self) -> int:
        return (self.access << 4) | (self.mode << 1) | int(self.bcd)

    def read_byte(self, t: int) -> int:
        if self.status >= 0:
            value, self.status = self.status, -1
            return value
        if self.latch >= 0:
            value = self.latch
            if self.access == 3 and not self.latch_hi:
                self.latch_hi = True
                return value & 0xFF
            self.latch = -1
            self.latch_hi = False
            return (value >> 8 if self.access != 1 else value) & 0xFF
        value = self.visible_count(t)
        if self.access == 1:
            return value & 0xFF
        if self.access == 2:
            return value >> 8
        self.read_hi = not self.read_hi
        return (value & 0xFF) if self.read_hi else (value >> 8)

    def visible_count(self, t: int) -> int:
        value = self.count(t) & 0xFFFF
        return _to_bcd(value % 10000) if self.bcd else value

    def write_byte(self, value: int, t: int) -> None:
        if self.access == 1:
            self.write_count(value, t)
        elif self.access == 2:
            self.write_count(value << 8, t)
        elif not self.write_hi:
            self.cr_low = value
            self.write_hi = True
        else:
            self.write_hi = False
            self.write_count(self.cr_low | (value << 8), t)

    def get_state(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self._FIELDS}

    def set_state(self, state: dict[str, Any]) -> None:
        for f in self._FIELDS:
            setattr(self, f, state[f])


class PIT8253(Chip):
    """Three-channel 8253/8254 (see the module docstring)."""

    name = "pit"

    def __init__(self, base: int = 0x40, *, clock: Clock | None = None, name: str = "pit") -> None:
        super().__init__(clock=clock)
        self.base = base
        self.name = name
        self.PORTS = [(base, base + 3)]
        self.irq0: Wire = _no_wire
        # Called with the time just before channel 2 is reprogrammed: the speaker renders
        # what the old programming played (engine/chips/speaker.py).
        self.before_ch2_change: Callable[[int], None] | None = None
        self.reset()

    def reset(self) -> None:
        self.channels = [_Channel(), _Channel(), _Channel()]
        self._irq_level = False
        self._irq_time = self.now()

    # -- time ---------------------------------------------------------------------------
    def tick(self, now: int) -> None:
        super().tick(now)
        self._drive_irq(now)

    def _drive_irq(self, now: int) -> None:
        """Bring the IRQ0 wire up to ``now``: one low->high edge if OUT0 rose since the
        last call (several periods collapse into one edge; the PIC latches one request)."""
        if now < self._irq_time:
            self._irq_time = now
        ch = self.channels[0]
        edge = ch.next_rising(self._irq_time)
        rose = edge is not None and edge <= now
        level = ch.out(now)
        if rose:
            if self._irq_level:
                self.irq0(False)
            self.irq0(True)
            self._irq_level = True
        if level != self._irq_level:
            self.irq0(level)
            self._irq_level = level
        self._irq_time = now

    def next_event(self, now: int) -> int | None:
        return self.channels[0].next_rising(now)

    # -- wires --------------------------------------------------------------------------
    def out(self, ch: int) -> bool:
        return self.channels[ch].out(self.now())

    def set_gate(self, ch: int, level: bool) -> None:
        t = self.now()
        if ch == 0:
            self._drive_irq(t)
        self.channels[ch].set_gate(bool(level), t)
        if ch == 0:
            self.rescheduled()

    def frequency(self, ch: int) -> float | None:
        c = self.channels[ch]
        if not c.armed or c.mode not in (2, 3) or not c.gate:
            return None
        return PIT_HZ / c.period()

    def count(self, ch: int) -> int:
        """Current counting-element value (binary), without disturbing any latch."""
        return self.channels[ch].count(self.now())

    # -- ports --------------------------------------------------------------------------
    def read(self, port: int, width: int = 1) -> int:
        idx = (port - self.base) & 3
        if idx == 3:
            return 0xFF  # the control register is write-only
        return self.channels[idx].read_byte(self.now())

    def write(self, port: int, value: int, width: int = 1) -> None:
        value &= 0xFF
        idx = (port - self.base) & 3
        t = self.now()
        if idx != 3:
            if idx == 0:
                self._drive_irq(t)
                self.channels[0].write_byte(value, t)
                self.rescheduled()      # a new count may bring IRQ0's edge forward
                return
            if idx == 2 and self.before_ch2_change is not None:
                self.before_ch2_change(t)
            self.channels[idx].write_byte(value, t)
            return
        sc = value >> 6
        if sc == 3:
            self._read_back(value, t)
            return
        if sc == 0:
            self._drive_irq(t)
        ch = self.channels[sc]
        access = (value >> 4) & 3
        if sc == 2 and access and self.before_ch2_change is not None:
            self.before_ch2_change(t)
        if access == 0:
            if ch.latch < 0:
                ch.latch = ch.visible_count(t)
                ch.latch_hi = False
            return
        mode = (value >> 1) & 7
        if mode >= 6:
            mode -= 4  # modes 6 and 7 are aliases of 2 and 3
        ch.control(mode, access, bool(value & 1), t)
        if sc == 0:
            self.rescheduled()

    def _read_back(self, value: int, t: int) -> None:
        for i, ch in enumerate(self.channels):
            if not value & (2 << i):
                continue
            if not value & 0x20 and ch.latch < 0:
                ch.latch = ch.visible_count(t)
                ch.latch_hi = False
            if not value & 0x10 and ch.status < 0:
                ch.status = (
                    (0x80 if ch.out(t) else 0) | (0x40 if ch.null_count(t) else 0)
                    | ch.control_bits()
                )

    # -- state --------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {
            "channels": [c.get_state() for c in self.channels],
            "irq_level": self._irq_level,
            "irq_time": self._irq_time,
            "tick_time": self._tick_time,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        for ch, s in zip(self.channels, state["channels"], strict=True):
            ch.set_state(s)
        self._irq_level = state["irq_level"]
        self._irq_time = state["irq_time"]
        self._tick_time = state["tick_time"]
