"""The PC's drives: diskette drives A:/B: with removable media, hard disks C:/D:.

Every medium reads and writes 512-byte sectors through ``disks.open_image`` (raw or qcow2,
detected by content), so any VM disk may be a copy-on-write image. Geometry is what the BIOS
reports: a diskette's from its image size (every IBM PC format, 160K to 2.88M), a hard disk's
derived from its size as the BIOS's CHS translation does (63 sectors, up to 16 heads, up to
1024 cylinders: 504 MiB).

A diskette drive (``FloppyDrive``) is hardware that stays while media come and go: a door, the
medium behind it or none, and the disk-change line that tells the BIOS the door was opened.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from disks import DiskError, open_image
from engine.errors import ConfigError

SECTOR = 512
MAX_HDD_CYLINDERS, MAX_HDD_HEADS, HDD_SECTORS = 1024, 16, 63


@dataclass(frozen=True)
class FloppyFormat:
    """One IBM PC diskette format and what the BIOS says about it.

    ``drive_type`` is INT 13h AH=08h's BL for the drive that reads the format natively;
    ``media_state`` the BIOS data area's established-media byte (40:90h: data rate in bits 7-6,
    bit 4 "established", bits 2-0 the drive/media combination: 3 = 360K drive, 5 = 1.2M
    drive, 7 = any 3.5" drive); ``gap`` and ``format_gap`` the diskette parameter table's gap
    lengths for read/write and for format (IBM AT and PS/2 technical references)."""

    name: str
    cylinders: int
    heads: int
    sectors: int
    drive_type: int
    media_state: int
    gap: int
    format_gap: int

    @property
    def size(self) -> int:
        return self.cylinders * self.heads * self.sectors * SECTOR

    def parameter_table(self) -> bytes:
        """The 11-byte diskette parameter table (the one INT 1Eh points at) for this format:
        step rate/head unload, head load/DMA, motor-off delay (ticks), 512-byte sectors,
        sectors per track, gap, data length, format gap, format fill byte, head settle (ms),
        motor start (1/8 s)."""
        return bytes((0xDF, 0x02, 0x25, 0x02, self.sectors, self.gap, 0xFF, self.format_gap,
                      0xF6, 0x0F, 0x08))


FLOPPY_FORMATS = (
    FloppyFormat("160K", 40, 1, 8, 1, 0x93, 0x2A, 0x50),     # 5.25" single-sided (PC DOS 1.0)
    FloppyFormat("180K", 40, 1, 9, 1, 0x93, 0x2A, 0x50),     # 5.25" single-sided (DOS 2.0)
    FloppyFormat("320K", 40, 2, 8, 1, 0x93, 0x2A, 0x50),     # 5.25" double-sided (DOS 1.1)
    FloppyFormat("360K", 40, 2, 9, 1, 0x93, 0x2A, 0x50),     # 5.25" double-sided (DOS 2.0)
    FloppyFormat("720K", 80, 2, 9, 3, 0x97, 0x2A, 0x50),     # 3.5" double density
    FloppyFormat("1.2M", 80, 2, 15, 2, 0x15, 0x1B, 0x54),    # 5.25" high density (PC/AT)
    FloppyFormat("1.44M", 80, 2, 18, 4, 0x17, 0x1B, 0x6C),   # 3.5" high density (PS/2)
    FloppyFormat("2.88M", 80, 2, 36, 6, 0xD7, 0x1B, 0x53),   # 3.5" extra density
)
FLOPPY_BY_SIZE = {f.size: f for f in FLOPPY_FORMATS}
DEFAULT_FLOPPY = FLOPPY_FORMATS[6]   # what an empty drive that never held a medium reports


def floppy_sizes_text() -> str:
    return ", ".join(f"{f.size:,} ({f.name})" for f in FLOPPY_FORMATS)


@dataclass(frozen=True)
class Geometry:
    cylinders: int
    heads: int
    sectors: int
    floppy: FloppyFormat | None = None

    @property
    def total_sectors(self) -> int:
        return self.cylinders * self.heads * self.sectors


def floppy_format(size: int, path: str) -> FloppyFormat:
    try:
        return FLOPPY_BY_SIZE[size]
    except KeyError:
        raise ConfigError(f"{path}: a floppy image of {size:,} bytes matches no floppy "
                          f"format; accepted sizes: {floppy_sizes_text()}") from None


def floppy_geometry(size: int, path: str) -> Geometry:
    f = floppy_format(size, path)
    return Geometry(f.cylinders, f.heads, f.sectors, f)


def hard_disk_geometry(size: int, path: str) -> Geometry:
    sectors = size // SECTOR
    if sectors < HDD_SECTORS:
        raise ConfigError(f"{path}: {size:,} bytes is too small for a hard disk image")
    heads = MAX_HDD_HEADS
    cylinders = min(MAX_HDD_CYLINDERS, sectors // (heads * HDD_SECTORS))
    if cylinders == 0:
        heads = max(1, sectors // HDD_SECTORS)
        cylinders = 1
    return Geometry(cylinders, heads, HDD_SECTORS)


def write_protected_file(path: str) -> bool:
    """True for an image file the user made read-only: no write permission for this process,
    or no write bit for anyone (root ignores permission bits, so the bits count as well)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False                 # opening it reports what is wrong
    return not os.access(path, os.W_OK) or not mode & 0o222


class Drive:
    """One medium: a block device plus its geometry, addressed by CHS or LBA sector.

    A read-only medium (asked for, or a file without write permission) is the write-protect
    tab: the BIOS answers writes with status 03h."""

    def __init__(self, path: str | os.PathLike, *, floppy: bool, readonly: bool = False,
                 allow_outside_backing: bool = True) -> None:
        self.path = os.fspath(path)
        self.floppy = floppy
        readonly = readonly or write_protected_file(self.path)
        try:
            self.image = open_image(self.path, readonly=readonly,
                                    allow_outside_backing=allow_outside_backing)
        except DiskError as exc:
            raise ConfigError(str(exc)) from None
        try:
            self.geometry = (floppy_geometry if floppy else hard_disk_geometry)(
                self.image.size, self.path)
        except ConfigError:
            self.image.close()
            raise
        self.readonly = readonly
        self.reads = self.writes = 0          # sector counters: disk activity for the UI

    def lba(self, cylinder: int, head: int, sector: int) -> int | None:
        g = self.geometry
        if not (0 <= cylinder < g.cylinders and 0 <= head < g.heads and 1 <= sector <= g.sectors):
            return None
        return (cylinder * g.heads + head) * g.sectors + sector - 1

    def read_sectors(self, lba: int, count: int) -> bytes:
        self._check(lba, count)
        self.reads += count
        return self.image.read(lba * SECTOR, count * SECTOR)

    def write_sectors(self, lba: int, data: bytes) -> None:
        count = len(data) // SECTOR
        self._check(lba, count)
        if self.readonly:
            raise DiskError(f"{self.path}: drive is write-protected")
        self.writes += count
        self.image.write(lba * SECTOR, data)

    def flush(self) -> None:
        self.image.flush()

    def close(self) -> None:
        self.image.close()

    def _check(self, lba: int, count: int) -> None:
        if lba < 0 or count < 0 or (lba + count) * SECTOR > self.image.size:
            raise DiskError(f"{self.path}: sectors {lba}..{lba + count - 1} are past the end")


class FloppyDrive:
    """A diskette drive: the door, the medium behind it (or none) and the disk-change line.

    As on the PC/AT's drives, the change line goes active when the door opens and stays active
    until the head steps with a diskette in the drive, so an empty drive always shows it. The
    BIOS reads it for INT 13h AH=16h and, as the IBM AT BIOS does, clears it with a seek at
    the next transfer, which then fails once with 06h ("media changed") so that DOS re-reads
    the disk. Media change from other threads (the control server) while the CPU thread may be
    inside INT 13h: the BIOS holds ``lock`` for the whole service call.

    The drive is the one that reads its medium natively (a 360K diskette makes it a 360K drive,
    a 1.44M one a 1.44M drive, as INT 13h AH=08h reports); empty, it keeps its last medium's
    type, and 1.44M before it ever held one."""

    def __init__(self, letter: str) -> None:
        self.letter = letter
        self.lock = threading.RLock()
        self.medium: Drive | None = None
        self.format = DEFAULT_FLOPPY
        self.change_line = True
        self._reads = self._writes = 0       # of media that have left the drive

    def insert(self, path: str | os.PathLike, *, readonly: bool = False,
               allow_outside_backing: bool = True) -> Drive:
        """Open ``path`` (errors leave the drive as it was) and put it in the drive. Flushing
        the medium it replaces may fail: its DiskError is raised once the swap is done.

        The image already in the drive (put back, say write-protected now) comes out first:
        its lock would refuse a second opening; if that reopening fails, the drive is empty."""
        if self._holds(path):
            self.eject()
        new = Drive(path, floppy=True, readonly=readonly,
                    allow_outside_backing=allow_outside_backing)
        with self.lock:
            old, self.medium = self.medium, new
            self.format = new.geometry.floppy or self.format
            self.change_line = True
        self._retire(old)
        return new

    def _holds(self, path: str | os.PathLike) -> bool:
        medium = self.medium
        try:
            return medium is not None and os.path.samefile(medium.path, path)
        except OSError:
            return False

    def eject(self) -> None:
        with self.lock:
            old, self.medium = self.medium, None
            self.change_line = True
        self._retire(old)

    def seek(self) -> bool:
        """A step pulse: clears the change line when a diskette is in. True if one is."""
        if self.medium is None:
            return False
        self.change_line = False
        return True

    def _retire(self, old: Drive | None) -> None:
        if old is None:
            return
        self._reads += old.reads
        self._writes += old.writes
        try:
            old.flush()
        finally:
            old.close()

    @property
    def path(self) -> str:
        medium = self.medium
        return medium.path if medium else f"{self.letter.upper()}: (empty)"

    @property
    def reads(self) -> int:
        medium = self.medium
        return self._reads + (medium.reads if medium else 0)

    @property
    def writes(self) -> int:
        medium = self.medium
        return self._writes + (medium.writes if medium else 0)

    def describe(self) -> dict:
        medium = self.medium
        return {"drive": self.letter, "image": medium.path if medium else None,
                "readonly": bool(medium and medium.readonly),
                "format": medium.geometry.floppy.name if medium and medium.geometry.floppy
                else None}

    def get_state(self) -> dict:
        return {**self.describe(), "change_line": self.change_line, "type": self.format.name}

    def set_state(self, state: dict) -> None:
        """The saved change line holds only if the same image is in the drive now; any other
        medium (or none) is a change the guest must be told about, as if the door had opened."""
        with self.lock:
            medium = self.medium
            same = medium is not None and state.get("image") is not None and self._holds(
                state["image"])
            self.change_line = bool(state.get("change_line", True)) if same else True
            self.format = next((f for f in FLOPPY_FORMATS if f.name == state.get("type")),
                               self.format) if medium is None else self.format

    def flush(self) -> None:
        with self.lock:
            if self.medium is not None:
                self.medium.flush()

    def close(self) -> None:
        with self.lock:
            medium, self.medium = self.medium, None
        if medium is not None:
            medium.close()
