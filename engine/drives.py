"""The PC's drives: floppies A:/B: and hard disks C:/D: over one block-device protocol.

Every drive reads and writes 512-byte sectors through ``disks.open_image`` (raw or qcow2,
detected by content), so any VM disk may be a copy-on-write image. Geometry is what the BIOS
reports: floppies by their image size (the four PC formats), hard disks derived from the size
as the BIOS's CHS translation does (63 sectors, up to 16 heads, up to 1024 cylinders: 504 MiB).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from disks import DiskError, open_image
from engine.errors import ConfigError

SECTOR = 512

# size -> (cylinders, heads, sectors per track, BIOS drive type for INT 13h AH=08h)
FLOPPY_GEOMETRIES = {
    368_640: (40, 2, 9, 1),        # 360K 5.25"
    737_280: (80, 2, 9, 3),        # 720K 3.5"
    1_228_800: (80, 2, 15, 2),     # 1.2M 5.25"
    1_474_560: (80, 2, 18, 4),     # 1.44M 3.5"
}
MAX_HDD_CYLINDERS, MAX_HDD_HEADS, HDD_SECTORS = 1024, 16, 63


@dataclass(frozen=True)
class Geometry:
    cylinders: int
    heads: int
    sectors: int
    floppy_type: int = 0

    @property
    def total_sectors(self) -> int:
        return self.cylinders * self.heads * self.sectors


def floppy_geometry(size: int, path: str) -> Geometry:
    try:
        c, h, s, t = FLOPPY_GEOMETRIES[size]
    except KeyError:
        accepted = ", ".join(f"{n:,} ({label})" for n, label in
                             zip(FLOPPY_GEOMETRIES, ("360K", "720K", "1.2M", "1.44M"),
                                 strict=True))
        raise ConfigError(f"{path}: a floppy image of {size:,} bytes matches no floppy "
                          f"geometry; accepted sizes: {accepted}") from None
    return Geometry(c, h, s, t)


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


class Drive:
    """One drive: a block device plus its geometry, addressed by CHS or LBA sector."""

    def __init__(self, path: str | os.PathLike, *, floppy: bool, readonly: bool = False,
                 allow_outside_backing: bool = True) -> None:
        self.path = os.fspath(path)
        self.floppy = floppy
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
