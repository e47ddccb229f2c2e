"""IBM parallel printer adapter (LPT1 378h, LPT2 278h) and the printer at its far end.

Registers (offset from ``base``):
    0 data     r/w  the output latch (reads back what was written)
    1 status   r    bit 7 /BUSY (1 = ready), 6 /ACK (0 during the acknowledge pulse),
                    5 PE (paper out), 4 SLCT (on line), 3 /ERROR (1 = no error), 2-0 read 1
    2 control  r/w  bit 0 STROBE, 1 AUTO FEED, 2 /INIT (0 resets the printer), 3 SELECT IN,
                    4 IRQ enable (IRQ on the trailing edge of /ACK); bits 5-7 read 1

The handshake is the Centronics one DOS programs drive directly: put a byte on the data
lines, pulse STROBE; the printer takes the byte, raises BUSY, and when it has it pulses /ACK
and drops BUSY. Here the byte goes to the backend (the serial backends: a file, a pty, a TCP
client) when STROBE is asserted; BUSY lasts BUSY_TIME and /ACK ACK_TIME of virtual time, or,
while the backend refuses the byte (its buffer is full), until it takes it: the guest sees a
busy printer, not lost bytes. With no backend connected (``none``, or a TCP server without a
client) the lines float high: the status reads 7Fh, busy and off line, as an empty port does.

API:
    lpt = ParallelPort(0x378, backend=..., clock=machine.now, name="lpt1")
    lpt.irq = pic.wire(7) ; lpt.tick(now) ; lpt.next_event(now) ; lpt.status() -> int
    lpt.printed (bytes handed to the backend) ; reset() ; get_state() ; set_state()
"""

from __future__ import annotations

from typing import Any

from engine.chips.base import Chip, Clock, Wire, _no_wire
from engine.chips.serial_backend import NullBackend, SerialBackend

BUSY_TIME = 12      # PIT clocks (10 us): a printer's internal buffer taking a byte
ACK_TIME = 6        # 5 us /ACK pulse
INIT_TIME = 60      # 50 us busy after /INIT
NOT_BUSY, NOT_ACK, PAPER_OUT, SELECTED, NOT_ERROR = 0x80, 0x40, 0x20, 0x10, 0x08
STATUS_READY = NOT_BUSY | NOT_ACK | SELECTED | NOT_ERROR | 0x07   # DFh
STATUS_ABSENT = 0x7F
STROBE, AUTOFEED, NOT_INIT, SELECT_IN, IRQ_ENABLE = 0x01, 0x02, 0x04, 0x08, 0x10


class ParallelPort(Chip):
    """See the module docstring."""

    def __init__(self, base: int = 0x378, *, backend: SerialBackend | None = None,
                 clock: Clock | None = None, name: str = "lpt1") -> None:
        super().__init__(clock=clock)
        self.base = base
        self.name = name
        self.PORTS = [(base, base + 2)]
        self.backend: SerialBackend = backend if backend is not None else NullBackend()
        self.irq: Wire = _no_wire
        self.printed = 0
        self.reset()

    def reset(self) -> None:
        self.data = 0
        self.control = NOT_INIT | SELECT_IN
        self.pending = -1           # a strobed byte the backend has not taken yet
        self.ack_at = -(1 << 62)    # when /ACK starts (BUSY until its end)
        self.irq_due = False

    @property
    def present(self) -> bool:
        """A printer is on the cable (on line)."""
        return bool(getattr(self.backend, "connected", False))

    # ---- the printer's timeline ------------------------------------------------------------
    def _advance(self, now: int) -> None:
        if self.pending >= 0 and self.present:
            if self.backend.write(bytes([self.pending])) == 1:
                self.printed += 1
                self.pending = -1
                self.ack_at = now + BUSY_TIME
        if self.irq_due and now >= self.ack_at + ACK_TIME:
            self.irq_due = False
            if self.control & IRQ_ENABLE:
                self.irq(True)              # the trailing edge of /ACK: one request
                self.irq(False)

    def tick(self, now: int) -> None:
        super().tick(now)
        self._advance(now)

    def next_event(self, now: int) -> int | None:
        if self.irq_due and self.pending < 0 and self.control & IRQ_ENABLE:
            return max(now, self.ack_at + ACK_TIME)
        return None

    def status(self, now: int | None = None) -> int:
        now = self.now() if now is None else now
        self._advance(now)
        if not self.present:
            return STATUS_ABSENT
        value = STATUS_READY
        if self.pending >= 0 or now < self.ack_at + ACK_TIME:
            value &= ~NOT_BUSY
        if self.ack_at <= now < self.ack_at + ACK_TIME:
            value &= ~NOT_ACK
        return value

    def busy_until(self, now: int) -> int | None:
        """When BUSY ends, if that is known (None while the backend holds the byte back or
        no printer is there): a BIOS waiting on the printer knows how long to wait."""
        if not self.present or self.pending >= 0:
            return None
        return max(now, self.ack_at + ACK_TIME)

    # ---- ports -----------------------------------------------------------------------------
    def read(self, port: int, width: int = 1) -> int:
        reg = port - self.base
        if reg == 0:
            return self.data
        if reg == 1:
            return self.status()
        return 0xE0 | self.control

    def write(self, port: int, value: int, width: int = 1) -> None:
        value &= 0xFF
        reg = port - self.base
        if reg == 0:
            self.data = value
        elif reg == 2:
            now = self.now()
            self._advance(now)
            old, self.control = self.control, value & 0x1F
            if value & STROBE and not old & STROBE:
                self._strobe(now)
            if not value & NOT_INIT and old & NOT_INIT:
                self.pending = -1               # the printer resets, dropping its byte
                self.ack_at = now + INIT_TIME - ACK_TIME
                self.irq_due = False

    def _strobe(self, now: int) -> None:
        if not self.present or self.pending >= 0 or now < self.ack_at + ACK_TIME:
            return                             # nobody listening, or busy: ignored
        self.pending = self.data
        self.irq_due = True
        self._advance(now)
        self.rescheduled()             # the /ACK interrupt is now due

    # ---- state -----------------------------------------------------------------------------
    _FIELDS = ("data", "control", "pending", "ack_at", "irq_due", "printed")

    def get_state(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self._FIELDS}

    def set_state(self, state: dict[str, Any]) -> None:
        for k in self._FIELDS:
            setattr(self, k, state[k])
