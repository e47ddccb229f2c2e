"""INT 13h: diskette (00h, 01h) and fixed disk (80h, 81h) services on the machine's drives,
with the IBM BIOS's status codes."""

from __future__ import annotations

from typing import Any

from disks import DiskError
from engine.bios import bda
from engine.bios.regs import Regs

OK, BAD_COMMAND, SECTOR_NOT_FOUND, WRITE_PROTECTED = 0x00, 0x01, 0x04, 0x03
TIMEOUT, BAD_SECTOR = 0x80, 0x10


class DiskService:
    def __init__(self, bios: Any) -> None:
        self.bios = bios

    def _drive(self, dl: int):
        return self.bios.machine.drive_for_bios(dl)

    def _finish(self, r: Regs, dl: int, status: int) -> None:
        r.set(ah=status)
        r.carry(status != OK)
        r.wb(bda.HDD_STATUS if dl & 0x80 else bda.FLOPPY_STATUS, status)

    def int13(self, r: Regs) -> None:
        ah, dl = r.ah, r.dl
        drive = self._drive(dl)
        if ah == 0x01:
            status = r.rb(bda.HDD_STATUS if dl & 0x80 else bda.FLOPPY_STATUS)
            r.set(ah=status)
            r.carry(status != OK)
            return
        if ah == 0x08:
            return self._parameters(r, dl, drive)
        if ah == 0x15:
            if drive is None:
                r.set(ah=0)
                r.carry(False)
            elif dl & 0x80:
                total = drive.geometry.total_sectors
                r.set(ah=3, cx=total >> 16, dx=total & 0xFFFF)
                r.carry(False)
            else:
                r.set(ah=1)                            # diskette, no change-line support
                r.carry(False)
            return
        if drive is None:
            return self._finish(r, dl, TIMEOUT if not dl & 0x80 else BAD_COMMAND)
        if ah in (0x00, 0x0D, 0x10, 0x11, 0x0C, 0x16):   # reset, ready, recalibrate, seek,
            return self._finish(r, dl, OK)                 # change line: nothing changed
        if ah in (0x02, 0x03, 0x04, 0x05):
            return self._transfer(r, dl, drive, ah)
        self._finish(r, dl, BAD_COMMAND)

    def _chs(self, r: Regs) -> tuple[int, int, int]:
        cx = r.cx
        return ((cx >> 8) | ((cx & 0xC0) << 2)), r.dh, cx & 0x3F

    def _transfer(self, r: Regs, dl: int, drive, ah: int) -> None:
        cyl, head, sector = self._chs(r)
        count = r.al if ah != 0x05 else drive.geometry.sectors
        lba = drive.lba(cyl, head, sector if ah != 0x05 else 1)
        if lba is None or count == 0 or lba + count > drive.geometry.total_sectors:
            r.set(al=0)
            return self._finish(r, dl, SECTOR_NOT_FOUND)
        try:
            if ah == 0x02:
                r.write_block(r.es, r.bx, drive.read_sectors(lba, count))
            elif ah == 0x03:
                if drive.readonly:
                    r.set(al=0)
                    return self._finish(r, dl, WRITE_PROTECTED)
                drive.write_sectors(lba, r.read_block(r.es, r.bx, 512 * count))
            elif ah == 0x05:
                drive.write_sectors(lba, b"\xF6" * (512 * count))
            else:
                drive.read_sectors(lba, count)          # verify: readable is enough
        except DiskError as exc:
            self.bios.machine.log(f"disk error: {exc}")
            r.set(al=0)
            return self._finish(r, dl, BAD_SECTOR)
        r.set(al=count)
        self._finish(r, dl, OK)

    def _parameters(self, r: Regs, dl: int, drive) -> None:
        machine = self.bios.machine
        if drive is None:
            r.set(ah=BAD_COMMAND if dl & 0x80 else 0, cx=0, dx=0)
            r.carry(bool(dl & 0x80))
            return
        g = drive.geometry
        cmax = g.cylinders - 1
        count = machine.hard_disk_count() if dl & 0x80 else machine.floppy_count()
        r.set(ax=0, cx=((cmax & 0xFF) << 8) | ((cmax >> 2) & 0xC0) | g.sectors,
              dx=((g.heads - 1) << 8) | count)
        if not dl & 0x80:
            r.set(bl=g.floppy_type, es=0xF000, di=0xEFC7)
        r.carry(False)
