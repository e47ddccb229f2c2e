"""New FAT file systems (disk create --fat) checked by fsck.fat and mtools: every floppy
format's BPB, hard disks with our MBR, FAT12 and FAT16 by size, the BIOS's geometry."""

from __future__ import annotations

import struct

import pytest

from disks.fat import mbr
from disks.fat.bpb import FLOPPY_FORMATS, parse_bpb
from disks.fat.image import create_fat_image, open_volume
from tests.disks.fat.oracles import fsck, mtools, needs_fsck, needs_mtools

MIB = 1 << 20


@needs_fsck
@needs_mtools
@pytest.mark.parametrize("fmt", FLOPPY_FORMATS.values(), ids=lambda f: f.name)
def test_floppy_format_matches_dos_bpb(tmp_path, fmt):
    image = tmp_path / "f.img"
    assert create_fat_image(image, fmt.size, fmt="raw", label="Floppy") == "FAT12 floppy"
    fsck(image, tmp_path)
    info = mtools("minfo", image, "::").stdout.decode()
    assert f"sectors per track: {fmt.sectors}" in info
    assert f"heads: {fmt.heads}" in info
    assert f"media descriptor byte: 0x{fmt.media:x}" in info
    assert f"max available root directory slots: {fmt.root_entries}" in info
    assert f"cluster size: {fmt.sectors_per_cluster} sectors" in info
    assert f"sectors per fat: {fmt.sectors_per_fat}" in info
    assert "Volume in drive : is FLOPPY" in mtools("mdir", image, "::").stdout.decode()
    with open(image, "rb") as f:
        fat0 = f.read(513)[512]
    assert fat0 == fmt.media                      # FAT[0] carries the media byte too


@needs_fsck
@needs_mtools
@pytest.mark.parametrize("size,bits,ptype", [
    (5 * MIB, 12, 0x01), (15 * MIB, 12, 0x01), (20 * MIB, 16, 0x04), (40 * MIB, 16, 0x06),
    (300 * MIB, 16, 0x06)])
def test_hard_disk_gets_mbr_and_one_active_dos_partition(tmp_path, size, bits, ptype):
    image = tmp_path / "hd.img"
    what = create_fat_image(image, size, fmt="raw", label="DATA")
    assert what.startswith(f"FAT{bits} partition")
    sector0 = image.read_bytes()[:512]
    assert sector0[510:] == b"\x55\xAA"
    assert sector0[:440] == mbr.boot_code()[:440]
    status, ptype_got, start, count = struct.unpack_from("<B3xB3xII", sector0, 0x1BE)
    cyl, heads, spt = mbr.bios_geometry(size // 512)
    assert (status, ptype_got, start) == (0x80, ptype, spt)
    assert start + count == cyl * heads * spt          # up to the last whole cylinder
    assert sector0[0x1CE:0x1FE] == bytes(48)           # the other three entries empty
    # The CHS of the first sector: cylinder 0, head 1, sector 1 (as FDISK puts it).
    assert sector0[0x1BF:0x1C2] == bytes((1, 1, 0))
    fsck(image, tmp_path, offset=start * 512, length=count * 512)
    info = mtools("minfo", image, "::", offset=start * 512).stdout.decode()
    assert f"hidden sectors: {start}" in info and "heads: 16" in info
    with open_volume(image) as vol:
        assert vol.bpb.fat_bits == bits and vol.label == "DATA"
        assert vol.located == f"partition 1 ({mbr.FAT_TYPES[ptype]})"


def test_bios_geometry_is_what_our_bios_reports():
    from engine.drives import hard_disk_geometry
    for mib in (1, 2, 5, 10, 20, 32, 100, 255, 504, 600, 2048):
        g = hard_disk_geometry(mib * MIB, "x")
        assert mbr.bios_geometry(mib * MIB // 512) == (g.cylinders, g.heads, g.sectors)


def test_qcow2_fat_image_stays_sparse(tmp_path):
    image = tmp_path / "big.qcow2"
    create_fat_image(image, 500 * MIB, label="BIG")
    assert image.stat().st_size < 2 * MIB       # MBR, boot sector, FATs, root: a few clusters
    with open_volume(image) as vol:
        assert vol.free_bytes == vol.total_bytes


def test_bad_sizes_and_labels_are_refused_clearly(tmp_path):
    from disks import DiskError
    with pytest.raises(DiskError, match="too small for a partitioned hard disk"):
        create_fat_image(tmp_path / "tiny.img", 100_000, fmt="raw")
    with pytest.raises(DiskError, match="volume label 'much too long name'"):
        create_fat_image(tmp_path / "l.img", 1_474_560, fmt="raw", label="much too long name")
    assert not list(tmp_path.iterdir())          # nothing half-made is left behind


def test_disk_past_504_mib_gets_the_partition_the_bios_can_reach(tmp_path):
    image = tmp_path / "big.qcow2"
    what = create_fat_image(image, 3 << 30, label="BIG")
    with open_volume(image) as vol:
        assert vol.bpb.total_sectors == 1024 * 16 * 63 - 63
    assert "1024 cylinders" in what


def test_bpb_errors_name_the_field():
    from disks import ImageFormatError
    sector = bytearray(FLOPPY_FORMATS[1_474_560].bpb("X", 1).encode(b""))
    sector[0x0D] = 3                                # sectors per cluster
    with pytest.raises(ImageFormatError, match="sectors per cluster is 3, expected a power"):
        parse_bpb(bytes(sector), "x.img")


def test_floppy_formats_agree_with_the_drives_the_bios_knows():
    """disks/fat keeps each format's BPB, engine/drives.py its BIOS parameters: one geometry."""
    from engine.drives import FLOPPY_FORMATS as BIOS_FORMATS
    ours = {f.name: (f.cylinders, f.heads, f.sectors) for f in FLOPPY_FORMATS.values()}
    assert ours == {f.name: (f.cylinders, f.heads, f.sectors) for f in BIOS_FORMATS}
