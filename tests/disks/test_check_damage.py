"""Images made by qemu-img, then damaged one way each: `xtbox disk check` exits as `qemu-img
check` does, and `--repair` leaves `qemu-img check` clean with every view intact (the active
disk and the snapshot, read back by qemu-img itself)."""

from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.disks.conftest import needs_qemu, qemu, qemu_check
from tests.disks.crash_harness import _Killer, fork_call, is_dirty

pytestmark = needs_qemu
ROOT = Path(__file__).resolve().parents[2]
CS = 4096
COPIED = 1 << 63
OFFSET = 0x00FFFFFFFFFFFE00


def _io(path, *commands: str) -> None:
    args = ["qemu-io", "-f", "qcow2"]
    for c in commands:
        args += ["-c", c]
    subprocess.run(args + [str(path)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """'private': snapshot s1, then writes (the active L2 table is the active L1's own);
    'shared': snapshot s1 and no write since (the L2 table is shared)."""
    folder = tmp_path_factory.mktemp("templates")
    out = {}
    for kind in ("private", "shared"):
        p = folder / f"{kind}.qcow2"
        qemu("create", "-q", "-f", "qcow2", "-o", f"cluster_size={CS}", str(p), "1M")
        _io(p, "write -P 0x11 0 64k", "write -P 0x22 128k 32k")
        qemu("snapshot", "-c", "s1", str(p))
        if kind == "private":
            _io(p, "write -P 0x33 8k 8k", "write -P 0x44 300k 4k")
        out[kind] = p.read_bytes()
    return out


class Img:
    """Just enough of the format to damage an image by hand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = bytearray(path.read_bytes())
        self.l1 = struct.unpack_from(">Q", self.data, 40)[0]
        rt = struct.unpack_from(">Q", self.data, 48)[0]
        self.refblock = struct.unpack_from(">Q", self.data, rt)[0] & OFFSET

    def q(self, off: int) -> int:
        return struct.unpack_from(">Q", self.data, off)[0]

    def setq(self, off: int, value: int) -> None:
        struct.pack_into(">Q", self.data, off, value)

    @property
    def l2(self) -> int:
        return self.q(self.l1) & OFFSET

    def l2e(self, guest: int) -> int:            # where the L2 entry of a guest offset is
        return self.l2 + 8 * (guest // CS)

    def refcount_at(self, host: int) -> int:     # where a cluster's 16-bit refcount is
        return self.refblock + 2 * (host // CS)

    def save(self) -> None:
        self.path.write_bytes(bytes(self.data))


def _private_data(img: Img) -> int:
    return img.l2e(8 * 1024)                      # rewritten after s1: refcount 1, COPIED


def _shared_data(img: Img) -> int:
    return img.l2e(32 * 1024)                     # untouched since s1: refcount 2


def copied_on_shared_data(img):
    img.setq(_shared_data(img), img.q(_shared_data(img)) | COPIED)


def copied_missing(img):
    img.setq(_private_data(img), img.q(_private_data(img)) & ~COPIED)


def copied_on_shared_l2(img):
    img.setq(img.l1, img.q(img.l1) | COPIED)


def refcount_too_low(img):
    host = img.q(_shared_data(img)) & OFFSET
    struct.pack_into(">H", img.data, img.refcount_at(host), 1)


def referenced_twice(img):
    img.setq(img.l2e(300 * 1024), img.q(_private_data(img)))


def data_in_metadata(img):
    img.setq(img.l2e(300 * 1024), img.refblock | COPIED)


def data_past_the_end(img):
    img.setq(_private_data(img), (len(img.data) + 64 * CS) | COPIED)


def l2_past_the_end(img):
    img.setq(img.l1, (len(img.data) + 64 * CS) | COPIED)


def leaked_cluster(img):
    host = img.q(_shared_data(img)) & OFFSET       # 3 for 2 references: COPIED stays right
    struct.pack_into(">H", img.data, img.refcount_at(host), 3)


CASES = [("private", f) for f in (copied_on_shared_data, copied_missing, refcount_too_low,
                                  referenced_twice, data_in_metadata, data_past_the_end,
                                  l2_past_the_end, leaked_cluster)] + [
        ("shared", copied_on_shared_l2), ("private", None)]


def _views(path: Path, tmp: Path) -> dict[str, bytes]:
    out = {}
    for name, extra in (("active", []), ("s1", ["-l", "snapshot.name=s1"])):
        raw = tmp / f"{name}.raw"
        raw.unlink(missing_ok=True)
        r = subprocess.run(["qemu-img", "convert", "-O", "raw", *extra, str(path), str(raw)],
                           capture_output=True, text=True)
        out[name] = raw.read_bytes() if r.returncode == 0 else b"unreadable: " + r.stderr.encode()
    return out


def _xtbox_check(path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", "disk", "check", str(path), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("template", "damage"), CASES,
                         ids=[f.__name__ if f else "undamaged" for _t, f in CASES])
def test_check_matches_qemu_and_repair_keeps_the_data(tmp_path, templates, template, damage):
    path = tmp_path / "img.qcow2"
    path.write_bytes(templates[template])
    original = _views(path, tmp_path)
    if damage is not None:
        img = Img(path)
        damage(img)
        img.save()
    damaged = _views(path, tmp_path)
    expected = qemu_check(path).returncode
    assert expected == (0 if damage is None else 3 if damage is leaked_cluster else 2)
    ours = _xtbox_check(path)
    assert ours.returncode == expected, ours.stdout + ours.stderr

    shutil.copy(path, tmp_path / "before-repair.qcow2")
    repaired = _xtbox_check(path, "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    after = qemu_check(path)
    assert after.returncode == 0, after.stdout + after.stderr
    views = _views(path, tmp_path)
    # The snapshot is untouched by every damage here, and must come through whole.
    assert views["s1"] == original["s1"]
    if damage in (data_past_the_end, l2_past_the_end):
        # What lay past the end of the file is gone with the damage; it reads as zeros now
        # and everything else is as it was.
        lo = 0 if damage is l2_past_the_end else 8 * 1024
        hi = len(original["active"]) if damage is l2_past_the_end else 12 * 1024
        assert views["active"][:lo] == original["active"][:lo]
        assert views["active"][hi:] == original["active"][hi:]
        assert views["active"][lo:hi].count(0) == hi - lo
    elif damage in (referenced_twice, data_in_metadata):
        assert views["active"] == damaged["active"]    # what the guest read, kept
    else:
        assert views["active"] == original["active"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
@pytest.mark.parametrize("damage", [copied_on_shared_data, data_in_metadata, referenced_twice])
def test_a_repair_killed_anywhere_is_finished_by_the_next(tmp_path, templates, damage):
    from disks.ops import check_image
    path = tmp_path / "img.qcow2"
    path.write_bytes(templates["private"])
    img = Img(path)
    damage(img)
    img.save()
    damaged_bytes = path.read_bytes()
    damaged = _views(path, tmp_path)

    def repair(killer):
        def work(w: int) -> None:
            killer.install()
            check_image(str(path), repair=True)
            os.write(w, struct.pack("<I", killer.count))
        return fork_call(work)

    failed, raw = repair(_Killer(1 << 30, False, random.Random(0)))
    assert not failed and raw
    total = struct.unpack("<I", raw)[0]
    for k in range(1, total + 1):
        path.write_bytes(damaged_bytes)
        repair(_Killer(k, k % 2 == 0, random.Random(k)))
        result = check_image(str(path), repair=True)
        assert result.clean, f"killed at {k}/{total}: {result}"
        assert qemu_check(path).returncode == 0, f"killed at {k}/{total}"
        views = _views(path, tmp_path)
        assert views["s1"] == damaged["s1"], k
        got, want = views["active"], damaged["active"]
        if damage is data_in_metadata:
            # What the guest read there was a refcount block, which the killed repair has
            # already changed (the copy's own refcount): that cluster is not comparable.
            got, want = got[:300 << 10] + got[304 << 10:], want[:300 << 10] + want[304 << 10:]
        assert got == want, f"killed at {k}/{total}"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_qemu_repairs_an_image_we_left_dirty(tmp_path, templates):
    """A snapshot create killed half-way leaves the dirty bit; QEMU's own read-write open
    then recounts the image (as ours does), and the data is all there."""
    from disks import open_image
    from disks.qcow2.snapshot import create_snapshot
    path = tmp_path / "img.qcow2"
    path.write_bytes(templates["private"])
    before = _views(path, tmp_path)

    def work(_w: int) -> None:
        # the header with the dirty bit, its sync, then a few of the snapshot's writes
        _Killer(6, False, random.Random(0)).install()
        with open_image(path) as img:
            create_snapshot(img, "s2")

    fork_call(work)
    assert is_dirty(str(path))
    subprocess.run(["qemu-io", "-c", "write -P 0x77 600k 4k", str(path)], check=True,
                   capture_output=True)
    assert not is_dirty(str(path))
    assert qemu_check(path).returncode == 0
    after = _views(path, tmp_path)
    assert after["s1"] == before["s1"]
    expected = bytearray(before["active"])
    expected[600 * 1024:604 * 1024] = b"\x77" * 4096
    assert after["active"] == bytes(expected)
