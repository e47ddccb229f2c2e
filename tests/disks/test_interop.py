"""Our qcow2 against QEMU's qemu-img, both ways."""

import json
import random

import pytest

from disks import create_image, open_image
from disks.qcow2.snapshot import apply_snapshot, create_snapshot, delete_snapshot
from tests.disks.conftest import needs_qemu, qemu, qemu_check

pytestmark = needs_qemu
MIB = 1 << 20


def random_writes(img, model, rng, count, max_len=70000):
    for _ in range(count):
        n = rng.randrange(1, max_len)
        off = rng.randrange(0, img.size - n)
        data = rng.randbytes(n)
        img.write(off, data)
        model[off:off + n] = data


def raw_of(path, tmp_path, name="out.raw"):
    out = tmp_path / name
    out.unlink(missing_ok=True)
    qemu("convert", "-O", "raw", str(path), str(out))
    return out.read_bytes()


@pytest.mark.parametrize("cluster_size", [512, 4096, 65536])
def test_our_writes_pass_qemu_check_and_convert_back(tmp_path, cluster_size):
    p = tmp_path / "a.qcow2"
    create_image(p, 24 * MIB, cluster_size=cluster_size)
    rng, model = random.Random(cluster_size), bytearray(24 * MIB)
    with open_image(p) as img:
        random_writes(img, model, rng, 150)
        img.flush()
    r = qemu_check(p)
    assert r.returncode == 0, r.stdout + r.stderr
    assert raw_of(p, tmp_path) == bytes(model)


def test_snapshots_visible_and_exact_in_qemu(tmp_path):
    p = tmp_path / "s.qcow2"
    create_image(p, 8 * MIB, cluster_size=4096)
    rng, model, states = random.Random(7), bytearray(8 * MIB), {}
    with open_image(p) as img:
        for name in ("one", "two", "three"):
            random_writes(img, model, rng, 60, 9000)
            create_snapshot(img, name)
            states[name] = bytes(model)
        random_writes(img, model, rng, 60, 9000)
        delete_snapshot(img, "two")
    assert qemu_check(p).returncode == 0
    listing = qemu("snapshot", "-l", str(p)).stdout
    assert "one" in listing and "three" in listing and "two" not in listing
    assert raw_of(p, tmp_path) == bytes(model)
    for name in ("one", "three"):
        qemu("snapshot", "-a", name, str(p))
        assert raw_of(p, tmp_path, name) == states[name]
    with open_image(p) as img:
        apply_snapshot(img, "one")
        assert img.read(0, img.size) == states["one"]
    assert qemu_check(p).returncode == 0


def test_overlay_chain_shows_in_qemu_info(tmp_path):
    base = tmp_path / "base.raw"
    create_image(base, 4 * MIB, fmt="raw")
    with open_image(base) as img:
        img.write(0, b"base" * 1000)
    mid = tmp_path / "mid.qcow2"
    top = tmp_path / "top.qcow2"
    create_image(mid, backing="base.raw")
    create_image(top, backing="mid.qcow2")
    with open_image(top) as img:
        img.write(2, b"TOP")
        assert img.read(0, 8) == b"baTOPase"
    chain = json.loads(qemu("info", "--output=json", "--backing-chain", str(top)).stdout)
    assert [c["format"] for c in chain] == ["qcow2", "qcow2", "raw"]
    assert chain[0]["backing-filename-format"] == "qcow2"
    assert qemu_check(top).returncode == 0
    with open_image(mid) as img:                 # the lower layers were not written
        assert img.read(0, 8) == b"basebase"


def test_qemu_made_images_read_and_write_through_ours(tmp_path):
    src = tmp_path / "src.raw"
    rng = random.Random(3)
    data = bytearray(rng.randbytes(3 * MIB) + bytes(MIB))
    src.write_bytes(bytes(data))
    base = tmp_path / "base.qcow2"
    qemu("convert", "-O", "qcow2", str(src), str(base))
    qemu("snapshot", "-c", "snap1", str(base))
    top = tmp_path / "top.qcow2"
    qemu("create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", str(top))
    comp = tmp_path / "comp.qcow2"
    qemu("convert", "-c", "-O", "qcow2", str(src), str(comp))
    for path in (comp, top, base):
        with open_image(path) as img:
            assert img.read(0, img.size) == bytes(data), path
            img.write(1000, b"ours" * 3000)
        assert qemu_check(path).returncode == 0, path
    expected = bytearray(data)
    expected[1000:13000] = b"ours" * 3000
    with open_image(comp) as img:
        assert img.read(0, img.size) == bytes(expected)
    # qemu-img commit / rebase on images we wrote
    qemu("commit", str(top))
    with open_image(base) as img:
        assert img.read(0, img.size) == bytes(expected)
    qemu("rebase", "-u", "-b", "", str(top))
    with open_image(top) as img:
        assert img.backing is None
