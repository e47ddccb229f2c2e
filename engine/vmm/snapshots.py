"""A VM snapshot: one internal qcow2 snapshot of the same name on every disk, all or none.

One implementation for both callers: the running VM (engine/vmm/process.py: paused, disks
flushed) and the powered-off VM's disks opened directly (tui/control/snapshots.py). Every
image is checked before any is changed, so a name missing on one disk or already taken on
another changes nothing; the change itself runs under the VM folder's intent record
(engine/vmm/snapshot_intent.py), which finishes a failure or a kill half-way: a take is
rolled back, a delete or restore completed on every disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from disks import DiskError
from engine.errors import ConfigError
from engine.vmm import snapshot_intent

ACTIONS = ("take", "restore", "delete")


class SnapshotError(ConfigError):
    """A snapshot action refused or failed; the message names the disk and the snapshot."""


def raw_refusal(label: str, path: str) -> SnapshotError:
    return SnapshotError(f"drive {label} ({path}) is a raw image and raw images cannot hold "
                         f"snapshots; convert it with `xtbox disk convert {path} NEW.qcow2` "
                         "and attach the qcow2 copy")


def check(images: Sequence[Any], action: str, name: str) -> None:
    """Refuse before anything changes: an empty name, a name already taken (take) or
    missing (restore, delete) on any image."""
    if action not in ACTIONS:
        raise SnapshotError(f"snapshot action {action!r}: expected one of {', '.join(ACTIONS)}")
    if not isinstance(name, str) or not name.strip():
        raise SnapshotError("a snapshot needs a name")
    if not images:
        raise SnapshotError("this VM has no disk to snapshot")
    for img in images:
        exists = any(s.name == name for s in img.snapshots)
        if action == "take" and exists:
            raise SnapshotError(f"{img.path}: a snapshot named {name!r} already exists")
        if action != "take" and not exists:
            names = ", ".join(s.name for s in img.snapshots) or "none"
            raise SnapshotError(f"{img.path}: no snapshot named {name!r} (snapshots: {names})")


def apply_all(folder: Path, images: Sequence[Any], action: str, name: str) -> None:
    """``action`` (take, restore or delete) snapshot ``name`` on every image, each flushed
    before the next is touched, all or none across the VM in ``folder``."""
    from disks.qcow2 import snapshot as qs
    check(images, action, name)
    step = {"take": qs.create_snapshot, "restore": qs.apply_snapshot,
            "delete": qs.delete_snapshot}[action]
    try:
        with snapshot_intent.intent(folder, action, name, list(images)):
            for img in images:
                step(img, name)
                img.flush()
    except (DiskError, ConfigError, OSError) as exc:
        outcome = "no disk keeps it" if action == "take" else "finished on every disk it could"
        raise SnapshotError(f"snapshot {action} {name!r}: {exc} ({outcome})") from None
