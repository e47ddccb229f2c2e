"""The one backing-file rule (disks/backing.py) on overlays made by qemu-img, the ordinary
way: absolute and relative backing paths, in the overlay's folder and outside it, through
open_image, `xtbox disk info --chain`, `xtbox disk check` and a VM start."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from disks import BackingFileError, open_image

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("qemu-img") is None, reason="qemu-img not installed")


def qemu_overlay(overlay: Path, backing: str) -> Path:
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2",
                    str(overlay)], check=True)
    return overlay


def xtbox(*args: str, home: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, XTBOX_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def base(tmp_path) -> Path:
    path = tmp_path / "vm" / "base.qcow2"
    path.parent.mkdir()
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), "1M"], check=True)
    subprocess.run(["qemu-io", "-c", "write -P 0x5a 0 64k", str(path)], check=True,
                   capture_output=True)
    return path


@pytest.mark.parametrize("form", ["absolute", "relative", "dot-relative", "symlinked-folder"])
def test_backing_inside_the_folder_opens_however_it_is_written(tmp_path, base, form):
    folder = base.parent
    if form == "symlinked-folder":
        link = tmp_path / "link"
        link.symlink_to(folder)
        overlay = qemu_overlay(folder / "overlay.qcow2", str(link / "base.qcow2"))
    else:
        name = {"absolute": str(base), "relative": "base.qcow2",
                "dot-relative": "./base.qcow2"}[form]
        overlay = qemu_overlay(folder / "overlay.qcow2", name)
    with open_image(overlay, readonly=True) as img:
        assert img.read(0, 4) == b"\x5a" * 4
    r = xtbox("disk", "info", str(overlay), "--chain", home=tmp_path / "home")
    assert r.returncode == 0, r.stderr
    assert "base.qcow2" in r.stdout
    r = xtbox("disk", "check", str(overlay), home=tmp_path / "home")
    assert r.returncode == 0 and "warning" not in r.stdout, r.stdout + r.stderr


def test_backing_in_a_subfolder_opens(tmp_path, base):
    sub = base.parent / "bases"
    sub.mkdir()
    moved = sub / "base.qcow2"
    base.rename(moved)
    overlay = qemu_overlay(base.parent / "overlay.qcow2", str(moved))
    with open_image(overlay, readonly=True) as img:
        assert img.read(0, 1) == b"\x5a"


@pytest.mark.parametrize("form", ["absolute", "relative", "symlink-out"])
def test_backing_outside_the_folder_is_refused_naming_the_resolved_path(tmp_path, base, form):
    other = tmp_path / "other"
    other.mkdir()
    if form == "symlink-out":                    # a link inside pointing outside
        (other / "base.qcow2").symlink_to(base)
        (other / "trap").mkdir()
        overlay_folder = other / "trap"
        (overlay_folder / "base.qcow2").symlink_to(base)
        overlay = qemu_overlay(overlay_folder / "overlay.qcow2", "base.qcow2")
    else:
        name = str(base) if form == "absolute" else "../vm/base.qcow2"
        overlay = qemu_overlay(other / "overlay.qcow2", name)
    with pytest.raises(BackingFileError) as err:
        open_image(overlay, readonly=True)
    assert str(base.resolve()) in str(err.value)
    assert "--allow-outside-backing" in str(err.value)
    with open_image(overlay, readonly=True, allow_outside_backing=True) as img:
        assert img.read(0, 1) == b"\x5a"
    home = tmp_path / "home"
    r = xtbox("disk", "info", str(overlay), "--chain", home=home)
    assert r.returncode != 0 and str(base.resolve()) in r.stderr, r.stdout + r.stderr
    r = xtbox("disk", "info", str(overlay), "--chain", "--allow-outside-backing", home=home)
    assert r.returncode == 0, r.stderr
    r = xtbox("disk", "check", str(overlay), home=home)
    assert "warning" in r.stdout and str(base.resolve()) in r.stdout, r.stdout + r.stderr


def test_vm_starts_on_a_qemu_img_overlay_with_an_absolute_backing_path(tmp_path):
    """qemu-img's ordinary overlay, as a VM's hard disk: the VM boots the demo floppy with it
    attached (C: opened through the chain) and answers."""
    home = tmp_path / "home"
    folder = tmp_path / "disks"
    folder.mkdir()
    base = folder / "base.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(base), "10M"], check=True)
    overlay = qemu_overlay(folder / "c.qcow2", str(base))
    r = xtbox("vm", "create", "q", "--demo", "--hda", str(overlay), home=home)
    assert r.returncode == 0, r.stderr
    r = xtbox("vm", "start", "q", "--headless", home=home)
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        r = xtbox("vm", "expect", "q", "xtbox>", "--timeout", "30", home=home)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        xtbox("vm", "stop", "q", home=home)


def test_xtbox_own_overlays_open_without_flags(tmp_path):
    """Demo VMs and linked clones point at bases in xtbox's data folder, outside the VM's
    folder: the data folder is trusted, so `disk info --chain` needs no extra flag."""
    home = tmp_path / "home"
    assert xtbox("vm", "create", "demo", "--demo", home=home).returncode == 0
    assert xtbox("vm", "clone", "demo", "copy", "--linked", home=home).returncode == 0
    disks = sorted((home / "vms").rglob("*.qcow2"))
    assert len(disks) >= 2
    for disk in disks:
        r = xtbox("disk", "info", str(disk), "--chain", home=home)
        assert r.returncode == 0, r.stderr
        r = xtbox("disk", "check", str(disk), home=home)
        assert "warning" not in r.stdout, r.stdout
