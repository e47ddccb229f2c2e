"""POST and bootstrap, the timer tick, and the small services: INT 11h 12h 15h 18h 19h
1Ah."""

from __future__ import annotations

import contextlib
from typing import Any

from engine.bios import bda, layout
from engine.bios.regs import Regs


def _bcd(n: int) -> int:
    return ((n // 10) << 4) | (n % 10)


class System:
    def __init__(self, bios: Any) -> None:
        self.bios = bios

    # ---- POST ---------------------------------------------------------------------------
    def post(self, r: Regs) -> None:
        m = self.bios.machine
        mem = r.mem
        mem[0:0x500] = bytes(0x500)
        for n in range(256):
            r.ww(4 * n, layout.VECTOR_STUBS + 4 * n)
            r.ww(4 * n + 2, layout.ROM_SEGMENT)
        r.ww(0x08 * 4, layout.INT08_ENTRY)
        r.ww(0x16 * 4, layout.INT16_ENTRY)
        for n in (0x1C, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F):
            r.ww(n * 4, layout.DUMMY_IRET)
        for n in (0x41, 0x46):                         # tables, not code
            r.ww(n * 4, 0)
            r.ww(n * 4 + 2, 0)
        r.ww(0x1D * 4, layout.VIDEO_PARAMS)            # the CRTC parameters for mode sets
        r.ww(0x1F * 4, layout.FONT_HIGH)               # graphics text, characters 80h-FFh
        self._fixed_disk_tables(r)
        self._diskettes(r)
        # BIOS data area.
        serial = [0x3F8, 0x2F8][:m.serial_port_count()]
        for i, port in enumerate(serial):
            r.ww(bda.COM_PORTS + 2 * i, port)
        floppies = m.floppy_count()
        equipment = (0x01 if floppies else 0) | ((max(floppies, 1) - 1) << 6)
        equipment |= 0x30 if m.config.display == "mda" else 0x20
        equipment |= len(serial) << 9
        printers = m.printer_ports() if hasattr(m, "printer_ports") else []
        for i, port in enumerate(printers):
            r.ww(bda.LPT_PORTS + 2 * i, port)
        equipment |= len(printers) << 14
        r.ww(bda.EQUIPMENT, equipment)
        r.ww(bda.MEMORY_KB, m.config.memory_kib)
        r.ww(bda.KBD_HEAD, bda.KBD_BUFFER)
        r.ww(bda.KBD_TAIL, bda.KBD_BUFFER)
        r.ww(bda.KBD_BUF_START, bda.KBD_BUFFER)
        r.ww(bda.KBD_BUF_STOP, bda.KBD_BUFFER_END)
        r.wb(bda.HDD_COUNT, m.hard_disk_count())
        r.ww(bda.RESET_FLAG, 0)
        for i in range(4):                             # the IBM POST's time-out counts
            r.wb(bda.PRINTER_TIMEOUT + i, 0x14)
            r.wb(bda.RS232_TIMEOUT + i, 0x01)
        self.sync_ticks(r)
        # The chips: PIC as the XT BIOS programs it, PIT channel 0 at 18.2 Hz.
        bus = self.bios.bus
        for port, value in ((0x20, 0x13), (0x21, 0x08), (0x21, 0x09), (0x21, 0xBC),
                            (0x43, 0x36), (0x40, 0x00), (0x40, 0x00), (0x63, 0x99),
                            (0x61, 0x4C)):
            bus.port_write(port, value, 1)
        self.bios.video.set_mode(7 if m.config.display == "mda" else 3)
        r.set(ss=0x0030, sp=0x0100)                    # the IBM BIOS's boot stack
        self.boot(r)

    def _diskettes(self, r: Regs) -> None:
        """The parameter tables, INT 1Eh at drive A:'s format, and each drive seeked
        (as the AT's POST does): that clears the change line where a diskette is in, and
        the medium counts as established."""
        from engine.bios.disk import parameter_table_offset
        from engine.drives import FLOPPY_FORMATS
        for fmt in FLOPPY_FORMATS:
            offset = layout.ROM_BASE + parameter_table_offset(fmt)
            r.mem[offset:offset + 11] = fmt.parameter_table()     # the host may write the ROM
        m = self.bios.machine
        for dl in range(m.floppy_count()):
            floppy = m.floppy_drive(dl)
            with floppy.lock:
                medium = floppy.medium
                if floppy.seek() and medium.geometry.floppy is not None:
                    r.wb(bda.FLOPPY_MEDIA_STATE + dl, medium.geometry.floppy.media_state)
        boot_format = m.floppy_drive(0).format
        r.ww(0x1E * 4, parameter_table_offset(boot_format))
        r.ww(0x1E * 4 + 2, layout.ROM_SEGMENT)

    def _fixed_disk_tables(self, r: Regs) -> None:
        m = self.bios.machine
        for i, vector in enumerate((0x41, 0x46)):
            drive = m.drive_for_bios(0x80 + i)
            if drive is None:
                continue
            g = drive.geometry
            base = layout.ROM_BASE + layout.FIXED_DISK_TABLES + 16 * i
            table = bytearray(16)
            table[0:2] = g.cylinders.to_bytes(2, "little")
            table[2] = g.heads
            table[5:7] = (0xFFFF).to_bytes(2, "little")   # write precompensation: none
            table[12:14] = g.cylinders.to_bytes(2, "little")
            table[14] = g.sectors
            r.mem[base:base + 16] = table                 # the host may write the ROM
            r.ww(vector * 4, layout.FIXED_DISK_TABLES + 16 * i)
            r.ww(vector * 4 + 2, layout.ROM_SEGMENT)

    # ---- bootstrap (INT 19h) and "nothing to boot" (INT 18h) ------------------------------
    def boot(self, r: Regs) -> None:
        m = self.bios.machine
        for letter in m.config.boot:
            dl = 0x00 if letter == "a" else 0x80
            floppy = m.floppy_drive(dl) if dl < 0x80 else None
            with floppy.lock if floppy else contextlib.nullcontext():
                drive = m.drive_for_bios(dl)
                if drive is None:
                    continue
                try:
                    sector = drive.read_sectors(0, 1)
                except Exception as exc:      # a broken image must not stop the other drives
                    m.log(f"boot: cannot read {drive.path}: {exc}")
                    continue
            if dl & 0x80 and sector[510:512] != b"\x55\xAA":
                m.log(f"boot: {drive.path} has no boot signature")
                continue
            r.mem[0x7C00:0x7E00] = sector
            r.set(dx=dl, cs=0, ip=0x7C00, ss=0, sp=0x7C00, ds=0, es=0)
            m.log(f"booting from {letter.upper()}: ({drive.path})")
            return
        self.no_boot(r)

    def no_boot(self, r: Regs) -> None:
        video = self.bios.video
        for ch in b"\r\nNo bootable disk. Attach a boot floppy (A:) or hard disk (C:).\r\n":
            video.teletype(ch, 0)
        r.set(cs=layout.ROM_SEGMENT, ip=layout.HALT_LOOP)
        self.bios.machine.log("nothing to boot")

    # ---- INT 08h bookkeeping and the time services ----------------------------------------
    def sync_ticks(self, r: Regs) -> None:
        t = self.bios.machine.localtime()
        seconds = t.tm_hour * 3600 + t.tm_min * 60 + t.tm_sec
        r.ww(bda.TIMER_TICKS, 0)
        ticks = int(seconds * 1193182 / 65536)
        r.ww(bda.TIMER_TICKS, ticks & 0xFFFF)
        r.ww(bda.TIMER_TICKS + 2, ticks >> 16)

    def int08(self, r: Regs) -> None:
        ticks = r.rw(bda.TIMER_TICKS) | r.rw(bda.TIMER_TICKS + 2) << 16
        ticks += 1
        if ticks >= bda.TICKS_PER_DAY:
            ticks = 0
            r.wb(bda.TIMER_MIDNIGHT, 1)
        r.ww(bda.TIMER_TICKS, ticks & 0xFFFF)
        r.ww(bda.TIMER_TICKS + 2, ticks >> 16)

    def int1a(self, r: Regs) -> None:
        ah = r.ah
        if ah == 0x00:
            r.set(cx=r.rw(bda.TIMER_TICKS + 2), dx=r.rw(bda.TIMER_TICKS),
                  al=r.rb(bda.TIMER_MIDNIGHT))
            r.wb(bda.TIMER_MIDNIGHT, 0)
        elif ah == 0x01:
            r.ww(bda.TIMER_TICKS, r.dx)
            r.ww(bda.TIMER_TICKS + 2, r.cx)
            r.wb(bda.TIMER_MIDNIGHT, 0)
        elif ah == 0x02:
            t = self.bios.machine.localtime()
            r.set(ch=_bcd(t.tm_hour), cl=_bcd(t.tm_min), dh=_bcd(t.tm_sec), dl=0)
            r.carry(False)
        elif ah == 0x04:
            t = self.bios.machine.localtime()
            r.set(ch=_bcd(t.tm_year // 100), cl=_bcd(t.tm_year % 100), dh=_bcd(t.tm_mon),
                  dl=_bcd(t.tm_mday))
            r.carry(False)
        elif ah in (0x03, 0x05):
            r.carry(False)                  # setting the RTC: accepted, host clock unchanged
        else:
            r.carry(True)

    # ---- the small ones ---------------------------------------------------------------------
    def int11(self, r: Regs) -> None:
        r.set(ax=r.rw(bda.EQUIPMENT))

    def int12(self, r: Regs) -> None:
        r.set(ax=r.rw(bda.MEMORY_KB))

    def int15(self, r: Regs) -> None:
        r.set(ah=0x86)
        r.carry(True)

    def int2f(self, r: Regs) -> None:
        """The end of the multiplex chain. AX=1680h (release time slice) answers AL=0,
        "supported", as Windows and DOSEMU do: engine/idle.py does give the time back."""
        if r.ax == 0x1680:
            r.set(al=0)
