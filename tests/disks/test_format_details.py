"""qcow2 details: unknown header extensions kept, zero clusters, reuse of freed clusters."""

import struct

from disks import create_image, open_image
from disks.qcow2 import clusters as cl
from disks.qcow2.snapshot import create_snapshot, delete_snapshot
from tests.disks.conftest import QEMU_IMG, qemu, qemu_check


def test_unknown_header_extensions_survive_our_writes(tmp_path):
    p = tmp_path / "ext.qcow2"
    create_image(p, 1 << 20)
    with open_image(p) as img:
        img.header.unknown_extensions.append((0x12345678, b"keep me"))
        img.write_header()
    with open_image(p) as img:
        img.write(0, b"data")
        create_snapshot(img, "s")                 # rewrites the header
    with open_image(p, readonly=True) as img:
        assert (0x12345678, b"keep me") in img.header.unknown_extensions


def test_zero_clusters_read_as_zero_and_can_be_overwritten(tmp_path):
    base = tmp_path / "base.qcow2"
    create_image(base, 1 << 20)
    with open_image(base) as img:
        img.write(0, b"\xff" * 65536)
    top = tmp_path / "top.qcow2"
    create_image(top, backing="base.qcow2")
    with open_image(top) as img:
        img.write(65536, b"x")                    # gives the overlay an L2 table
        l2 = img.l1[0] & cl.L1_OFFSET_MASK
        img.meta_write(l2, struct.pack(">Q", cl.ZERO), "L2 table")   # cluster 0: zero flag
        img.l2cache.clear()
        assert img.read(0, 16) == bytes(16)       # zero, not the backing file's 0xff
        img.write(10, b"abc")
        assert img.read(8, 6) == b"\0\0abc\0"
    if QEMU_IMG:
        assert qemu_check(top).returncode == 0


def test_freed_clusters_are_reused(tmp_path):
    p = tmp_path / "reuse.qcow2"
    create_image(p, 4 << 20)
    with open_image(p) as img:
        img.write(0, b"a" * (2 << 20))
        create_snapshot(img, "s")
        img.write(0, b"b" * (2 << 20))            # copy-on-write: 2 MiB more
        delete_snapshot(img, "s")                 # the old 2 MiB is free again
        grown = img.file_end
        img.write(2 << 20, b"c" * (1 << 20))      # must land in the freed clusters
        assert img.file_end == grown
        assert img.read(0, 1) == b"b" and img.read(2 << 20, 1) == b"c"
    if QEMU_IMG:
        assert qemu_check(p).returncode == 0


def test_qemu_rebase_of_a_chain_reads_through_ours(tmp_path):
    if not QEMU_IMG:
        return
    qemu("create", "-f", "qcow2", str(tmp_path / "a.qcow2"), "1M")
    with open_image(tmp_path / "a.qcow2") as img:
        img.write(0, b"A" * 4096)
    qemu("create", "-f", "qcow2", "-b", "a.qcow2", "-F", "qcow2", str(tmp_path / "b.qcow2"))
    with open_image(tmp_path / "b.qcow2") as img:
        img.write(4096, b"B" * 4096)
    qemu("create", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", str(tmp_path / "c.qcow2"))
    qemu("rebase", "-b", "a.qcow2", "-F", "qcow2", str(tmp_path / "c.qcow2"))   # drops b
    with open_image(tmp_path / "c.qcow2") as img:
        assert img.read(0, 8192) == b"A" * 4096 + b"B" * 4096
        assert img.backing.path.endswith("a.qcow2")
