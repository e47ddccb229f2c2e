"""`xtbox disk` through the real command line."""

import json
import re
import subprocess
import sys

import pytest

from disks import open_image, parse_size
from tests.disks.conftest import QEMU_IMG, qemu_check


def xtbox(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "tui.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True)


@pytest.mark.parametrize("text,size", [("360K", 368_640), ("720K", 737_280),
                                       ("1.2M", 1_228_800), ("1.44M", 1_474_560),
                                       ("10M", 10 << 20), ("2G", 2 << 30), ("512", 512)])
def test_sizes(text, size):
    assert parse_size(text) == size


def test_create_info_snapshot_check_map_convert(tmp_path):
    assert xtbox("disk", "create", "a.qcow2", "10M", cwd=tmp_path).returncode == 0
    with open_image(tmp_path / "a.qcow2") as img:
        img.write(0, b"hello" * 100)
    assert xtbox("disk", "create", "o.qcow2", "--backing", "a.qcow2", cwd=tmp_path).returncode == 0
    info = json.loads(xtbox("disk", "info", "o.qcow2", "--chain", "--json",
                            cwd=tmp_path).stdout)
    assert [layer["format"] for layer in info] == ["qcow2", "qcow2"]
    assert info[0]["backing-filename-format"] == "qcow2"
    r = xtbox("disk", "snapshot", "o.qcow2", "create", "first", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "first" in xtbox("disk", "snapshot", "o.qcow2", "list", cwd=tmp_path).stdout
    assert xtbox("disk", "check", "o.qcow2", cwd=tmp_path).returncode == 0
    runs = json.loads(xtbox("disk", "map", "o.qcow2", "--json", cwd=tmp_path).stdout)
    assert runs[0]["kind"] == "data" and runs[0]["depth"] == 1
    r = xtbox("disk", "convert", "o.qcow2", "flat.raw", "--format", "raw", cwd=tmp_path)
    assert r.returncode == 0 and "100%" in r.stderr
    assert (tmp_path / "flat.raw").read_bytes()[:500] == b"hello" * 100
    if QEMU_IMG:
        assert qemu_check(tmp_path / "o.qcow2").returncode == 0


def test_commit_and_rebase(tmp_path):
    for cmd in (("create", "base.qcow2", "1M"), ("create", "other.qcow2", "1M"),
                ("create", "top.qcow2", "--backing", "base.qcow2")):
        assert xtbox("disk", *cmd, cwd=tmp_path).returncode == 0
    with open_image(tmp_path / "top.qcow2") as img:
        img.write(4096, b"top data")
    assert xtbox("disk", "commit", "top.qcow2", cwd=tmp_path).returncode == 0
    with open_image(tmp_path / "base.qcow2") as img:
        assert img.read(4096, 8) == b"top data"
    r = xtbox("disk", "rebase", "top.qcow2", "--backing", "other.qcow2", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    with open_image(tmp_path / "top.qcow2") as img:
        assert img.backing.path.endswith("other.qcow2")
        assert img.read(4096, 8) == b"top data"


def test_check_repair_reclaims_leaks(tmp_path):
    p = tmp_path / "leak.qcow2"
    assert xtbox("disk", "create", p, "1M").returncode == 0
    with open_image(p) as img:
        leaked = img.refcounts.alloc(3)      # allocated, written, referenced by nothing
        img.data_write(leaked, bytes(3 * img.cs))
    assert xtbox("disk", "check", p).returncode == 3
    assert xtbox("disk", "check", p, "--repair").returncode == 0
    assert xtbox("disk", "check", p).returncode == 0


@pytest.mark.parametrize("args,words", [
    (("create", "x.qcow2", "12Q"), "12Q"),
    (("info", "missing.qcow2"), "missing.qcow2"),
    (("snapshot", "raw.img", "create", "s"), "convert"),
    (("snapshot", "x.qcow2", "apply", "nope"), "nope"),
])
def test_errors_are_one_line_and_name_the_problem(tmp_path, args, words):
    (tmp_path / "raw.img").write_bytes(bytes(1024))
    xtbox("disk", "create", "x.qcow2", "1M", cwd=tmp_path)
    r = xtbox("disk", *args, cwd=tmp_path)
    assert r.returncode != 0
    assert words in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_eight_gib_image_arithmetic(tmp_path):
    p = tmp_path / "big.qcow2"
    assert xtbox("disk", "create", p, "8G").returncode == 0
    with open_image(p) as img:
        assert img.size == 8 << 30
        img.write(img.size - 5, b"last!")
        img.write(4 << 30, b"middle")
    with open_image(p, readonly=True) as img:
        assert img.read(img.size - 5, 5) == b"last!"
        assert img.read(4 << 30, 6) == b"middle"
    if QEMU_IMG:
        assert qemu_check(p).returncode == 0


def test_disk_snapshot_list_and_info_show_a_vm_state(tmp_path):
    from disks import create_image, open_image
    from disks.qcow2 import snapshot as qs
    p = tmp_path / "a.qcow2"
    create_image(p, 1 << 20)
    with open_image(p) as img:
        qs.create_snapshot(img, "live", b"S" * 5000)
        qs.create_snapshot(img, "off")
    listed = xtbox("disk", "snapshot", str(p), "list").stdout
    assert re.search(r"live .* VM state 5,000 bytes", listed)
    assert "VM state" not in next(ln for ln in listed.splitlines() if " off " in ln)
    assert "live (" in xtbox("disk", "info", str(p)).stdout
    assert "VM state 5,000 bytes" in xtbox("disk", "info", str(p)).stdout
    info = json.loads(xtbox("disk", "info", str(p), "--json").stdout)
    assert [s["vm-state-size"] for s in info["snapshots"]] == [5000, 0]
