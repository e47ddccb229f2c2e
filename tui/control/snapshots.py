"""VM snapshots: one internal qcow2 snapshot of the same name on every disk of the VM.

A running VM takes and deletes them itself (paused, disks flushed, all or none); a powered-
off VM's disks are changed here directly, also all or none. Restore needs the VM powered
off: rolling disks back under a running guest would corrupt its file systems.
"""

from __future__ import annotations

import time

from disks import DiskError, open_image
from engine.errors import ConfigError
from engine.vmm import runstate, snapshot_intent
from engine.vmm.profile import DRIVE_LETTERS, Profile
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
                raise VMError(f"drive {DRIVE_LETTERS[drive]} ({path}) is a raw image and raw "
                              "images cannot hold snapshots; convert it with `xtbox disk "
                              f"convert {path} NEW.qcow2` and attach the qcow2 copy")
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
    from disks.qcow2 import snapshot as qs
    images = _open_all(profile, readonly=False)
    try:
        for img in images:
            exists = any(s.name == snap for s in img.snapshots)
            if action == "take" and exists:
                raise VMError(f"{img.path}: a snapshot named {snap!r} already exists")
            if action != "take" and not exists:
                names = ", ".join(s.name for s in img.snapshots) or "none"
                raise VMError(f"{img.path}: no snapshot named {snap!r} (snapshots: {names})")
        try:
            # all or none, even across a kill (snapshot_intent)
            with snapshot_intent.intent(profile.folder, action, snap, images):
                for img in images:
                    if action == "take":
                        qs.create_snapshot(img, snap)
                    elif action == "restore":
                        qs.apply_snapshot(img, snap)
                    else:
                        qs.delete_snapshot(img, snap)
                    img.flush()
        except (DiskError, ConfigError) as exc:
            raise VMError(f"snapshot {action} {snap!r}: {exc}") from None
    finally:
        for img in images:
            img.close()
