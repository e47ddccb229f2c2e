"""INT 17h, the printer service, over whatever adapter sits at the port the BDA names.

As the IBM BIOS: AH=0 prints AL (waits while the printer is BUSY, then data, STROBE pulse),
AH=1 initialises (/INIT pulse), AH=2 reads the status; DX selects LPT1-3 through the port
table at 0040:0008h. Every function returns the status in AH as the IBM BIOS shapes it: the
adapter's bits 7-3 with /ACK and /ERROR turned positive (7 not busy, 6 acknowledge, 5 out of
paper, 4 selected, 3 I/O error) and bit 0 for a time-out. The wait for BUSY lasts up to the
port's time-out count at 0040:0078h (default 14h, ~0.5 s a count, as on an XT), in guest time
and without stalling the machine: the shared hardware wait of engine/bios/waits.py, which
wakes the service when the adapter says BUSY ends (a printer taking a byte) or every
millisecond while it cannot know (a printer off line, a host end that is full).
"""

from __future__ import annotations

from typing import Any

from engine.bios import bda
from engine.bios.regs import Regs

TIME_OUT = 0x01


def bios_status(port_status: int) -> int:
    return ((port_status & 0xF8) ^ 0x48) & 0xFF


class PrinterService:
    def __init__(self, bios: Any) -> None:
        self.bios = bios

    def int17(self, r: Regs) -> None:
        index = r.dx
        port = r.rw(bda.LPT_PORTS + 2 * index) if index < 3 else 0
        if not port or port > 0xFFFD:           # none there, or no room for 3 registers
            r.set(ah=TIME_OUT)
            return
        bus = self.bios.bus
        ah = r.ah
        if ah == 0x00:
            status = bus.port_read(port + 1, 1)
            machine = self.bios.machine
            chip = machine.printer_at(port) if hasattr(machine, "printer_at") else None
            ready = self.bios.waits.until(
                1, bool(status & 0x80), r.rb(bda.PRINTER_TIMEOUT + index),
                chip.busy_until(machine.now()) if chip is not None else None)
            if ready is None:
                return                            # waiting: nothing changed for the caller
            if not ready:
                r.set(ah=bios_status(status) | TIME_OUT)
                return
            bus.port_write(port, r.al, 1)
            bus.port_write(port + 2, 0x0D, 1)        # STROBE, with /INIT high and SELECT IN
            bus.port_write(port + 2, 0x0C, 1)
        elif ah == 0x01:
            bus.port_write(port + 2, 0x08, 1)        # /INIT low...
            bus.port_write(port + 2, 0x0C, 1)        # ... and high again
        r.set(ah=bios_status(bus.port_read(port + 1, 1)))
