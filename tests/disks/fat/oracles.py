"""mtools and dosfstools' fsck.fat as the oracles our FAT code is checked against (Debian's
mtools and dosfstools; CI installs both). Images are handed to them raw: a qcow2 image's guest
view is converted with qemu-img first, and a partition is cut out for fsck.fat (it has no
offset option)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

needs_mtools = pytest.mark.skipif(shutil.which("mcopy") is None, reason="mtools not installed")
needs_fsck = pytest.mark.skipif(shutil.which("fsck.fat") is None,
                                reason="dosfstools not installed")
needs_qemu_img = pytest.mark.skipif(shutil.which("qemu-img") is None,
                                    reason="qemu-img not installed")
ENV = {**os.environ, "MTOOLS_SKIP_CHECK": "1", "MTOOLS_NO_VFAT": "0", "TZ": "UTC"}


def spec(image: Path, offset: int = 0) -> str:
    return f"{image}@@{offset}" if offset else str(image)


def mtools(tool: str, image: Path, *args: str, offset: int = 0,
           check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([tool, "-i", spec(image, offset), *args], capture_output=True,
                       env=ENV, check=False)
    if check and r.returncode:
        raise AssertionError(f"{tool} {args}: {r.returncode}\n{r.stdout!r}\n{r.stderr!r}")
    return r


def mdir(image: Path, path: str = "::", offset: int = 0) -> str:
    return mtools("mdir", image, "-a", path, offset=offset).stdout.decode("cp437")


def mtype(image: Path, path: str, offset: int = 0) -> bytes:
    return mtools("mtype", image, path, offset=offset).stdout


def free_bytes(image: Path, offset: int = 0) -> int:
    """The free space mtools reports (mdir's last line: "N bytes free")."""
    line = mdir(image, offset=offset).strip().splitlines()[-1]
    return int(line.split("bytes free")[0].replace(" ", ""))


def raw_view(image: Path, folder: Path) -> Path:
    """A raw file with the guest's view of ``image`` (itself if it is raw)."""
    with open(image, "rb") as f:
        if f.read(4) != b"QFI\xfb":
            return image
    out = folder / (image.name + ".raw")
    subprocess.run(["qemu-img", "convert", "-U", "-O", "raw", str(image), str(out)],
                   check=True, capture_output=True)
    return out


def fsck(image: Path, folder: Path, offset: int = 0, length: int | None = None) -> str:
    """fsck.fat -n (check only) on the volume at ``offset``; fails the test on any error."""
    source = raw_view(image, folder)
    target = source
    if offset or length:
        target = folder / f"{image.name}.part"
        end = offset + length if length else source.stat().st_size
        with open(source, "rb") as src, open(target, "wb") as dst:
            for pos in range(offset, end, 1 << 20):         # sparse: zero runs skipped
                src.seek(pos)
                chunk = src.read(min(1 << 20, end - pos))
                if chunk.count(0) != len(chunk):
                    dst.seek(pos - offset)
                    dst.write(chunk)
            dst.truncate(end - offset)
    r = subprocess.run(["fsck.fat", "-n", "-v", str(target)], capture_output=True, text=True)
    assert r.returncode == 0, f"fsck.fat found errors:\n{r.stdout}\n{r.stderr}"
    return r.stdout
