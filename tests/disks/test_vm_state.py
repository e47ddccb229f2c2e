"""A snapshot's VM-state area (disks/qcow2/snapshot.py): stored where the qcow2 spec puts it
(the first L1 entry past the disk, in the snapshot's own L1), read back byte for byte, and
seen, kept and freed correctly by QEMU's qemu-img."""

import json
import os
import re

import pytest

from disks import create_image, open_image
from disks.qcow2 import snapshot as qs
from disks.qcow2.check import check
from tests.disks.conftest import needs_qemu, qemu, qemu_check

MIB = 1 << 20


@pytest.mark.parametrize("cluster_size", [512, 65536])
def test_state_round_trips_at_the_spec_offset(tmp_path, cluster_size):
    p = tmp_path / "a.qcow2"
    create_image(p, 10 * MIB, cluster_size=cluster_size)
    state = os.urandom(150_000)             # several clusters; at 512 B several L2 tables
    with open_image(p) as img:
        img.write(0, b"before" * 100)
        snap = qs.create_snapshot(img, "live", state, vm_clock_nsec=5_000_000_000)
        qs.create_snapshot(img, "off")
        img.write(0, b"after!" * 100)
        assert qs.read_vm_state(img, "live") == state
        assert qs.read_vm_state(img, "off") == b""
        # Where the spec says: the L1 entries past the disk's own, in the snapshot's L1 only.
        span = img.cs * img.l2_entries
        first = qs.vm_state_offset(img) // span
        assert qs.vm_state_offset(img) == -(-img.size // span) * span
        l1 = qs.snapshot_l1(img, snap)
        assert len(l1) > len(img.l1) and all(l1[first:])
        assert not any(l1[-(-img.size // span):first])
        assert check(img).clean
        qs.apply_snapshot(img, "live")
        assert img.read(0, 600) == b"before" * 100
        assert len(img.l1) == -(-img.size // span)        # the active view maps no state
        assert qs.read_vm_state(img, "live") == state
        assert check(img).clean
        qs.delete_snapshot(img, "live")
        assert check(img).clean


def test_deleting_a_snapshot_frees_its_state(tmp_path):
    p = tmp_path / "a.qcow2"
    create_image(p, 10 * MIB)
    with open_image(p) as img:
        qs.create_snapshot(img, "live", os.urandom(300_000))
        grown = img.refcounts.get(img.file_end // img.cs - 1)
        qs.delete_snapshot(img, "live")
        used = sum(1 for c in range(img.file_end // img.cs) if img.refcounts.get(c))
    assert grown == 1
    assert used <= 4                # header, refcount table and block, L1: the state is gone


def test_a_take_that_fails_before_the_switch_leaves_only_leaks(tmp_path, monkeypatch):
    p = tmp_path / "a.qcow2"
    create_image(p, 10 * MIB)

    def boom(img, snaps):
        raise OSError("disk full")
    with open_image(p) as img:
        img.write(0, b"x" * 4096)
        monkeypatch.setattr(qs, "_write_table", boom)
        with pytest.raises(OSError):
            qs.create_snapshot(img, "live", os.urandom(200_000))
        monkeypatch.undo()
    with open_image(p, readonly=True) as img:
        result = check(img)
        assert img.snapshots == [] and not result.corruptions and result.leaks
    with open_image(p) as img:                 # dirty bit: repaired on open
        assert check(img).clean and img.read(0, 4096) == b"x" * 4096


@needs_qemu
def test_qemu_lists_checks_reverts_and_deletes_our_state(tmp_path):
    p = tmp_path / "a.qcow2"
    create_image(p, 10 * MIB)
    state = os.urandom(100_000)
    with open_image(p) as img:
        img.write(0, b"guest" * 200)
        qs.create_snapshot(img, "live", state, vm_clock_nsec=61_500_000_000)
        qs.create_snapshot(img, "off")
    listing = qemu("snapshot", "-l", str(p)).stdout
    live = next(line for line in listing.splitlines() if " live " in line)
    assert re.search(r"97\.7 KiB", live) and "00:01:01.500" in live
    assert re.search(r" off +0 B ", listing)
    info = json.loads(qemu("info", "--output=json", str(p)).stdout)
    sizes = {s["name"]: s["vm-state-size"] for s in info["snapshots"]}
    assert sizes == {"live": len(state), "off": 0}
    assert qemu_check(p).returncode == 0
    # QEMU's revert puts the snapshot's whole L1 (state included) in the active one.
    qemu("snapshot", "-a", "live", str(p))
    assert qemu_check(p).returncode == 0
    with open_image(p) as img:
        assert qs.read_vm_state(img, "live") == state
        assert img.read(0, 1000) == b"guest" * 200
        qs.create_snapshot(img, "again", os.urandom(70_000))    # not the state QEMU mapped
        assert check(img).clean
    assert qemu_check(p).returncode == 0
    qemu("snapshot", "-d", "live", str(p))
    qemu("snapshot", "-d", "again", str(p))
    assert qemu_check(p).returncode == 0
    with open_image(p) as img:
        assert [s.name for s in img.snapshots] == ["off"] and check(img).clean
