"""Drives read and write sectors through the disk layer, raw or qcow2 alike."""

import pytest

from disks import create_image
from engine.drives import Drive
from engine.errors import ConfigError


@pytest.mark.parametrize("size,chs", [("360K", (40, 2, 9)), ("720K", (80, 2, 9)),
                                      ("1.2M", (80, 2, 15)), ("1.44M", (80, 2, 18))])
@pytest.mark.parametrize("fmt", ["raw", "qcow2"])
def test_floppy_geometry_from_size(tmp_path, size, chs, fmt):
    from disks import parse_size
    p = tmp_path / f"f.{fmt}"
    create_image(p, parse_size(size), fmt=fmt)
    d = Drive(p, floppy=True)
    g = d.geometry
    assert (g.cylinders, g.heads, g.sectors) == chs
    assert g.total_sectors * 512 == parse_size(size)
    d.write_sectors(d.lba(1, 1, 3), b"S" * 1024)
    assert d.read_sectors(d.lba(1, 1, 3), 2) == b"S" * 1024
    assert d.lba(0, 0, 0) is None and d.lba(g.cylinders, 0, 1) is None
    d.close()


def test_unknown_floppy_size_names_accepted_sizes(tmp_path):
    p = tmp_path / "odd.img"
    p.write_bytes(bytes(1000 * 512))
    with pytest.raises(ConfigError, match="1,474,560 .1.44M."):
        Drive(p, floppy=True)


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
