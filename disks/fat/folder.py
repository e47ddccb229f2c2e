"""A host folder as a DOS hard disk (``folder:PATH`` drives), the counterpart of QEMU's
``fat:`` drives and DOSBox's MOUNT, built so that the host folder is never written.

When the VM starts, the folder's contents are copied into a new FAT16 disk (``BASE``, raw and
read-only, beside the VM), and the VM runs on a qcow2 overlay on it (``OVERLAY``), which takes
everything the guest writes. So:
- the guest sees the folder as it was at start; later host changes appear at the next start;
- what the guest writes stays in the overlay, readable with `xtbox disk ls/cp` (also while the
  VM runs), never in the host folder;
- the next start builds the disk afresh; an overlay the guest wrote to is first moved, with
  its base, into ``OVERLAY.previous/`` (replacing an older one), so one run's writes survive.
The disk is as large as the folder needs plus room to write (at least 32 MiB, at most the
504 MiB our BIOS reaches).
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

from disks.errors import DiskError
from disks.fat.image import create_fat_image, open_volume
from disks.fat.mkfs import check_label
from disks.fat.transfer import Report, fill
from disks.images import create_image

PREFIX = "folder:"
MIB = 1 << 20
MIN_SIZE = 32 * MIB
MAX_SIZE = 1024 * 16 * 63 * 512            # what the BIOS's CHS geometry reaches: 504 MiB


def folder_spec(value: str | None) -> Path | None:
    """The host folder of a ``folder:PATH`` drive value, else None."""
    if value and value.startswith(PREFIX):
        return Path(value[len(PREFIX):]).expanduser()
    return None


def disk_size(folder: Path) -> int:
    """Room for the folder's files (in 8 KiB clusters, the largest we use below 504 MiB),
    one cluster per directory, and as much again plus 16 MiB for the guest to write."""
    need = 0
    for root, dirs, files in os.walk(folder):
        need += 8192 * (len(dirs) + 1)
        for name in files:
            try:
                need += -(-os.stat(os.path.join(root, name)).st_size // 8192) * 8192
            except OSError:
                pass
    size = max(MIN_SIZE, -(-(2 * need + 16 * MIB) // MIB) * MIB)
    if need > MAX_SIZE * 0.95:
        raise DiskError(f"folder {folder} holds {need / MIB:.0f} MiB, more than a drive can "
                        f"show (504 MiB); use a smaller folder or `xtbox disk create --fat`")
    return min(size, MAX_SIZE)


def label_for(folder: Path) -> str | None:
    text = "".join(ch for ch in folder.name.upper() if ch.isalnum() or ch in "_-")[:11]
    try:
        return check_label(text) if text else None
    except DiskError:
        return None


def _guest_wrote(overlay: Path) -> bool:
    from disks.ops import allocation_map
    try:
        return any(r["data"] and r.get("depth") == 0 for r in allocation_map(str(overlay)))
    except DiskError:
        return True                         # damaged: keep it for the user to look at


def build_folder_disk(folder: Path, overlay: Path) -> Report:
    """Build ``overlay`` (and its base beside it) from ``folder``; see the module docstring."""
    folder = Path(folder)
    overlay = Path(overlay)
    if not folder.is_dir():
        raise DiskError(f"{folder}: no such folder")
    base = overlay.with_name(overlay.stem + "-base.img")
    if overlay.exists():
        if _guest_wrote(overlay):
            keep = overlay.with_name(overlay.name + ".previous")
            shutil.rmtree(keep, ignore_errors=True)
            keep.mkdir()
            for f in (overlay, base):
                if f.exists():
                    os.replace(f, keep / f.name)    # same names: the backing link holds
        else:
            overlay.unlink()
    if base.exists():
        base.chmod(stat.S_IRUSR | stat.S_IWUSR)
        base.unlink()
    tmp = base.with_name(base.name + ".building")
    if tmp.exists():
        tmp.unlink()
    create_fat_image(tmp, disk_size(folder), fmt="raw", label=label_for(folder))
    report = Report()
    try:
        with open_volume(tmp, readonly=False) as vol:
            fill(vol, folder, report)
    except BaseException:
        tmp.unlink()
        raise
    tmp.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    os.replace(tmp, base)
    create_image(overlay, backing=base.name)
    return report


def attach_folder(folder: Path, overlay: Path, where: str,
                  warn: Callable[[str], None]) -> str:
    """Build a folder drive for a VM about to start: the overlay's path, or a DiskError that
    names the drive (``where``); ``warn`` hears of each host entry left out."""
    try:
        report = build_folder_disk(folder, overlay)
    except (DiskError, OSError) as exc:
        raise DiskError(f"{where}: {exc}") from None
    for host, why in report.skipped:
        warn(f"xtbox: {where}: {host}: skipped: {why}")
    return str(overlay)
