"""INT 14h, the serial ports, as the IBM PC/XT BIOS serves them (its RS232_IO).

Send (AH=01h) raises DTR and RTS, waits for DSR and CTS, then for the transmitter holding
register to empty, and writes the byte; receive (AH=02h) raises DTR alone, waits for DSR,
then for a received byte. Each wait lasts up to the port's timeout count at 40:7Ch+port, in
guest time (engine/bios/waits.py), and on a time-out AH is the status last read (the MSR
while waiting for DSR/CTS, else the LSR) with bit 7 set. Status (AH=03h, and after AH=00h's
initialisation) is AH = LSR, AL = MSR: the UART's real bits.
"""

from __future__ import annotations

from typing import Any

from engine.bios import bda
from engine.bios.regs import Regs

# Divisors for AL bits 7-5 of AH=00h: 110 150 300 600 1200 2400 4800 9600 baud.
DIVISORS = (1047, 768, 384, 192, 96, 48, 24, 12)
LSR, MSR, MCR = 5, 6, 4
DR, THRE = 0x01, 0x20
DSR, CTS = 0x20, 0x10
DTR, RTS = 0x01, 0x02


class SerialService:
    def __init__(self, bios: Any) -> None:
        self.bios = bios

    def _uart(self, base: int):
        for uart in self.bios.machine.uarts:
            if uart.base == base:
                return uart
        return None

    def int14(self, r: Regs) -> None:
        index = r.dx
        base = r.rw(bda.COM_PORTS + 2 * index) if index < 4 else 0
        if not base or base > 0xFFF8:                # none there, or no room for 8 registers
            r.set(ah=0x80)                           # no such port: as a time-out
            return
        bus = self.bios.bus
        count = r.rb(bda.RS232_TIMEOUT + index)
        ah = r.ah
        if ah == 0x00:
            div = DIVISORS[r.al >> 5]
            bus.port_write(base + 3, 0x80, 1)
            bus.port_write(base, div & 0xFF, 1)
            bus.port_write(base + 1, div >> 8, 1)
            bus.port_write(base + 3, r.al & 0x1F, 1)
            bus.port_write(base + 1, 0, 1)
        elif ah == 0x01:
            self._send(r, base, count)
            return
        elif ah == 0x02:
            self._receive(r, base, count)
            return
        elif ah != 0x03:
            return
        r.set(ah=bus.port_read(base + LSR, 1), al=bus.port_read(base + MSR, 1))

    def _sent_at(self, base: int) -> int | None:
        """When the UART's transmitter next moves (its holding register empties)."""
        uart = self._uart(base)
        return None if uart is None else uart.next_event(self.bios.machine.now())

    def _received_at(self, base: int) -> int | None:
        uart = self._uart(base)
        return None if uart is None else uart.received_at()

    def _ready(self, r: Regs, base: int, count: int, mcr: int, modem: int, line: int,
               at: int | None) -> int | None:
        """IBM's two waits: raise the MCR outputs ``mcr``, wait for the modem lines ``modem``,
        then for the LSR bit ``line`` (``at``: when the UART could next set it). The LSR once
        both came; None while waiting, or on a time-out (AH then holds the status)."""
        bus, waits = self.bios.bus, self.bios.waits
        bus.port_write(base + MCR, mcr, 1)
        status = bus.port_read(base + MSR, 1)
        ready = waits.until(1, status & modem == modem, count)
        if ready:
            status = bus.port_read(base + LSR, 1)
            ready = waits.until(2, bool(status & line), count, at)
        if ready:
            return status
        if ready is False:
            r.set(ah=status | 0x80)
        return None

    def _send(self, r: Regs, base: int, count: int) -> None:
        lsr = self._ready(r, base, count, DTR | RTS, DSR | CTS, THRE, self._sent_at(base))
        if lsr is not None:
            self.bios.bus.port_write(base, r.al, 1)
            r.set(ah=lsr)

    def _receive(self, r: Regs, base: int, count: int) -> None:
        lsr = self._ready(r, base, count, DTR, DSR, DR, self._received_at(base))
        if lsr is not None:
            r.set(ah=lsr & 0x1E, al=self.bios.bus.port_read(base, 1))
