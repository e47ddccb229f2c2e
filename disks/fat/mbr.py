"""The master boot record: the partition table of a hard disk (primary entries and the
logical drives of an extended partition), the BIOS CHS geometry entries are written with, and
our own boot code (boot/mbr.asm) that starts the active partition.

Partitions are numbered as Linux and mtools do: 1-4 the primary entries, 5 on the logical
drives in the extended partition's chain.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from disks.errors import ImageFormatError

SECTOR = 512
TABLE = 0x1BE
EXTENDED = {0x05, 0x0F, 0x85}
FAT_TYPES = {0x01: "FAT12", 0x04: "FAT16 (<32M)", 0x06: "FAT16", 0x0E: "FAT16 (LBA)"}
FAT32_TYPES = {0x0B, 0x0C}
BOOT_DIR = Path(__file__).parent / "boot"
MAX_LOGICAL = 64

# The BIOS's hard-disk translation (engine/drives.py reports the same; a test compares them):
# 63 sectors per track, 16 heads, as many cylinders as fit, at most 1024 (504 MiB).
HDD_SECTORS, HDD_HEADS, HDD_CYLINDERS = 63, 16, 1024


@dataclass(frozen=True)
class Partition:
    number: int
    type: int
    start: int          # first LBA
    sectors: int
    active: bool

    @property
    def is_fat(self) -> bool:
        return self.type in FAT_TYPES

    @property
    def kind(self) -> str:
        return FAT_TYPES.get(self.type, f"type {self.type:02X}h")


def bios_geometry(total_sectors: int) -> tuple[int, int, int]:
    """(cylinders, heads, sectors per track) as our BIOS reports a disk of that size."""
    heads = HDD_HEADS
    cylinders = min(HDD_CYLINDERS, total_sectors // (heads * HDD_SECTORS))
    if cylinders == 0:
        heads = max(1, total_sectors // HDD_SECTORS)
        cylinders = 1
    return cylinders, heads, HDD_SECTORS


def chs_bytes(lba: int, heads: int, spt: int) -> bytes:
    """A partition entry's 3-byte CHS; past cylinder 1023 the maximum, as DOS's FDISK
    writes it (the LBA fields are then the truth)."""
    c, rest = divmod(lba, heads * spt)
    h, s = divmod(rest, spt)
    if c > 1023:
        c, h, s = 1023, heads - 1, spt - 1
    return bytes((h, ((c >> 2) & 0xC0) | (s + 1), c & 0xFF))


def entry(active: bool, ptype: int, start: int, sectors: int, heads: int, spt: int) -> bytes:
    return (bytes((0x80 if active else 0,)) + chs_bytes(start, heads, spt) + bytes((ptype,))
            + chs_bytes(start + sectors - 1, heads, spt) + struct.pack("<II", start, sectors))


def boot_code() -> bytes:
    """Our MBR boot code: the 446 bytes in front of the partition table."""
    code = (BOOT_DIR / "mbr.bin").read_bytes()
    assert len(code) == TABLE, "boot/mbr.bin must be 446 bytes (make -C disks/fat/boot)"
    return code


def build_mbr(entries: list[bytes], disk_signature: int) -> bytes:
    sector = bytearray(SECTOR)
    sector[:TABLE] = boot_code()
    struct.pack_into("<I", sector, 0x1B8, disk_signature)
    for i, e in enumerate(entries):
        sector[TABLE + 16 * i:TABLE + 16 * (i + 1)] = e
    sector[510:512] = b"\x55\xAA"
    return bytes(sector)


def _entries(sector: bytes) -> list[tuple[int, int, int, int]]:
    out = []
    for i in range(4):
        status, ptype, start, count = struct.unpack_from("<B3xB3xII", sector, TABLE + 16 * i)
        out.append((status, ptype, start, count))
    return out


def looks_like_mbr(sector: bytes) -> bool:
    """A boot signature and a partition table whose entries are plausible."""
    if sector[510:512] != b"\x55\xAA":
        return False
    entries = _entries(sector)
    return (any(ptype and count for _, ptype, _, count in entries)
            and all(status in (0, 0x80) for status, *_ in entries))


def read_partitions(read, disk_sectors: int, where: str) -> list[Partition]:
    """Every partition of the disk: ``read(lba)`` returns one sector."""
    mbr = read(0)
    parts: list[Partition] = []
    extended = None
    for i, (status, ptype, start, count) in enumerate(_entries(mbr)):
        if not ptype or not count:
            continue
        if start + count > disk_sectors:
            raise ImageFormatError(f"{where}: partition {i + 1} ends at sector "
                                   f"{start + count}, past the disk's {disk_sectors}")
        parts.append(Partition(i + 1, ptype, start, count, status == 0x80))
        if ptype in EXTENDED and extended is None:
            extended = start
    if extended is not None:
        ebr_lba, number = extended, 5
        while ebr_lba and number < 5 + MAX_LOGICAL:
            ebr = read(ebr_lba)
            if ebr[510:512] != b"\x55\xAA":
                raise ImageFormatError(f"{where}: extended boot record at sector {ebr_lba} "
                                       "has no signature")
            (_, ptype, start, count), (_, ntype, nstart, _), *_ = _entries(ebr)
            if ptype and count:
                if ebr_lba + start + count > disk_sectors:
                    raise ImageFormatError(f"{where}: logical partition {number} lies past "
                                           "the end of the disk")
                parts.append(Partition(number, ptype, ebr_lba + start, count, False))
                number += 1
            ebr_lba = extended + nstart if ntype in EXTENDED and nstart else 0
    return parts


def choose(parts: list[Partition], number: int | None, where: str) -> Partition:
    """The partition asked for, or the first FAT one."""
    listing = ", ".join(f"{p.number}: {p.kind}" for p in parts) or "none"
    if number is None:
        for p in parts:
            if p.is_fat:
                return p
        if any(p.type in FAT32_TYPES for p in parts):
            raise ImageFormatError(f"{where}: only FAT32 partitions ({listing}); FAT32 is not "
                                   "supported")
        raise ImageFormatError(f"{where}: no FAT12/FAT16 partition (partitions: {listing})")
    for p in parts:
        if p.number == number:
            if p.type in FAT32_TYPES:
                raise ImageFormatError(f"{where}: partition {number} is FAT32 (not supported)")
            if not p.is_fat:
                raise ImageFormatError(f"{where}: partition {number} is {p.kind}, not FAT12/"
                                       f"FAT16 (partitions: {listing})")
            return p
    raise ImageFormatError(f"{where}: no partition {number} (partitions: {listing})")
