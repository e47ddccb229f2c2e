"""Real DOS and our FAT code, both ways: FreeDOS (tests/dos_images.py) boots from A: with a
hard disk made by `xtbox disk create --fat --from` in C:, reads the files we put there, and
writes files and a directory that `xtbox disk cp/ls` then read on the host; fsck.fat finds
the volume clean afterwards. No FDISK, no FORMAT."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.disks.fat.oracles import fsck, needs_fsck
from tests.dos_images import copy_floppy, needs_dos_floppy

ROOT = Path(__file__).resolve().parents[3]
PART = 63 * 512


def xtbox(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "tui.cli", *map(str, args)], cwd=ROOT,
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode in (0, 1) or "run" in args, r.stderr
    return r


@pytest.mark.slow
@needs_dos_floppy
@needs_fsck
def test_dos_reads_what_we_copy_in_and_we_read_what_dos_writes(tmp_path):
    src = tmp_path / "src"
    (src / "docs").mkdir(parents=True)
    (src / "hello.txt").write_bytes(b"greetings-from-the-host\r\n")
    (src / "docs" / "inner.txt").write_bytes(b"inner-file-line\r\n")
    disk = tmp_path / "c.qcow2"
    r = xtbox("disk", "create", disk, "40M", "--fat", "--label", "HOSTDISK", "--from", src)
    assert r.returncode == 0, r.stderr
    floppy = copy_floppy(tmp_path)
    dump = tmp_path / "screen.txt"
    commands = (r"echo written-by-dos> c:\out.txt\n" r"md c:\dosdir\n"
                r"echo nested> c:\dosdir\made.txt\n" r"cls\n"
                r"type c:\hello.txt\n" r"type c:\docs\inner.txt\n" r"dir c:\n")
    r = subprocess.run([sys.executable, "-m", "tui.cli", "run", "--fda", str(floppy),
                        "--hda", str(disk), "--boot", "a", "--type", commands,
                        "--type-after", "10", "--max-seconds", "30", "--screen-dump",
                        str(dump)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    screen = dump.read_text()
    assert "greetings-from-the-host" in screen and "inner-file-line" in screen, screen
    assert "Volume in drive C is HOSTDISK" in screen         # DIR shows our label
    out = tmp_path / "out"
    out.mkdir()
    r = xtbox("disk", "cp", "-r", f"{disk}:out.txt", f"{disk}:dosdir", out)
    assert r.returncode == 0, r.stderr
    assert (out / "OUT.TXT").read_bytes() == b"written-by-dos\r\n"
    assert (out / "DOSDIR" / "MADE.TXT").read_bytes() == b"nested\r\n"
    listing = xtbox("disk", "ls", disk).stdout
    assert "OUT.TXT" in listing and "DOSDIR" in listing and "HELLO.TXT" in listing
    free = listing.split(" bytes free")[0].rsplit(" ", 1)[-1]
    assert f"{free} bytes free" in screen                 # DOS and we count alike
    fsck(disk, tmp_path, offset=PART)
