"""Making FAT file systems: a floppy (FAT12, no partition table, the BPB its format had
under DOS) or a hard disk (our MBR, one active primary DOS partition, FAT12 or FAT16), so DOS
can use a new disk with no FDISK or FORMAT, and DOS's SYS can make it bootable.

Hard disks are laid out as DOS's FDISK does for the geometry our BIOS reports: the first
track holds only the MBR, the partition starts at cylinder 0 head 1 sector 1 (LBA 63) and
ends at the last whole cylinder the BIOS shows (so CHS and LBA agree everywhere in it).
"""

from __future__ import annotations

import time

from disks.errors import DiskError
from disks.fat import mbr
from disks.fat.bpb import BPB, FLOPPY_FORMATS, SECTOR, hard_disk_bpb
from disks.fat.names import legal_char

VBR = mbr.BOOT_DIR / "vbr.bin"


def volume_id_now() -> int:
    """A serial number from the date and time, in the spirit of DOS 4's FORMAT."""
    t = time.localtime()
    hi = ((t.tm_mon << 8) | t.tm_mday) + ((t.tm_sec << 8) | int(time.time() * 100) % 100)
    lo = ((t.tm_hour << 8) | t.tm_min) + t.tm_year
    return ((hi & 0xFFFF) << 16) | (lo & 0xFFFF)


def check_label(label: str | None) -> str | None:
    """The label as DOS stores it (upper case, 11 characters at most), or a clear error."""
    if label is None:
        return None
    up = label.upper()
    if not up.strip() or len(up) > 11 or not all(ch == " " or legal_char(ch) for ch in up):
        raise DiskError(f"volume label {label!r}: expected 1 to 11 letters, digits or "
                        "DOS punctuation (!#$%&'()-@^_`{}~, spaces)")
    return up


def vbr_code() -> bytes:
    return VBR.read_bytes()[0x3E:510]


def write_filesystem(dev, base: int, bpb: BPB, label: str | None) -> None:
    """Boot sector, empty FATs and root directory (with the label) at byte ``base``."""
    dev.write(base, bpb.encode(vbr_code()))
    reserved_rest = bytes((bpb.reserved - 1) * SECTOR)
    if reserved_rest:
        dev.write(base + SECTOR, reserved_rest)
    fat = bytearray(bpb.sectors_per_fat * SECTOR)
    if bpb.fat_bits == 12:
        fat[0:3] = bytes((bpb.media, 0xFF, 0xFF))
    else:
        fat[0:4] = bytes((bpb.media, 0xFF, 0xFF, 0xFF))
    for copy in range(bpb.fats):
        dev.write(base + (bpb.fat_start + copy * bpb.sectors_per_fat) * SECTOR, bytes(fat))
    root = bytearray(bpb.root_sectors * SECTOR)
    if label:
        from disks.fat import dirent
        d, t = dirent.to_dos(time.time())
        entry = dirent.Entry(label.encode("cp437").ljust(11), dirent.ARCHIVE | dirent.VOLUME,
                             0, 0, d, t)
        root[:32] = entry.encode()
    dev.write(base + bpb.root_start * SECTOR, bytes(root))


def format_floppy(dev, *, label: str | None = None, volume_id: int | None = None) -> BPB:
    fmt = FLOPPY_FORMATS.get(dev.size)
    if fmt is None:
        raise DiskError(f"{dev.path}: {dev.size:,} bytes is no floppy format; floppies are "
                        + ", ".join(f.name for f in FLOPPY_FORMATS.values()))
    label = check_label(label)
    bpb = fmt.bpb(label or "NO NAME", volume_id_now() if volume_id is None else volume_id)
    write_filesystem(dev, 0, bpb, label)
    return bpb


def format_hard_disk(dev, *, label: str | None = None, volume_id: int | None = None) -> BPB:
    """Our MBR and one active primary partition over the whole BIOS-visible disk."""
    label = check_label(label)
    total = dev.size // SECTOR
    cylinders, heads, spt = mbr.bios_geometry(total)
    start = spt
    end = cylinders * heads * spt
    if end - start < 8 * spt:
        raise DiskError(f"{dev.path}: {dev.size:,} bytes is too small for a partitioned hard "
                        "disk (use a floppy size, e.g. 1.44M)")
    vid = volume_id_now() if volume_id is None else volume_id
    bpb = hard_disk_bpb(end - start, start, heads, spt, label=label or "NO NAME",
                        volume_id=vid)
    if bpb.fat_bits == 12:
        ptype = 0x01
    else:
        ptype = 0x04 if bpb.total_sectors < 65_536 else 0x06
    entry = mbr.entry(True, ptype, start, bpb.total_sectors, heads, spt)
    dev.write(0, mbr.build_mbr([entry], vid))
    dev.write(SECTOR, bytes((start - 1) * SECTOR))     # the rest of track 0: nothing there
    write_filesystem(dev, start * SECTOR, bpb, label)
    return bpb


def format_disk(dev, *, label: str | None = None, volume_id: int | None = None) -> BPB:
    """A floppy for the floppy sizes, a partitioned hard disk for any other size."""
    if dev.size in FLOPPY_FORMATS:
        return format_floppy(dev, label=label, volume_id=volume_id)
    return format_hard_disk(dev, label=label, volume_id=volume_id)
