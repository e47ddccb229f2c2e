"""VM snapshots: one internal qcow2 snapshot of the same name on every disk of the VM.

A running VM takes and deletes them itself (paused, disks flushed); a powered-off VM's
disks are changed here directly; both through engine/vmm/snapshots.py (all or none).
Restore needs the VM powered off: rolling disks back under a running guest would corrupt
its file systems.
"""

from __future__ import annotations

import time

from disks import DiskError, open_image
from engine.errors import ConfigError
from engine.vmm import runstate, snapshot_intent
from engine.vmm.profile import DRIVE_LETTERS, Profile
from engine.vmm.snapshots import SnapshotError, apply_all, raw_refusal
from tui.control.runtime import command
from tui.control.vms import VMError, load, require_stopped


def _open_all(profile: Profile, *, readonly: bool) -> list:
    try:
        snapshot_intent.recover(profile.folder)   # a kill's half-done snapshot, finished
    except ConfigError as exc:
        raise VMError(str(exc)) from None
    images = []
    try:
        for drive, path in profile.disk_paths().items():
            try:
                img = open_image(str(path), readonly=readonly, allow_outside_backing=True)
            except DiskError as exc:
                raise VMError(str(exc)) from None
            images.append(img)
            if img.format != "qcow2":
                raise VMError(str(raw_refusal(DRIVE_LETTERS[drive], str(path))))
        if not images:
            raise VMError(f"VM {profile.name!r} has no disk to snapshot")
    except BaseException:
        for img in images:
            img.close()
        raise
    return images


def _as_dicts(snaps) -> list[dict]:
    return [{"name": s.name, "id": s.id, "date": s.date_sec,
             "time": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(s.date_sec))}
            for s in snaps]


def offline_list(profile: Profile) -> list[dict]:
    images = _open_all(profile, readonly=True)
    try:
        return _as_dicts(images[0].snapshots)
    finally:
        for img in images:
            img.close()


def _running(profile: Profile) -> bool:
    runstate.clean_stale(profile.folder)
    return runstate.running_pid(profile.folder) is not None


def list_snapshots(name: str) -> list[dict]:
    profile = load(name)
    if _running(profile):
        snaps = command(name, "snapshot", action="list")["snapshots"]
        for s in snaps:
            s["time"] = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(s["date"]))
        return snaps
    return offline_list(profile)


def take_snapshot(name: str, snap: str) -> None:
    profile = load(name)
    if not snap or not snap.strip():
        raise VMError("a snapshot needs a name")
    if _running(profile):
        command(name, "snapshot", action="take", name=snap)
        return
    _offline(profile, "take", snap)


def delete_snapshot(name: str, snap: str) -> None:
    profile = load(name)
    if _running(profile):
        command(name, "snapshot", action="delete", name=snap)
        return
    _offline(profile, "delete", snap)


def restore_snapshot(name: str, snap: str) -> None:
    profile = load(name)
    require_stopped(profile, "restoring a snapshot (restore needs the VM powered off)")
    _offline(profile, "restore", snap)


def _offline(profile: Profile, action: str, snap: str) -> None:
    images = _open_all(profile, readonly=False)
    try:
        apply_all(profile.folder, images, action, snap)
    except SnapshotError as exc:
        raise VMError(str(exc)) from None
    finally:
        for img in images:
            img.close()
