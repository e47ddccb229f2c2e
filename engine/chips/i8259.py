"""Intel 8259A programmable interrupt controller, as the IBM PC/XT and DOS programs drive it.

The XT has one 8259A at 20h/21h in single, edge-triggered, 8086 mode (the BIOS writes ICW1=13h,
ICW2=08h, ICW4=09h). This model implements the whole programming interface those programs use:
ICW1-ICW4 (ICW3 accepted and stored for cascade setups), OCW1 (IMR), OCW2 (non-specific and
specific EOI, the rotate commands, set priority), OCW3 (IRR/ISR read select, poll, special mask
mode), level- or edge-triggered inputs, automatic EOI (with rotation) and the spurious-IRQ7
answer of an INTA that finds nothing to serve.

Wires (connected by the machine; the chip imports nothing):
    pic.intr = cpu.set_intr          # INT output, called with the new level when it changes
    pic.set_irq(n, level)            # IR0..IR7 inputs; pic.wire(n) -> callable(level) for chips
    vector = pic.acknowledge()       # INTA: cpu.inta = pic.acknowledge
Ports: ``PIC8259(base=0x20)`` answers base (A0=0) and base+1 (A0=1).
State: ``get_state()``/``set_state()`` (plain dict), ``reset()``.

Edge-triggered inputs follow QEMU and PCE: a 0->1 transition sets the IRR bit, which stays set
until INTA even if the line drops again (the PIT's square wave falls half a period later; a real
8259A wants the line held until INTA, and the IBM designs satisfy that on average).
"""

from __future__ import annotations

from typing import Any

from engine.chips.base import Chip, Wire, _no_wire


def _lowest_bit_priority(mask: int, highest: int) -> int:
    """Index of the highest-priority set bit of ``mask`` (8 when none); ``highest`` is the
    IR number that currently has top priority (0 unless rotated)."""
    if mask == 0:
        return 8
    for rank in range(8):
        if mask & (1 << ((rank + highest) & 7)):
            return rank
    return 8


class PIC8259(Chip):
    """One 8259A (see module docstring for the wires and semantics)."""

    name = "pic"

    def __init__(self, base: int = 0x20, *, name: str = "pic") -> None:
        super().__init__()
        self.base = base
        self.name = name
        self.PORTS = [(base, base + 1)]
        self.intr: Wire = _no_wire
        self._int_level = False
        self.reset()

    # -- lifecycle ----------------------------------------------------------------------
    def reset(self) -> None:
        self.irr = 0
        self.isr = 0
        self.imr = 0xFF  # masked until the BIOS programs it
        self.lines = 0  # current input levels
        self.vector_base = 0x08
        self.icw3 = 0
        self.single = True
        self.level_triggered = False
        self.icw4_needed = False
        self.auto_eoi = False
        self.rotate_on_aeoi = False
        self.x86_mode = True
        self.sfnm = False
        self.buffered = 0
        self.init_step = 0  # 0 = operational, 2/3/4 = waiting for that ICW
        self.read_isr = False
        self.poll = False
        self.special_mask = False
        self.highest = 0  # IR with top priority (rotation moves it)
        self._update()

    # -- wires --------------------------------------------------------------------------
    def set_irq(self, n: int, level: bool) -> None:
        """Drive input IRn to ``level``."""
        bit = 1 << (n & 7)
        if level:
            if self.level_triggered or not (self.lines & bit):
                self.irr |= bit
            self.lines |= bit
        else:
            self.lines &= ~bit
            if self.level_triggered:
                self.irr &= ~bit
        self._update()

    def wire(self, n: int) -> Wire:
        """A callable(level) driving IRn: what a chip's ``irq`` attribute is set to."""

        def drive(level: bool) -> None:
            self.set_irq(n, level)

        return drive

    def pending(self) -> int:
        """IR number the chip would deliver now, or -1 (no side effects)."""
        req = self.irr & ~self.imr & 0xFF
        rank = _lowest_bit_priority(req, self.highest)
        if rank == 8:
            return -1
        in_service = self.isr
        if self.special_mask:
            # Special mask mode: masked in-service levels stop inhibiting lower ones.
            in_service &= ~self.imr
        if rank >= _lowest_bit_priority(in_service, self.highest):
            return -1
        return (rank + self.highest) & 7

    def acknowledge(self) -> int:
        """INTA: return the vector and move the request into service."""
        irq = self.pending()
        if irq < 0:
            # Nothing left to serve (the request went away between INT and INTA): the
            # 8259A answers with IR7's vector and sets no ISR bit, the "spurious IRQ7".
            return (self.vector_base + 7) & 0xFF
        bit = 1 << irq
        if not self.level_triggered:
            self.irr &= ~bit
        if self.auto_eoi:
            if self.rotate_on_aeoi:
                self.highest = (irq + 1) & 7
        else:
            self.isr |= bit
        self._update()
        return (self.vector_base + irq) & 0xFF

    def _update(self) -> None:
        level = self.pending() >= 0
        if level != self._int_level:
            self._int_level = level
            self.intr(level)

    @property
    def int_output(self) -> bool:
        """Current level of the INT output wire."""
        return self._int_level

    # -- ports --------------------------------------------------------------------------
    def read(self, port: int, width: int = 1) -> int:
        if (port - self.base) & 1:
            return self.imr
        if self.poll:
            # Poll command: this read acts as an INTA (without the vector cycles).
            self.poll = False
            irq = self.pending()
            if irq < 0:
                return 0
            self.acknowledge()
            return 0x80 | irq
        return self.isr if self.read_isr else self.irr

    def write(self, port: int, value: int, width: int = 1) -> None:
        value &= 0xFF
        if (port - self.base) & 1:
            self._write_a1(value)
        elif value & 0x10:
            self._icw1(value)
        elif value & 0x08:
            self._ocw3(value)
        else:
            self._ocw2(value)
        self._update()

    def _icw1(self, value: int) -> None:
        # ICW1 resets the chip's operating state (datasheet "Initialization Command Words").
        self.level_triggered = bool(value & 0x08)
        self.single = bool(value & 0x02)
        self.icw4_needed = bool(value & 0x01)
        self.imr = 0
        self.isr = 0
        self.irr = 0
        self.lines = 0  # edge sense reset: a line must go low->high again to request
        self.highest = 0
        self.special_mask = False
        self.read_isr = False
        self.poll = False
        if not self.icw4_needed:
            self.auto_eoi = self.rotate_on_aeoi = self.sfnm = False
            self.x86_mode = False
            self.buffered = 0
        self.init_step = 2

    def _write_a1(self, value: int) -> None:
        step = self.init_step
        if step == 2:
            self.vector_base = value & 0xF8  # 8086 mode: T7-T3; low bits come from the IR
            if not self.single:
                self.init_step = 3
            elif self.icw4_needed:
                self.init_step = 4
            else:
                self.init_step = 0
        elif step == 3:
            self.icw3 = value
            self.init_step = 4 if self.icw4_needed else 0
        elif step == 4:
            self.x86_mode = bool(value & 0x01)
            self.auto_eoi = bool(value & 0x02)
            self.buffered = (value >> 2) & 3
            self.sfnm = bool(value & 0x10)
            self.init_step = 0
        else:
            self.imr = value  # OCW1

    def _ocw2(self, value: int) -> None:
        cmd = value >> 5
        level = value & 7
        if cmd == 0b001 or cmd == 0b101:  # non-specific EOI (and rotate)
            rank = _lowest_bit_priority(self.isr, self.highest)
            if rank < 8:
                irq = (rank + self.highest) & 7
                self.isr &= ~(1 << irq)
                if cmd == 0b101:
                    self.highest = (irq + 1) & 7
        elif cmd == 0b011 or cmd == 0b111:  # specific EOI (and rotate)
            self.isr &= ~(1 << level)
            if cmd == 0b111:
                self.highest = (level + 1) & 7
        elif cmd == 0b100:
            self.rotate_on_aeoi = True
        elif cmd == 0b000:
            self.rotate_on_aeoi = False
        elif cmd == 0b110:  # set priority: `level` becomes the lowest
            self.highest = (level + 1) & 7
        # 0b010 is a no-operation.

    def _ocw3(self, value: int) -> None:
        if value & 0x40:  # ESMM: SMM bit is meaningful
            self.special_mask = bool(value & 0x20)
        if value & 0x04:
            self.poll = True
        if value & 0x02:  # RR: RIS bit is meaningful
            self.read_isr = bool(value & 0x01)

    # -- state --------------------------------------------------------------------------
    _FIELDS = (
        "irr", "isr", "imr", "lines", "vector_base", "icw3", "single", "level_triggered",
        "icw4_needed", "auto_eoi", "rotate_on_aeoi", "x86_mode", "sfnm", "buffered",
        "init_step", "read_isr", "poll", "special_mask", "highest",
    )

    def get_state(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self._FIELDS}

    def set_state(self, state: dict[str, Any]) -> None:
        for f in self._FIELDS:
            setattr(self, f, state[f])
        self._update()
