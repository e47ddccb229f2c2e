"""The FAT boot sector: its BIOS parameter block (BPB), the layout it implies, and the
parameters of every IBM PC floppy format and of our hard-disk partitions.

The FAT type follows from the cluster count alone, as Microsoft's FAT specification (and
therefore DOS, mtools and dosfstools) has it: fewer than 4085 clusters is FAT12, fewer than
65525 FAT16, anything more FAT32 (which DOS before 7.1 cannot read, and we do not write).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

from disks.errors import ImageFormatError

SECTOR = 512
FAT12_MAX_CLUSTERS = 4084
FAT16_MAX_CLUSTERS = 65524


@dataclass(frozen=True)
class BPB:
    """The DOS 4.0 extended BPB (what FORMAT has written since 1988; DOS 2/3 read its first
    part). ``hidden`` is the partition's first LBA on a hard disk, 0 on a floppy."""

    bytes_per_sector: int = SECTOR
    sectors_per_cluster: int = 1
    reserved: int = 1
    fats: int = 2
    root_entries: int = 224
    total_sectors: int = 2880
    media: int = 0xF0
    sectors_per_fat: int = 9
    sectors_per_track: int = 18
    heads: int = 2
    hidden: int = 0
    drive_number: int = 0x00
    volume_id: int = 0
    label: str = "NO NAME"
    oem: bytes = b"XTBOX1.0"

    # ---- the layout the BPB implies ---------------------------------------------------------
    @property
    def cluster_bytes(self) -> int:
        return self.sectors_per_cluster * self.bytes_per_sector

    @property
    def fat_start(self) -> int:
        return self.reserved

    @property
    def root_start(self) -> int:
        return self.reserved + self.fats * self.sectors_per_fat

    @property
    def root_sectors(self) -> int:
        return -(-self.root_entries * 32 // self.bytes_per_sector)

    @property
    def data_start(self) -> int:
        return self.root_start + self.root_sectors

    @property
    def clusters(self) -> int:
        return (self.total_sectors - self.data_start) // self.sectors_per_cluster

    @property
    def fat_bits(self) -> int:
        return 12 if self.clusters <= FAT12_MAX_CLUSTERS else 16

    def cluster_sector(self, cluster: int) -> int:
        """First sector (relative to the volume) of a data cluster (numbered from 2)."""
        return self.data_start + (cluster - 2) * self.sectors_per_cluster

    # ---- the boot sector --------------------------------------------------------------------
    def encode(self, boot_code: bytes) -> bytes:
        """A whole boot sector: jump, OEM name, BPB, extended BPB, ``boot_code`` at 3Eh."""
        if len(boot_code) > 510 - 0x3E:
            raise ValueError("boot code does not fit after the BPB")
        fs_type = b"FAT12   " if self.fat_bits == 12 else b"FAT16   "
        small = self.total_sectors if self.total_sectors < 0x10000 else 0
        large = 0 if small else self.total_sectors
        head = struct.pack(
            "<3s8sHBHBHHBHHHII", b"\xEB\x3C\x90", self.oem.ljust(8)[:8],
            self.bytes_per_sector, self.sectors_per_cluster, self.reserved, self.fats,
            self.root_entries, small, self.media, self.sectors_per_fat,
            self.sectors_per_track, self.heads, self.hidden, large)
        ext = struct.pack("<BBBI11s8s", self.drive_number, 0, 0x29, self.volume_id,
                          self.label.encode("cp437").ljust(11)[:11], fs_type)
        sector = bytearray(SECTOR)
        sector[:len(head)] = head
        sector[0x24:0x24 + len(ext)] = ext
        sector[0x3E:0x3E + len(boot_code)] = boot_code
        sector[510:512] = b"\x55\xAA"
        return bytes(sector)


def parse_bpb(sector: bytes, where: str) -> BPB:
    """The BPB of a boot sector, checked field by field (the error names the field)."""
    (_jump, oem, bps, spc, reserved, fats, root, small, media, spf, spt, heads, hidden,
     large) = struct.unpack_from("<3s8sHBHBHHBHHHII", sector)

    def bad(field: str, value: int, expected: str) -> ImageFormatError:
        return ImageFormatError(f"{where}: boot sector {field} is {value}, expected {expected}")

    if bps not in (512, 1024, 2048, 4096):
        raise bad("bytes per sector", bps, "512, 1024, 2048 or 4096")
    if spc == 0 or spc & (spc - 1):
        raise bad("sectors per cluster", spc, "a power of two")
    if reserved == 0:
        raise bad("reserved sectors", reserved, "at least 1")
    if fats not in (1, 2):
        raise bad("number of FATs", fats, "1 or 2")
    if media < 0xF0 and media != 0:
        raise bad("media descriptor", media, "F0h..FFh")
    total = small or large
    if spf == 0:
        raise ImageFormatError(f"{where}: sectors per FAT is 0: a FAT32 volume (not "
                               "supported: DOS before 7.1 cannot read it either)")
    if root == 0:
        raise bad("root directory entries", root, "more than 0 (FAT12/FAT16)")
    label, volume_id, fs_type = "NO NAME", 0, b""
    drive = 0x80 if hidden else 0
    if sector[0x26] == 0x29:                     # extended boot signature: DOS 4.0 fields
        drive = sector[0x24]
        volume_id = struct.unpack_from("<I", sector, 0x27)[0]
        label = sector[0x2B:0x36].decode("cp437").rstrip() or "NO NAME"
        fs_type = sector[0x36:0x3E]
    bpb = BPB(bps, spc, reserved, fats, root, total, media, spf, spt, heads, hidden, drive,
              volume_id, label, oem)
    if total <= bpb.data_start:
        raise bad("total sectors", total, f"more than the {bpb.data_start} sectors of FATs "
                  "and root directory")
    if bpb.clusters > FAT16_MAX_CLUSTERS:
        raise ImageFormatError(f"{where}: {bpb.clusters} clusters make a FAT32 volume "
                               "(not supported)")
    needed = fat_sectors(bpb.clusters, bpb.fat_bits, bps)
    if spf < needed:
        raise bad("sectors per FAT", spf, f"at least {needed} for {bpb.clusters} clusters")
    if fs_type.startswith(b"FAT32"):
        raise ImageFormatError(f"{where}: a FAT32 volume (not supported)")
    return bpb


# ---- the formats we create ------------------------------------------------------------------
@dataclass(frozen=True)
class FloppyFormat:
    name: str
    cylinders: int
    heads: int
    sectors: int
    media: int
    sectors_per_cluster: int
    root_entries: int
    sectors_per_fat: int

    @property
    def size(self) -> int:
        return self.cylinders * self.heads * self.sectors * SECTOR

    def bpb(self, label: str, volume_id: int) -> BPB:
        return BPB(sectors_per_cluster=self.sectors_per_cluster, root_entries=self.root_entries,
                   total_sectors=self.cylinders * self.heads * self.sectors, media=self.media,
                   sectors_per_fat=self.sectors_per_fat, sectors_per_track=self.sectors,
                   heads=self.heads, volume_id=volume_id, label=label)


# The parameters IBM's and Microsoft's FORMAT wrote for each drive (the DOS technical
# references' media-descriptor tables); DOS 1.x disks (160K/180K/320K) carry no BPB, so a
# reader recognises those by size and the media byte in FAT[0].
FLOPPY_FORMATS = {f.size: f for f in (
    FloppyFormat("160K", 40, 1, 8, 0xFE, 1, 64, 1),
    FloppyFormat("180K", 40, 1, 9, 0xFC, 1, 64, 2),
    FloppyFormat("320K", 40, 2, 8, 0xFF, 2, 112, 1),
    FloppyFormat("360K", 40, 2, 9, 0xFD, 2, 112, 2),
    FloppyFormat("720K", 80, 2, 9, 0xF9, 2, 112, 3),
    FloppyFormat("1.2M", 80, 2, 15, 0xF9, 1, 224, 7),
    FloppyFormat("1.44M", 80, 2, 18, 0xF0, 1, 224, 9),
    FloppyFormat("2.88M", 80, 2, 36, 0xF0, 2, 240, 9),
)}


def hard_disk_bpb(sectors: int, hidden: int, heads: int, sectors_per_track: int, *,
                  label: str, volume_id: int, root_entries: int = 512) -> BPB:
    """The BPB for a hard-disk partition of ``sectors``: FAT12 below 32,680 sectors (16 MiB,
    where DOS 3 drew the line) with the smallest cluster that keeps it FAT12, otherwise FAT16
    with the cluster Microsoft's FAT specification gives for the size (2 KiB up to 128 MiB,
    doubling with each doubling of the size, 32 KiB up to 2 GiB)."""
    if sectors < 32_680:
        bits, spc = 12, 1
        while sectors // spc > FAT12_MAX_CLUSTERS:
            spc *= 2
    else:
        if sectors > 4_194_304:
            raise ImageFormatError(f"a FAT16 partition of {sectors * SECTOR:,} bytes is "
                                   "larger than FAT16 allows (2 GiB)")
        bits, spc = 16, 4
        while sectors > 65_536 * spc:
            spc *= 2
    bpb = BPB(sectors_per_cluster=spc, root_entries=root_entries, total_sectors=sectors,
              media=0xF8, sectors_per_fat=1, sectors_per_track=sectors_per_track, heads=heads,
              hidden=hidden, drive_number=0x80, volume_id=volume_id, label=label)
    return fit_fat(bpb, bits)


def fat_sectors(clusters: int, bits: int, bytes_per_sector: int = SECTOR) -> int:
    """Sectors of one FAT that maps ``clusters`` data clusters (plus the two reserved)."""
    entries = clusters + 2
    size = entries * 2 if bits == 16 else (entries * 3 + 1) // 2
    return -(-size // bytes_per_sector)


def fit_fat(bpb: BPB, bits: int) -> BPB:
    """The smallest FAT that maps every cluster the rest of the volume holds (a larger FAT
    leaves fewer clusters, so this settles in a few steps)."""
    b = bpb
    while True:
        need = fat_sectors(b.clusters, bits, b.bytes_per_sector)
        if need <= b.sectors_per_fat:
            break
        b = replace(b, sectors_per_fat=need)
    if b.fat_bits != bits or b.clusters > FAT16_MAX_CLUSTERS or b.clusters < 1:
        raise ImageFormatError(f"{bpb.total_sectors} sectors with {bpb.sectors_per_cluster} "
                               f"per cluster give {b.clusters} clusters, not a FAT{bits}")
    return b
