"""Drives read and write sectors through the disk layer, raw or qcow2 alike; diskette drives
take and give up media, with the change line and write protection of real drives."""

import os

import pytest

from disks import create_image
from engine.drives import FLOPPY_FORMATS, Drive, FloppyDrive
from engine.errors import ConfigError

# Every IBM PC diskette format: (size as people write it, cylinders, heads, sectors per track).
IBM_FORMATS = [("160K", (40, 1, 8)), ("180K", (40, 1, 9)), ("320K", (40, 2, 8)),
               ("360K", (40, 2, 9)), ("720K", (80, 2, 9)), ("1.2M", (80, 2, 15)),
               ("1.44M", (80, 2, 18)), ("2.88M", (80, 2, 36))]


def test_the_format_table_is_the_ibm_list():
    assert [(f.name, (f.cylinders, f.heads, f.sectors)) for f in FLOPPY_FORMATS] == IBM_FORMATS
    for f in FLOPPY_FORMATS:
        table = f.parameter_table()
        assert len(table) == 11 and table[3] == 2 and table[4] == f.sectors   # 512 B, SPT


@pytest.mark.parametrize("size,chs", IBM_FORMATS)
@pytest.mark.parametrize("fmt", ["raw", "qcow2"])
def test_floppy_geometry_from_size(tmp_path, size, chs, fmt):
    from disks import parse_size
    p = tmp_path / f"f.{fmt}"
    create_image(p, parse_size(size), fmt=fmt)
    d = Drive(p, floppy=True)
    g = d.geometry
    assert (g.cylinders, g.heads, g.sectors) == chs
    assert g.total_sectors * 512 == parse_size(size)
    last = d.lba(g.cylinders - 1, g.heads - 1, g.sectors - 1)
    assert last == g.total_sectors - 2
    d.write_sectors(last, b"S" * 1024)
    assert d.read_sectors(last, 2) == b"S" * 1024
    assert d.lba(0, 0, 0) is None and d.lba(g.cylinders, 0, 1) is None
    assert d.lba(0, g.heads, 1) is None and d.lba(0, 0, g.sectors + 1) is None
    d.close()


def test_unknown_floppy_size_names_accepted_sizes(tmp_path):
    p = tmp_path / "odd.img"
    p.write_bytes(bytes(1000 * 512))
    with pytest.raises(ConfigError, match="odd.img: a floppy image of 512,000 bytes") as info:
        Drive(p, floppy=True)
    for size, _chs in IBM_FORMATS:
        assert f"({size})" in str(info.value)


def test_hard_disk_chs_from_size(tmp_path):
    p = tmp_path / "hd.qcow2"
    create_image(p, 20 << 20)
    d = Drive(p, floppy=False)
    assert (d.geometry.heads, d.geometry.sectors) == (16, 63)
    assert d.geometry.cylinders == (20 << 20) // (16 * 63 * 512)
    d.write_sectors(1000, b"H" * 512)
    assert d.read_sectors(1000, 1) == b"H" * 512
    big = tmp_path / "big.qcow2"
    create_image(big, 1 << 30)
    assert Drive(big, floppy=False).geometry.cylinders == 1024      # 504 MiB addressable


def test_missing_image_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="nothere.img"):
        Drive(tmp_path / "nothere.img", floppy=True)


def floppy(path, size=737_280, fill=b"\0"):
    path.write_bytes(fill * size)
    return path


def test_a_file_without_write_permission_is_write_protected(tmp_path):
    image = floppy(tmp_path / "ro.img")
    os.chmod(image, 0o444)                      # even root, who may write it, sees the tab
    d = Drive(image, floppy=True)
    assert d.readonly
    from disks import DiskError
    with pytest.raises(DiskError, match="write-protected"):
        d.write_sectors(0, bytes(512))
    d.close()
    os.chmod(image, 0o644)
    for readonly in (False, True):                               # or opened read-only
        d = Drive(image, floppy=True, readonly=readonly)
        assert d.readonly == readonly
        d.close()


def test_change_line_follows_the_door(tmp_path):
    drive = FloppyDrive("b")
    assert drive.medium is None and drive.change_line            # empty: always active
    assert not drive.seek() and drive.change_line                # nothing to step on
    assert drive.format.name == "1.44M"                           # before any medium
    one = floppy(tmp_path / "one.img", 368_640, b"1")
    drive.insert(one)
    assert drive.change_line and drive.format.name == "360K"
    assert drive.seek() and not drive.change_line                 # a step with a disk in
    assert drive.medium.read_sectors(0, 1) == b"1" * 512
    drive.medium.write_sectors(1, b"w" * 512)
    two = floppy(tmp_path / "two.img", 1_228_800, b"2")
    drive.insert(two)                                             # the old one is flushed
    assert one.read_bytes()[512:1024] == b"w" * 512
    assert drive.change_line and drive.format.name == "1.2M"
    assert (drive.reads, drive.writes) == (1, 1)                  # counted across media
    drive.eject()
    assert drive.medium is None and drive.change_line
    assert drive.format.name == "1.2M"                            # the last medium's type
    drive.insert(one)                                             # closed, so free again
    drive.seek()
    drive.insert(one, readonly=True)              # the same diskette again, write-protected
    assert drive.medium.readonly and drive.change_line
    drive.close()


def test_a_failed_insert_leaves_the_drive_as_it_was(tmp_path):
    drive = FloppyDrive("a")
    drive.insert(floppy(tmp_path / "ok.img"))
    drive.seek()
    with pytest.raises(ConfigError, match="bad.img"):
        drive.insert(floppy(tmp_path / "bad.img", 1000))
    assert drive.medium.path.endswith("ok.img") and not drive.change_line
    drive.close()


def test_saved_state_keeps_the_change_line_only_for_the_same_diskette(tmp_path):
    one, two = floppy(tmp_path / "one.img"), floppy(tmp_path / "two.img")
    drive = FloppyDrive("a")
    drive.insert(one)
    drive.seek()
    saved = drive.get_state()
    assert (saved["image"], saved["change_line"], saved["type"]) == (str(one), False, "720K")
    drive.change_line = True
    drive.set_state(saved)
    assert not drive.change_line                          # the same diskette: as it was
    drive.insert(two)
    drive.seek()
    drive.set_state(saved)
    assert drive.change_line                              # another one: a change to report
    drive.eject()
    drive.set_state({**saved, "type": "360K"})
    assert drive.change_line and drive.format.name == "360K"
    drive.close()
