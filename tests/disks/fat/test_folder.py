"""Host folders as DOS disks (folder:PATH drives): built at VM start from the folder, which is
never written; the guest writes to an overlay kept with the VM; a rebuild keeps the last run's
writes aside. Checked with fsck.fat and mtools, and with FreeDOS in a real VM process."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from disks.fat.folder import build_folder_disk, disk_size
from disks.fat.image import open_volume
from engine.vmm.profile import Profile, ProfileError
from tests.disks.fat.oracles import fsck, mtype, needs_fsck, needs_mtools, raw_view
from tests.dos_images import copy_floppy, needs_dos_floppy
from tests.tui.conftest import home  # noqa: F401 (the fixture: a private XTBOX_HOME)

ROOT = Path(__file__).resolve().parents[3]
PART = 63 * 512


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_mode,
                                         p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def host_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "shared"
    (folder / "src").mkdir(parents=True)
    (folder / "hello.txt").write_bytes(b"from the host\r\n")
    (folder / "src" / "main.c").write_bytes(b"int main(void) { return 0; }\r\n")
    (folder / "Same.txt").write_text("first")
    (folder / "SAME.TXT").write_text("second")              # DOS cannot tell them apart
    os.utime(folder / "hello.txt", (1_600_000_000, 1_600_000_000))
    return folder


@needs_fsck
@needs_mtools
def test_folder_disk_is_built_and_the_folder_is_never_written(tmp_path):
    folder = host_folder(tmp_path)
    before = snapshot(folder)
    vm = tmp_path / "vm"
    vm.mkdir()
    overlay = vm / "folder-hda.qcow2"
    report = build_folder_disk(folder, overlay)
    assert [Path(h).name for h, _ in report.skipped] == ["Same.txt"]   # sorted: SAME first
    base = vm / "folder-hda-base.img"
    assert not base.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    with open_volume(overlay, readonly=False) as vol:
        assert vol.label == "SHARED" and vol.bpb.fat_bits == 16
        assert vol.lookup("hello.txt").modified.timestamp() == 1_600_000_000
        hello = vol.lookup("")
        vol.write_file(hello, "guest.txt", b"written by the guest", 20)
    view = raw_view(overlay, tmp_path)
    assert mtype(view, "::src/main.c", PART) == (folder / "src" / "main.c").read_bytes()
    assert mtype(view, "::guest.txt", PART) == b"written by the guest"
    fsck(overlay, tmp_path, offset=PART)
    assert snapshot(folder) == before                         # not one byte, not one time
    assert "GUEST" not in str(os.listdir(folder)).upper()

    (folder / "later.txt").write_text("added on the host")      # seen at the next start
    build_folder_disk(folder, overlay)
    with open_volume(overlay) as vol:
        assert vol.read_file("later.txt") == b"added on the host"
        assert vol.find(0, "guest.txt") is None
    kept = vm / "folder-hda.qcow2.previous" / "folder-hda.qcow2"
    with open_volume(kept) as vol:                            # last run's writes, kept
        assert vol.read_file("guest.txt") == b"written by the guest"
    build_folder_disk(folder, overlay)                        # nothing written: no copy
    with open_volume(kept) as vol:
        assert vol.read_file("guest.txt") == b"written by the guest"


def test_folder_disk_size_and_clear_errors(tmp_path):
    from disks import DiskError
    empty = tmp_path / "empty"
    empty.mkdir()
    assert disk_size(empty) == 32 << 20
    with pytest.raises(DiskError, match="no such folder"):
        build_folder_disk(tmp_path / "missing", tmp_path / "o.qcow2")
    big = tmp_path / "big"
    big.mkdir()
    with open(big / "huge.bin", "wb") as f:
        f.truncate(600 << 20)                                 # sparse: no real space used
    with pytest.raises(DiskError, match="more than a drive can show"):
        disk_size(big)


def test_profile_takes_folder_drives_for_hard_disks_only(tmp_path):
    p = Profile(name="f", folder=tmp_path, drives={"fda": None, "fdb": None,
                                                   "hda": "folder:share", "hdb": None})
    p.validate()
    assert p.folder_drives() == {"hda": tmp_path / "share"}
    assert p.disk_paths() == {} and p.folder_disk("hda") == tmp_path / "folder-hda.qcow2"
    p.drives["fda"] = "folder:share"
    with pytest.raises(ProfileError, match="folder: drives are hard disks"):
        p.validate()


def xtbox(*args, code: int = 0) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "tui.cli", *map(str, args)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == code, f"xtbox {args} -> {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def test_run_refuses_a_folder_floppy(tmp_path):
    r = xtbox("run", "--fda", f"folder:{tmp_path}", "--max-seconds", "1", code=2)
    assert "a folder can be a hard disk (--hda, --hdb) only" in r.stderr


@pytest.mark.slow
@needs_dos_floppy
def test_dos_in_a_vm_sees_the_folder_and_writes_to_the_overlay(home, tmp_path):  # noqa: F811
    folder = host_folder(tmp_path)
    before = snapshot(folder)
    floppy = copy_floppy(tmp_path)
    xtbox("vm", "create", "share", "--fda", floppy, "--hda", f"folder:{folder}")
    xtbox("vm", "start", "share", "--headless")
    try:
        xtbox("vm", "expect", "share", "A:\\>")
        xtbox("vm", "type", "share", r"type c:\hello.txt\necho from-dos> c:\dos.txt\n")
        xtbox("vm", "expect", "share", "from the host")
        overlay = home / "vms" / "share" / "folder-hda.qcow2"
        xtbox("vm", "type", "share", r"dir c:\n")
        xtbox("vm", "expect", "share", "DOS      TXT")
        listing = xtbox("disk", "ls", overlay).stdout             # while it runs: shared
        assert "DOS.TXT" in listing and "in use" in listing
    finally:
        xtbox("vm", "stop", "share")
    out = tmp_path / "out"
    out.mkdir()
    xtbox("disk", "cp", f"{overlay}:dos.txt", out)
    assert (out / "DOS.TXT").read_bytes() == b"from-dos\r\n"
    assert snapshot(folder) == before
    listed = json.loads(xtbox("vm", "list", "--json").stdout)
    assert listed[0]["disks"] == {"fda": str(floppy.resolve()), "hda": f"folder:{folder}"}
