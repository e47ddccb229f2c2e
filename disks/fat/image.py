"""The FAT volume of an image file: found on a floppy (no partition table) or in a partition
of a hard disk, through the block layer (raw or qcow2, overlays included), and new images
made with a file system on them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from disks.errors import DiskError, ImageFormatError
from disks.fat import mbr
from disks.fat.bpb import SECTOR, parse_bpb
from disks.fat.mkfs import format_disk
from disks.fat.volume import Volume
from disks.images import create_image, open_image


def find_volume(dev, partition: int | None, where: str) -> tuple[int, int, str]:
    """(first byte, length, description) of the FAT volume on a device."""
    boot = dev.read(0, SECTOR)
    if partition is None:
        try:
            parse_bpb(boot, where)
            return 0, dev.size, "whole disk (no partition table)"
        except ImageFormatError:
            pass
        if not mbr.looks_like_mbr(boot):
            # A DOS 1.x floppy (no BPB) is recognised by Volume itself from its size.
            return 0, dev.size, "whole disk (no partition table)"
    elif not mbr.looks_like_mbr(boot):
        raise ImageFormatError(f"{where}: has no partition table (--partition only applies "
                               "to partitioned hard disks)")
    parts = mbr.read_partitions(lambda lba: dev.read(lba * SECTOR, SECTOR),
                                dev.size // SECTOR, where)
    p = mbr.choose(parts, partition, where)
    return p.start * SECTOR, p.sectors * SECTOR, f"partition {p.number} ({p.kind})"


@contextmanager
def open_volume(path: str | os.PathLike, *, partition: int | None = None,
                readonly: bool = True, share: bool = False,
                allow_outside_backing: bool = True) -> Iterator[Volume]:
    """The FAT volume of an image; written back and flushed on a clean exit. ``share``
    reads an image a running VM holds for writing (``volume.in_use`` says so)."""
    path = os.fspath(path)
    with open_image(path, readonly=readonly, share=share and readonly,
                    allow_outside_backing=allow_outside_backing) as dev:
        base, length, what = find_volume(dev, partition, path)
        vol = Volume(dev, base, length, where=path)
        vol.located = what
        vol.in_use = dev.in_use
        try:
            yield vol
        finally:                    # what was done is consistent (volume.py): keep it
            vol.flush()


def create_fat_image(path: str | os.PathLike, size: int, *, fmt: str = "qcow2",
                     label: str | None = None, volume_id: int | None = None) -> str:
    """A new image with a FAT file system; returns what was made ("FAT12 floppy", ...)."""
    path = os.fspath(path)
    create_image(path, size, fmt=fmt)
    try:
        with open_image(path) as dev:
            bpb = format_disk(dev, label=label, volume_id=volume_id)
            dev.flush()
    except BaseException:
        os.unlink(path)
        raise
    kind = f"FAT{bpb.fat_bits}"
    if bpb.hidden:
        what = f"{kind} partition of {bpb.total_sectors * SECTOR / 2**20:.1f} MiB"
        if bpb.hidden + bpb.total_sectors < size // SECTOR - mbr.HDD_HEADS * mbr.HDD_SECTORS:
            what += (f"; the BIOS reaches only the first {mbr.HDD_CYLINDERS} cylinders "
                     "(504 MiB), so the rest of the disk is left unpartitioned")
        return what
    return f"{kind} floppy"


def check_partition(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise DiskError(f"--partition {value}: expected a partition number (1-4 primary, 5 "
                        "and up logical)")
    return n
