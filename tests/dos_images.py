"""Where the tests find real DOS: images that are not ours to ship.

XTBOX_DOS_FLOPPY / XTBOX_DOS_HDD take precedence; otherwise the FreeDOS boot floppies in
../shared/dos beside the checkout (CI has that folder, see its README) are used, so CI boots
real DOS on every run. Tests that need an image skip only when neither exists. Always work
on a copy (``copy_floppy``): DOS writes to its boot disk, and shared/ is read-only in CI.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DOS = ROOT.parent / "shared" / "dos"


def dos_floppy() -> Path | None:
    """A bootable DOS floppy image, or None."""
    env = os.environ.get("XTBOX_DOS_FLOPPY")
    if env:
        return Path(env)
    shared = SHARED_DOS / "freedos-boot-1440k.img"
    return shared if shared.is_file() else None


def dos_hdd() -> Path | None:
    """A hard-disk image with a bootable DOS partition (only from XTBOX_DOS_HDD), or None."""
    env = os.environ.get("XTBOX_DOS_HDD")
    return Path(env) if env else None


needs_dos_floppy = pytest.mark.skipif(
    dos_floppy() is None,
    reason="no DOS floppy: set XTBOX_DOS_FLOPPY or provide ../shared/dos")
needs_dos_hdd = pytest.mark.skipif(
    dos_hdd() is None, reason="set XTBOX_DOS_HDD to a hard-disk image with DOS")


def copy_floppy(folder: Path, name: str = "dos.img") -> Path:
    """A writable copy of the DOS floppy in ``folder``."""
    source = dos_floppy()
    assert source is not None
    target = folder / name
    shutil.copyfile(source, target)
    target.chmod(0o644)
    return target
