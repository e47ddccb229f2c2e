"""Damaged, hostile and misused images: one clear error naming the file, never a traceback."""

import logging
import os
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disks import (
    BackingFileError,
    DiskError,
    ImageFormatError,
    ImageLockedError,
    create_image,
    open_image,
)


@pytest.fixture
def image(tmp_path):
    p = tmp_path / "img.qcow2"
    create_image(p, 1 << 20, cluster_size=4096)
    with open_image(p) as img:
        img.write(0, b"x" * 10000)
    return p


def _patch(path, offset, fmt, value):
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, offset, value)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("offset,fmt,value,words", [
    (0, ">I", 0x12345678, "not a qcow2"),          # qcow2 by content? then wrong magic = raw
    (4, ">I", 9, "version 9"),
    (72, ">Q", 1 << 20, "incompatible features"),
    (20, ">I", 30, "cluster_bits"),
    (40, ">Q", 4096 * 5000, "L1 table"),
    (40, ">Q", 4096 + 8, "not aligned"),
    (48, ">Q", 4096 * 3, "overlaps"),
    (60, ">I", 3, "snapshot"),
])
def test_damaged_header_fields_give_one_clear_error(image, offset, fmt, value, words):
    _patch(image, offset, fmt, value)
    if offset == 0:
        with open_image(image) as img:          # no magic: it is raw data, not an error
            assert img.format == "raw"
        return
    with pytest.raises(DiskError) as exc:
        open_image(image)
    assert str(image) in str(exc.value) and words in str(exc.value)


def test_truncated_file(tmp_path, image):
    data = image.read_bytes()
    short = tmp_path / "short.qcow2"
    for cut in (10, 80, 4096 + 10, len(data) // 2):
        short.write_bytes(data[:cut])
        with pytest.raises(DiskError, match="short.qcow2"):
            with open_image(short) as img:
                img.read(0, img.size)


def test_corrupt_bit_and_dirty_bit(image, caplog):
    _patch(image, 72, ">Q", 2)
    with pytest.raises(ImageFormatError, match="corrupt"):
        open_image(image)
    _patch(image, 72, ">Q", 1)
    open_image(image, readonly=True).close()           # read-only: left as it is
    assert struct.unpack_from(">Q", image.read_bytes(), 72)[0] == 1
    with caplog.at_level(logging.WARNING, logger="xtbox.disks"):
        open_image(image).close()                      # read-write: repaired, and said so
    assert "not closed cleanly" in caplog.text and "img.qcow2" in caplog.text
    assert struct.unpack_from(">Q", image.read_bytes(), 72)[0] == 0


def test_second_writer_is_refused_by_name(image):
    with open_image(image):
        with pytest.raises(ImageLockedError, match="img.qcow2"):
            open_image(image)


def test_overlays_share_one_readonly_backing(tmp_path, image):
    os.replace(image, tmp_path / "base.qcow2")
    for name in ("a.qcow2", "b.qcow2"):
        create_image(tmp_path / name, backing="base.qcow2")
    with open_image(tmp_path / "a.qcow2") as a, open_image(tmp_path / "b.qcow2") as b:
        assert a.read(0, 5) == b.read(0, 5) == b"xxxxx"
        with pytest.raises(ImageLockedError):
            open_image(tmp_path / "base.qcow2")          # no writer while overlays read it


def test_backing_outside_the_folder_needs_permission(tmp_path, image):
    sub = tmp_path / "vm"
    sub.mkdir()
    with pytest.raises(BackingFileError, match="outside"):
        create_image(sub / "o.qcow2", backing=str(image))
    create_image(sub / "o.qcow2", backing=str(image), allow_outside_backing=True)
    with pytest.raises(BackingFileError, match="outside"):
        open_image(sub / "o.qcow2")
    with open_image(sub / "o.qcow2", allow_outside_backing=True) as img:
        assert img.read(0, 3) == b"xxx"


def test_missing_and_looping_backing(tmp_path):
    base = tmp_path / "base.qcow2"
    create_image(base, 1 << 20)
    create_image(tmp_path / "top.qcow2", backing="base.qcow2")
    os.unlink(base)
    with pytest.raises(BackingFileError, match="missing"):
        open_image(tmp_path / "top.qcow2")
    # a.qcow2 -> b.qcow2 -> a.qcow2
    create_image(tmp_path / "b.qcow2", 1 << 20)
    create_image(tmp_path / "a.qcow2", backing="b.qcow2")
    with open_image(tmp_path / "b.qcow2") as b:
        b.header.backing_file, b.header.backing_format = "a.qcow2", "qcow2"
        b.write_header()
    with pytest.raises(BackingFileError, match="loops"):
        open_image(tmp_path / "a.qcow2")


def test_corrupt_snapshot_table(tmp_path, image):
    from disks.qcow2.snapshot import create_snapshot
    with open_image(image) as img:
        create_snapshot(img, "s")
        snap_off = img.header.snapshots_offset
    _patch(image, snap_off, ">Q", 4096 * 100000)        # its L1 table far past the end
    with pytest.raises(ImageFormatError, match="snapshot"):
        open_image(image)


def test_out_of_range_access(image):
    with open_image(image) as img:
        with pytest.raises(DiskError, match="outside the image"):
            img.read(img.size - 1, 2)


TEMPLATE: dict[str, bytes] = {}


def _template(tmp: str) -> bytes:
    if "t" not in TEMPLATE:
        from disks.qcow2.snapshot import create_snapshot
        p = os.path.join(tmp, "template.qcow2")
        create_image(p, 64 * 1024, cluster_size=512)
        with open_image(p) as img:
            img.write(1000, b"data" * 500)
            create_snapshot(img, "snap")
            img.write(3000, b"more" * 100)
        TEMPLATE["t"] = open(p, "rb").read()
        os.unlink(p)
    return TEMPLATE["t"]


@settings(max_examples=10_000, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(mutations=st.lists(st.tuples(st.integers(0, 12 * 512), st.integers(0, 255)),
                          min_size=1, max_size=6),
       cut=st.one_of(st.none(), st.integers(0, 12 * 512)))
def test_fuzzed_images_fail_cleanly(tmp_path_factory, mutations, cut):
    tmp = str(tmp_path_factory.getbasetemp())
    data = bytearray(_template(tmp))
    for offset, value in mutations:
        if offset < len(data):
            data[offset] = value
    if cut is not None:
        del data[cut:]
    path = os.path.join(tmp, "fuzz.qcow2")
    with open(path, "wb") as f:
        f.write(data)
    try:
        with open_image(path, readonly=True) as img:
            img.read(0, img.size)
            for snap in getattr(img, "snapshots", []):
                assert snap.name is not None
    except DiskError as exc:
        assert "fuzz.qcow2" in str(exc)
