"""INT 13h: the diskette services (drives 00h, 01h) as the IBM AT BIOS gives them, disk-change
line included, and the fixed disk services (80h, 81h), with the IBM BIOS's status codes.

Diskettes: AH=15h says each drive has a change line; AH=16h reads it (06h while it is active);
a transfer with the line active does what the AT BIOS's MED_CHANGE does: it seeks, which clears
the line when a diskette is in, and fails with 06h "media changed" (or 80h "time-out" when the
drive is empty, which DOS reports as "Not ready"). DOS then re-reads the disk. A read-only
medium answers writes and formats with 03h "write protected".
"""

from __future__ import annotations

from typing import Any

from disks import DiskError
from engine.bios import bda, layout
from engine.bios.regs import Regs
from engine.drives import FLOPPY_FORMATS, FloppyDrive, FloppyFormat

OK, BAD_COMMAND, WRITE_PROTECTED, SECTOR_NOT_FOUND = 0x00, 0x01, 0x03, 0x04
MEDIA_CHANGED, MEDIA_TYPE_NOT_FOUND, BAD_SECTOR, TIMEOUT = 0x06, 0x0C, 0x10, 0x80
MEDIA_ESTABLISHED = 0x10       # bit 4 of the BDA's media state byte


def parameter_table_offset(fmt: FloppyFormat) -> int:
    """Offset in the ROM segment of ``fmt``'s diskette parameter table."""
    return layout.DISKETTE_TABLES + 11 * FLOPPY_FORMATS.index(fmt)


class DiskService:
    def __init__(self, bios: Any) -> None:
        self.bios = bios

    def _finish(self, r: Regs, dl: int, status: int) -> None:
        r.set(ah=status)
        r.carry(status != OK)
        r.wb(bda.HDD_STATUS if dl & 0x80 else bda.FLOPPY_STATUS, status)

    def int13(self, r: Regs) -> None:
        ah, dl = r.ah, r.dl
        if ah == 0x01:
            status = r.rb(bda.HDD_STATUS if dl & 0x80 else bda.FLOPPY_STATUS)
            r.set(ah=status)
            r.carry(status != OK)
            return
        if dl & 0x80:
            self._fixed_disk(r, ah, dl)
            return
        floppy = self.bios.machine.floppy_drive(dl)
        if floppy is None:
            self._no_diskette_drive(r, ah, dl)
            return
        with floppy.lock:                  # a medium change waits for the service to end
            self._diskette(r, ah, dl, floppy)

    # ---- diskettes -----------------------------------------------------------------------
    def _no_diskette_drive(self, r: Regs, ah: int, dl: int) -> None:
        if ah == 0x08:                     # AT BIOS: zeros, and the number of drives
            r.set(ax=0, bx=0, cx=0, dh=0, dl=self.bios.machine.floppy_count(), es=0, di=0)
            r.carry(False)
        elif ah == 0x15:
            r.set(ah=0)                    # no such drive
            r.carry(False)
        elif ah == 0x00:
            self._finish(r, dl, OK)        # the controller resets whatever DL says
        else:
            self._finish(r, dl, TIMEOUT if ah == 0x16 else BAD_COMMAND)

    def _diskette(self, r: Regs, ah: int, dl: int, floppy: FloppyDrive) -> None:
        if ah == 0x00:
            self._finish(r, dl, OK)
        elif ah == 0x08:
            self._diskette_parameters(r, floppy)
        elif ah == 0x15:
            r.set(ah=0x02)                 # a diskette drive with a change line
            r.carry(False)
        elif ah == 0x16:
            self._finish(r, dl, MEDIA_CHANGED if floppy.change_line else OK)
        elif ah in (0x02, 0x03, 0x04, 0x05):
            status = self._media_check(r, dl, floppy)
            if status != OK:
                r.set(al=0)
                self._finish(r, dl, status)
                return
            self._transfer(r, dl, floppy.medium, ah)
            if r.ah == OK:
                self._established(r, dl, floppy)
        elif ah == 0x17:                   # set the DASD type for format: any medium will do
            if not 1 <= r.al <= 4:
                self._finish(r, dl, BAD_COMMAND)
            else:
                self._finish(r, dl, OK if floppy.seek() else TIMEOUT)
        elif ah == 0x18:
            self._set_media_type(r, dl, floppy)
        else:
            self._finish(r, dl, BAD_COMMAND)

    def _media_check(self, r: Regs, dl: int, floppy: FloppyDrive) -> int:
        """The AT BIOS's MED_CHANGE: with the change line active, forget the medium, seek (which
        clears the line if a diskette is in) and fail: 06h media changed, or 80h if empty."""
        if not floppy.change_line:
            return OK if floppy.medium is not None else TIMEOUT
        addr = bda.FLOPPY_MEDIA_STATE + dl
        r.wb(addr, r.rb(addr) & ~MEDIA_ESTABLISHED)
        return MEDIA_CHANGED if floppy.seek() else TIMEOUT

    def _established(self, r: Regs, dl: int, floppy: FloppyDrive) -> None:
        medium = floppy.medium
        if medium is not None and medium.geometry.floppy is not None:
            r.wb(bda.FLOPPY_MEDIA_STATE + dl, medium.geometry.floppy.media_state)

    def _diskette_parameters(self, r: Regs, floppy: FloppyDrive) -> None:
        """The medium's geometry (an empty drive: the drive's own format), the drive type and
        ES:DI at the parameter table for that format."""
        medium = floppy.medium
        fmt = medium.geometry.floppy if medium is not None else None
        fmt = fmt or floppy.format
        cmax = fmt.cylinders - 1
        r.set(ax=0, bx=fmt.drive_type, cx=((cmax & 0xFF) << 8) | fmt.sectors,
              dx=((fmt.heads - 1) << 8) | self.bios.machine.floppy_count(),
              es=layout.ROM_SEGMENT, di=parameter_table_offset(fmt))
        r.carry(False)

    def _set_media_type(self, r: Regs, dl: int, floppy: FloppyDrive) -> None:
        """AH=18h (before a format): CH/CL give the last track and sectors per track; answer
        ES:DI at that format's parameter table, or 0Ch when no format has them."""
        cx = r.cx
        last_track, sectors = (cx >> 8) | ((cx & 0xC0) << 2), cx & 0x3F
        if floppy.medium is None:
            self._finish(r, dl, TIMEOUT)
            return
        for fmt in sorted(FLOPPY_FORMATS, key=lambda f: -f.heads):   # 320K before 160K
            if fmt.cylinders - 1 == last_track and fmt.sectors == sectors:
                r.set(es=layout.ROM_SEGMENT, di=parameter_table_offset(fmt))
                self._finish(r, dl, OK)
                return
        self._finish(r, dl, MEDIA_TYPE_NOT_FOUND)

    # ---- hard disks ----------------------------------------------------------------------
    def _fixed_disk(self, r: Regs, ah: int, dl: int) -> None:
        drive = self.bios.machine.drive_for_bios(dl)
        if ah == 0x08:
            self._fixed_parameters(r, dl, drive)
        elif ah == 0x15:
            if drive is None:
                r.set(ah=0)
            else:
                total = drive.geometry.total_sectors
                r.set(ah=3, cx=total >> 16, dx=total & 0xFFFF)
            r.carry(False)
        elif drive is None:
            self._finish(r, dl, BAD_COMMAND)
        elif ah in (0x00, 0x0D, 0x10, 0x11, 0x0C, 0x16):   # reset, ready, recalibrate, seek
            self._finish(r, dl, OK)
        elif ah in (0x02, 0x03, 0x04, 0x05):
            self._transfer(r, dl, drive, ah)
        else:
            self._finish(r, dl, BAD_COMMAND)

    def _fixed_parameters(self, r: Regs, dl: int, drive) -> None:
        if drive is None:
            r.set(ah=BAD_COMMAND, cx=0, dx=0)
            r.carry(True)
            return
        g = drive.geometry
        cmax = g.cylinders - 1
        r.set(ax=0, cx=((cmax & 0xFF) << 8) | ((cmax >> 2) & 0xC0) | g.sectors,
              dx=((g.heads - 1) << 8) | self.bios.machine.hard_disk_count())
        r.carry(False)

    # ---- both ----------------------------------------------------------------------------
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
        if ah in (0x03, 0x05) and drive.readonly:
            r.set(al=0)
            return self._finish(r, dl, WRITE_PROTECTED)
        try:
            if ah == 0x02:
                r.write_block(r.es, r.bx, drive.read_sectors(lba, count))
            elif ah == 0x03:
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
