"""`xtbox disk ls/cp/rm/mkdir` against mtools and fsck.fat: what we write, mtools reads
back byte for byte (names, dates, sizes, free space) and fsck.fat finds clean; what mtools
writes (VFAT long names included), we read back."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from disks.fat.image import open_volume
from tests.disks.fat.oracles import (
    ENV,
    free_bytes,
    fsck,
    mdir,
    mtools,
    mtype,
    needs_fsck,
    needs_mtools,
    needs_qemu_img,
    raw_view,
)
from tui.cli import main

pytestmark = [needs_mtools, needs_fsck]
PART = 63 * 512                      # where our hard disks' partition starts


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    """DOS keeps local time: one zone for us and mtools."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def xt(capsys):
    def run(*args, code: int = 0) -> tuple[str, str]:
        rc = main(["disk", *map(str, args)])
        out, err = capsys.readouterr()
        assert rc == code, f"xtbox disk {args} -> {rc}\n{out}\n{err}"
        return out, err
    return run


def tree(root: Path) -> Path:
    """Files of the sizes that matter: empty, one byte, a whole cluster, several clusters."""
    root.mkdir()
    (root / "empty.txt").write_bytes(b"")
    (root / "one.txt").write_bytes(b"1")
    (root / "CLUSTER.BIN").write_bytes(bytes(range(256)) * 8)
    (root / "readme.txt").write_bytes(b"hello from the host\r\n")
    (root / "Long Name Here.text").write_bytes(b"long\r\n")
    sub = root / "sub" / "deeper"
    sub.mkdir(parents=True)
    (sub / "big.dat").write_bytes(os.urandom(150_000))
    os.utime(root / "readme.txt", (1_000_000_000, 1_000_000_000))   # 2001-09-09 01:46:40
    return root


@pytest.mark.parametrize("size,offset", [("1.44M", 0), ("20M", PART), ("64M", PART)])
def test_copied_in_tree_reads_back_with_mtools(tmp_path, xt, size, offset):
    src = tree(tmp_path / "src")
    image = tmp_path / "disk.img"
    xt("create", image, size, "--fat", "--format", "raw")
    before = free_bytes(image, offset)
    out, err = xt("cp", "-r", src, f"{image}:/")
    total = sum(p.stat().st_size for p in src.rglob("*") if p.is_file())
    assert f"copied 6 file(s), {total:,} bytes, 3 directories" in out
    assert "Long Name Here.text: not an 8.3 name; DOS sees it as /SRC/LONGNA~1.TEX" in err
    for rel in ("empty.txt", "one.txt", "CLUSTER.BIN", "readme.txt", "sub/deeper/big.dat",
                "Long Name Here.text"):
        assert mtype(image, f"::src/{rel}", offset) == (src / rel).read_bytes(), rel
    listing = mdir(image, "::src", offset)
    assert "README   TXT        21 2001-09-09   1:46" in listing.upper()
    assert "LONGNA~1 TEX         6" in listing and "Long Name Here.text" in listing
    fsck(image, tmp_path, offset=offset)
    with open_volume(image) as vol:
        assert vol.free_bytes == free_bytes(image, offset)
        used = before - vol.free_bytes
    c = vol.cluster_bytes
    data_clusters = sum(-(-p.stat().st_size // c) for p in src.rglob("*") if p.is_file())
    assert used == (data_clusters + 3) * c            # plus one cluster per directory


def test_what_mtools_writes_we_read(tmp_path, xt):
    image = tmp_path / "f.img"
    xt("create", image, "1.44M", "--fat", "--format", "raw")
    host = tmp_path / "A Long Name.document"
    host.write_bytes(os.urandom(5000))
    os.utime(host, (1_500_000_000, 1_500_000_000))
    mtools("mmd", image, "::Dir With Space")
    mtools("mcopy", image, "-m", str(host), "::Dir With Space/")
    out, _ = xt("ls", f"{image}:dir with space", "--json")
    entries = json.loads(out)["entries"]
    assert [(e["long-name"], e["size"]) for e in entries] == [("A Long Name.document", 5000)]
    assert entries[0]["modified"] == "2017-07-14T02:40:00"
    dest = tmp_path / "out"
    dest.mkdir()
    xt("cp", "-r", f"{image}:Dir With Space", dest)
    back = dest / "Dir With Space" / "A Long Name.document"
    assert back.read_bytes() == host.read_bytes()
    assert back.stat().st_mtime == 1_500_000_000


def test_rm_and_mkdir_leave_a_clean_volume(tmp_path, xt):
    src = tree(tmp_path / "src")
    image = tmp_path / "hd.img"
    xt("create", image, "20M", "--fat", "--format", "raw")
    empty = free_bytes(image, PART)
    xt("cp", "-r", src, f"{image}:")
    xt("mkdir", "-p", f"{image}:a/b/c", f"{image}:src/newdir")
    assert "c            <DIR>" in mdir(image, "::a/b", PART)
    out, _ = xt("rm", f"{image}:src/one.txt")
    assert "removed 1 file(s)" in out
    assert "ONE      TXT" not in mdir(image, "::src", PART)
    _, err = xt("rm", f"{image}:a", code=1)
    assert "is a directory that is not empty (use -r)" in err
    xt("rm", "-r", f"{image}:src", f"{image}:a")
    fsck(image, tmp_path, offset=PART)
    assert free_bytes(image, PART) == empty
    assert "src" not in mdir(image, "::", PART).lower().split("\n", 3)[-1]


def test_replacing_a_file_frees_its_old_clusters(tmp_path, xt):
    image = tmp_path / "f.img"
    xt("create", image, "720K", "--fat", "--format", "raw")
    f = tmp_path / "data.bin"
    f.write_bytes(os.urandom(100_000))
    xt("cp", f, f"{image}:data.bin")
    f.write_bytes(b"short")
    xt("cp", f, f"{image}:DATA.BIN")                  # any case names the same file
    assert mtype(image, "::data.bin") == b"short"
    assert mdir(image).count("data     bin") == 1
    fsck(image, tmp_path)


def test_directories_grow_and_the_root_fills(tmp_path, xt):
    image = tmp_path / "f.img"
    xt("create", image, "360K", "--fat", "--format", "raw")   # 1 KiB clusters, 112 root entries
    many = tmp_path / "many"
    many.mkdir()
    for i in range(100):
        (many / f"F{i:03d}.TXT").write_text(str(i))
    xt("cp", "-r", many, f"{image}:")
    assert mdir(image, "::many").count(" TXT ") == 100      # 102 entries: 4 clusters
    roots = tmp_path / "roots"
    roots.mkdir()
    for i in range(112):
        (roots / f"R{i:03d}").write_text("x")
    _, err = xt("cp", *sorted(roots.iterdir()), f"{image}:", code=1)
    assert "the root directory is full (112 entries); use a subdirectory" in err
    fsck(image, tmp_path)


def test_disk_full_is_refused_and_leaves_the_volume_clean(tmp_path, xt):
    image = tmp_path / "f.img"
    xt("create", image, "160K", "--fat", "--format", "raw")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(200_000))
    _, err = xt("cp", big, f"{image}:", code=1)
    assert "disk full (needs 391 clusters, 313 free)" in err
    assert "BIG" not in mdir(image)
    fsck(image, tmp_path)


def test_read_only_attribute_and_times_round_trip(tmp_path, xt):
    image = tmp_path / "f.img"
    xt("create", image, "1.2M", "--fat", "--format", "raw")
    f = tmp_path / "ro.txt"
    f.write_text("keep")
    os.utime(f, (1_234_567_890, 1_234_567_890))
    f.chmod(0o444)
    xt("cp", f, f"{image}:")
    out, _ = xt("ls", f"{image}:ro.txt")
    assert "-r--a           4  2009-02-13 23:31:30  RO.TXT" in out
    back = tmp_path / "back"
    back.mkdir()
    xt("cp", f"{image}:RO.TXT", back)
    assert (back / "ro.txt").stat().st_mtime == 1_234_567_890
    assert not (back / "ro.txt").stat().st_mode & 0o222


@needs_qemu_img
def test_qcow2_overlay_and_snapshot_keep_their_views(tmp_path, xt):
    base = tmp_path / "base.qcow2"
    xt("create", base, "32M", "--fat", "--label", "BASE")
    overlay = tmp_path / "top.qcow2"
    xt("create", overlay, "--backing", base)
    f = tmp_path / "new.txt"
    f.write_text("only in the overlay")
    xt("cp", f, f"{overlay}:")
    assert "NEW      TXT" not in mdir(raw_view(base, tmp_path), "::", PART)
    top = raw_view(overlay, tmp_path)
    assert mtype(top, "::new.txt", PART) == b"only in the overlay"
    fsck(overlay, tmp_path, offset=PART)
    xt("snapshot", overlay, "create", "one")
    xt("rm", f"{overlay}:new.txt")
    assert "NEW.TXT" not in xt("ls", overlay)[0]
    xt("snapshot", overlay, "apply", "one")
    assert "NEW.TXT" in xt("ls", overlay)[0]


def _two_partitions_and_a_logical(path: Path) -> None:
    """A disk as FDISK or Linux leaves one: FAT16 primary 1, a Linux partition, an extended
    partition holding one logical FAT12 drive; file systems made by mkfs.fat."""
    import struct

    from disks.fat.mbr import entry
    mib = 2048
    path.write_bytes(b"")
    os.truncate(path, 64 << 20)
    p1, p2, ext = (63, 20 * mib - 63), (20 * mib, 10 * mib), (30 * mib, 30 * mib)
    table = [entry(True, 0x06, *p1, 16, 63), entry(False, 0x83, *p2, 16, 63),
             entry(False, 0x05, *ext, 16, 63)]
    mbr = bytearray(512)
    for i, e in enumerate(table):
        mbr[0x1BE + 16 * i:0x1CE + 16 * i] = e
    mbr[510:] = b"\x55\xAA"
    ebr = bytearray(512)
    ebr[0x1BE:0x1CE] = entry(False, 0x01, 63, 8 * mib, 16, 63)
    ebr[510:] = b"\x55\xAA"
    with open(path, "r+b") as f:
        f.write(mbr)
        f.seek(ext[0] * 512)
        f.write(ebr)
    for start, count, bits in ((p1[0], p1[1], "16"), (ext[0] + 63, 8 * mib, "12")):
        subprocess.run(["mkfs.fat", "-F", bits, "--offset", str(start), str(path),
                        str(count // 2)], check=True, capture_output=True, env=ENV)
    assert struct.unpack_from("<I", mbr, 0x1C6)[0] == 63


def test_partition_choice_on_a_disk_partitioned_elsewhere(tmp_path, xt):
    image = tmp_path / "multi.img"
    _two_partitions_and_a_logical(image)
    logical = (30 * 2048 + 63) * 512
    f = tmp_path / "where.txt"
    f.write_text("logical")
    xt("cp", "--partition", "5", f, f"{image}:")
    assert mtype(image, "::where.txt", logical) == b"logical"
    fsck(image, tmp_path, offset=logical, length=8 << 20)
    f.write_text("first")
    xt("cp", f, f"{image}:")                              # default: the first FAT partition
    assert mtype(image, "::where.txt", PART) == b"first"
    out, _ = xt("ls", image, "--json")
    assert json.loads(out)["volume"] == "partition 1 (FAT16)"
    _, err = xt("ls", "--partition", "2", image, code=1)
    assert "partition 2 is type 83h, not FAT12/FAT16 (partitions: 1: FAT16, 2: type 83h, " \
           "3: type 05h, 5: FAT12)" in err
    _, err = xt("ls", "--partition", "7", image, code=1)
    assert "no partition 7" in err


def test_dos_1_floppy_without_bpb_is_read_by_its_size(tmp_path, xt):
    image = tmp_path / "dos1.img"
    xt("create", image, "160K", "--fat", "--format", "raw")
    f = tmp_path / "a.txt"
    f.write_text("old")
    xt("cp", f, f"{image}:")
    data = bytearray(image.read_bytes())
    data[3:0x3E] = bytes(0x3B)                           # DOS 1.1 wrote no BPB
    image.write_bytes(data)
    out, _ = xt("ls", image)
    assert "A.TXT" in out and "FAT12" in out


def test_bad_arguments_are_clear(tmp_path, xt):
    image = tmp_path / "f.img"
    xt("create", image, "1.44M", "--fat", "--format", "raw")
    assert "nosuch.img: no such image" in xt("ls", tmp_path / "nosuch.img:", code=1)[1]
    assert "one side must be IMAGE:PATH" in xt("cp", image, tmp_path / "x", code=1)[1]
    d = tmp_path / "d"
    d.mkdir()
    assert "is a directory (use -r)" in xt("cp", d, f"{image}:", code=1)[1]
    assert f"{image}:/nope: no such file or directory" in xt("ls", f"{image}:nope",
                                                               code=1)[1]
    assert "--partition only applies" in xt("ls", "--partition", "1", image, code=1)[1]
    assert "--label and --from need --fat" in xt("create", tmp_path / "n.img", "1M",
                                                 "--label", "X", code=1)[1]
    assert not (tmp_path / "n.img").exists()
    fsck(image, tmp_path)


def test_create_from_folder(tmp_path, xt):
    src = tree(tmp_path / "src")
    image = tmp_path / "c.qcow2"
    out, _ = xt("create", image, "10M", "--fat", "--label", "tools", "--from", src)
    assert "FAT12 partition" in out and "6 files from" in out
    listing = xt("ls", image)[0]
    assert "label TOOLS" in listing and "README.TXT" in listing and "SUB" in listing
    with open_volume(image) as vol:
        assert vol.read_file("sub/deeper/big.dat") == (src / "sub/deeper/big.dat").read_bytes()
