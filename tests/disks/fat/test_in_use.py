"""A disk that a running VM holds: `disk ls/info/map`, copying out and the disk manager read
it without its lock (what the guest has written so far) and name the VM; writing to it is
refused with the reason. The VM is a real VM process (`xtbox vm start`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.tui.conftest import home  # noqa: F401 (the fixture: a private XTBOX_HOME)

ROOT = Path(__file__).resolve().parents[3]


def xtbox(*args, code: int = 0) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "tui.cli", *map(str, args)], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == code, f"xtbox {args} -> {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def test_running_vm_disk_is_read_shared_and_write_refused(home, tmp_path):  # noqa: F811
    src = tmp_path / "src"
    src.mkdir()
    (src / "there.txt").write_text("before the VM")
    disk = tmp_path / "c.qcow2"
    xtbox("disk", "create", disk, "20M", "--fat", "--from", src)
    xtbox("vm", "create", "holder", "--hda", disk)
    xtbox("vm", "start", "holder", "--headless")
    try:
        xtbox("vm", "expect", "holder", "no operating system")    # booted our empty volume
        r = xtbox("disk", "ls", disk)
        assert "THERE.TXT" in r.stdout and "(in use by a running VM)" in r.stdout
        assert "in use by VM 'holder' (running)" in r.stderr
        info = json.loads(xtbox("disk", "info", disk, "--json").stdout)
        assert info["in-use"] is True and info["in-use-by"] == "VM 'holder' (running)"
        assert "in use: by VM 'holder' (running)" in xtbox("disk", "info", disk).stdout
        assert "VM 'holder'" in xtbox("disk", "map", disk).stderr
        out = tmp_path / "out"
        out.mkdir()
        xtbox("disk", "cp", f"{disk}:there.txt", out)
        assert (out / "there.txt").read_text() == "before the VM"
        new = tmp_path / "new.txt"
        new.write_text("x")
        r = xtbox("disk", "cp", new, f"{disk}:", code=1)
        assert "in use by VM 'holder' (running); it is locked while the VM runs" in r.stderr
        xtbox("disk", "rm", f"{disk}:there.txt", code=1)
        from tui.control.inventory import list_disks
        entry = next(d for d in list_disks() if d["path"] == str(disk.resolve()))
        assert entry["in_use"] and entry["virtual_size"] == 20 << 20
        assert entry["error"] is None
        from tui.screens.disks import _users
        assert _users(entry) == "holder (in use)"
    finally:
        xtbox("vm", "stop", "holder")
    assert "(in use" not in xtbox("disk", "ls", disk).stdout
    xtbox("disk", "cp", new, f"{disk}:")                              # free again
