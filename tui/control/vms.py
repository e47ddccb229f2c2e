"""VM profiles as the manager sees them: list, create, modify, clone, delete.

Every function takes VM *names* and raises VMError (a ConfigError: a message for the user,
never a traceback) when it cannot do what was asked. Changes to a VM's configuration need it
powered off, as in VirtualBox; only its notes may change while it runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from disks import DiskError, create_image, open_image, probe
from engine.errors import ConfigError
from engine.vmm import home, runstate
from engine.vmm.profile import DRIVES, PROFILE_NAME, Profile, ProfileError, check_name


class VMError(ConfigError):
    """A manager operation that cannot be done; the message says why and what to do."""


@dataclass
class VMInfo:
    name: str
    folder: Path
    state: str                      # poweroff | saved | running | paused | crashed | invalid
    reason: str | None = None
    pid: int | None = None
    profile: Profile | None = None
    snapshots: int = 0
    temporary: bool = False
    disks: dict[str, str] = field(default_factory=dict)

    @property
    def uuid(self) -> str | None:
        return self.profile.uuid if self.profile else None

    @property
    def memory_kib(self) -> int | None:
        return self.profile.memory_kib if self.profile else None

    @property
    def display(self) -> str | None:
        return self.profile.display if self.profile else None

    @property
    def running(self) -> bool:
        return self.state in ("running", "paused", "stopping")


def folder_of(name: str) -> Path:
    return home.vms_dir() / name


def load(name: str) -> Profile:
    folder = folder_of(name)
    if not (folder / PROFILE_NAME).is_file():
        names = ", ".join(sorted(p.name for p in _folders())) or "none yet"
        raise VMError(f"no VM named {name!r} (VMs: {names})")
    return Profile.load(folder)


def _folders() -> list[Path]:
    return [p for p in sorted(home.vms_dir().iterdir()) if (p / PROFILE_NAME).is_file()]


def require_stopped(profile: Profile, doing: str) -> None:
    runstate.clean_stale(profile.folder)
    pid = runstate.running_pid(profile.folder)
    if pid is not None:
        raise VMError(f"VM {profile.name!r} is running (pid {pid}); stop it before {doing}")


# ---- state ---------------------------------------------------------------------------------
def vm_info(name: str) -> VMInfo:
    folder = folder_of(name)
    try:
        profile = load(name)
    except ProfileError as exc:
        return VMInfo(name=name, folder=folder, state="invalid", reason=str(exc))
    return _info(profile)


def list_vms() -> list[VMInfo]:
    out = []
    for folder in _folders():
        try:
            out.append(_info(Profile.load(folder)))
        except ProfileError as exc:
            out.append(VMInfo(name=folder.name, folder=folder, state="invalid", reason=str(exc)))
    return out


def _info(profile: Profile) -> VMInfo:
    folder = profile.folder
    runstate.clean_stale(folder)
    disks = {d: str(p) for d, p in profile.disk_paths().items()}
    disks.update({d: f"folder:{p}" for d, p in profile.folder_drives().items()})
    info = VMInfo(name=profile.name, folder=folder, state="poweroff", profile=profile,
                  disks=disks)
    pid = runstate.running_pid(folder)
    if pid is not None:
        info.pid = pid
        info.state = "running"
        pidinfo = runstate.read_json(folder / runstate.PIDFILE) or {}
        info.temporary = bool(pidinfo.get("temporary"))
        from tui.control.client import ControlClient
        try:
            with ControlClient(folder / runstate.SOCKET, timeout=2.0) as c:
                status = c.call("status")
                info.state = status.get("state", "running")
                info.reason = status.get("reason")
                if not info.temporary:
                    info.snapshots = len(c.call("snapshot", action="list")["snapshots"])
        except ConfigError:
            pass                     # starting up or busy: still running
        return info
    last = runstate.last_run(folder)
    if last.get("state") == "crashed":
        info.state = "crashed"
    info.reason = last.get("reason")
    from engine.vmm import savestate
    if savestate.exists(folder):
        info.state = "saved"            # the next start resumes it
        info.reason = info.reason or "state saved"
    info.snapshots = len(_offline_snapshots(profile))
    return info


def _offline_snapshots(profile: Profile) -> list:
    from tui.control.snapshots import offline_list
    try:
        return offline_list(profile)
    except ConfigError:
        return []


# ---- create / modify -------------------------------------------------------------------------
def check_image(drive: str, path: str) -> str:
    """An image path made absolute, or ``folder:PATH`` (a host folder as a hard disk)."""
    from disks.fat.folder import PREFIX, folder_spec
    folder = folder_spec(path)
    if folder is not None:
        if drive not in ("hda", "hdb"):
            raise VMError(f"--{drive} {path}: a folder can be a hard disk (hda, hdb) only")
        if not folder.is_dir():
            raise VMError(f"--{drive} {path}: no such folder")
        return PREFIX + str(folder.resolve())
    p = Path(path).expanduser()
    if not p.is_file():
        raise VMError(f"--{drive} {path}: no such image file")
    try:
        probe(str(p))
    except (DiskError, OSError) as exc:
        raise VMError(f"--{drive} {path}: not a usable disk image ({exc})") from None
    return str(p.resolve())


def check_floppy_image(drive: str, path: str) -> str:
    """``check_image`` plus the size: one of the IBM PC diskette formats."""
    from engine.drives import floppy_format
    path = check_image(drive, path)
    try:
        with open_image(path, readonly=True, allow_outside_backing=True) as image:
            size = image.size
    except DiskError as exc:
        raise VMError(f"--{drive}: {exc}") from None
    try:
        floppy_format(size, f"--{drive} {path}")
    except ConfigError as exc:
        raise VMError(str(exc)) from None
    return path


def demo_base() -> Path:
    """The demo floppy, copied once into the shared bases folder: every demo VM's overlay
    points at this read-only copy, which no reinstall or upgrade of xtbox can change."""
    from engine.demo import demo_disk_path
    data = demo_disk_path().read_bytes()
    base = home.bases_dir() / f"demo-{hashlib.sha256(data).hexdigest()[:12]}.img"
    if not base.exists():
        tmp = base.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp, base)
    return base


def create_vm(name: str, *, memory_kib: int = 640, display: str = "cga", boot: str | None = None,
              fda: str | None = None, fdb: str | None = None, hda: str | None = None,
              hdb: str | None = None, serial: list[str] | None = None, speed: str = "max",
              notes: str = "", demo: bool = False, mouse: str = "none",
              speaker: str = "none", lpt1: str = "none", lpt2: str = "none") -> Profile:
    check_name(name)
    folder = folder_of(name)
    if (folder / PROFILE_NAME).exists():
        raise VMError(f"a VM named {name!r} already exists ({folder})")
    reused = folder.exists()              # the disks a VM deleted with --keep-disks left
    drives = {"fda": fda, "fdb": fdb, "hda": hda, "hdb": hdb}
    for d, path in drives.items():
        if path:
            drives[d] = (check_floppy_image if d in ("fda", "fdb") else check_image)(d, path)
    if demo and fda:
        raise VMError("--demo puts the demo disk in drive A:; leave out --fda")
    serial = list(serial or []) + ["none"] * (2 - len(serial or []))
    if len(serial) > 2:
        raise VMError(f"{len(serial)} serial ports given: the PC has COM1 and COM2")
    if boot is None:
        boot = "c" if (hda and not (fda or demo)) else "a" if not hda else "ac"
    profile = Profile(name=name, folder=folder, memory_kib=memory_kib, display=display,
                      boot=boot, drives=drives, serial=serial, speed=speed, notes=notes,
                      mouse=mouse, speaker=speaker, lpt=[lpt1, lpt2])
    profile.validate()                       # before anything touches the disk
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if demo:
            disk = folder / "disk-a.qcow2"
            n = 1
            while disk.exists():
                n += 1
                disk = folder / f"disk-a-{n}.qcow2"
            create_image(disk, backing=str(demo_base()), allow_outside_backing=True)
            profile.drives["fda"] = disk.name
        profile.save()
    except BaseException:
        if not reused:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return profile


def create_disk(name: str, drive: str, *, size: int | None = None, backing: str | None = None,
                fmt: str = "qcow2", fat: bool = False) -> Path:
    """A new disk in the VM's folder (empty of ``size`` bytes, or an overlay on ``backing``),
    attached as ``drive``; ``fat`` formats it for DOS (disks/fat/mkfs.py)."""
    profile = load(name)
    require_stopped(profile, "changing its disks")
    if drive not in DRIVES:
        raise VMError(f"drive {drive!r}: expected one of {', '.join(DRIVES)}")
    if size is None and backing is None:
        raise VMError("a new disk needs a size or a backing image")
    path = profile.folder / f"disk-{'abcd'[DRIVES.index(drive)]}.{fmt if fmt == 'qcow2' else 'img'}"
    n = 1
    while path.exists():
        n += 1
        path = path.with_name(f"disk-{'abcd'[DRIVES.index(drive)]}-{n}{path.suffix}")
    if fat and (backing is not None or size is None):
        raise VMError("a disk formatted for DOS is a new disk of a size, not an overlay")
    try:
        if fat:
            from disks.fat.image import create_fat_image
            create_fat_image(path, size, fmt=fmt)
        else:
            create_image(path, size, fmt=fmt,
                         backing=check_image(drive, backing) if backing else None,
                         allow_outside_backing=True)
    except DiskError as exc:
        raise VMError(str(exc)) from None
    profile.drives[drive] = path.name
    profile.save()
    return path


def modify_vm(name: str, *, new_name: str | None = None, **changes) -> Profile:
    profile = load(name)
    if set(changes) - {"notes"} or new_name:
        require_stopped(profile, "changing its settings")
    for key, value in changes.items():
        if key in DRIVES:
            check = check_floppy_image if key in ("fda", "fdb") else check_image
            profile.drives[key] = check(key, value) if value else None
        elif key == "serial":
            value = list(value) + ["none"] * (2 - len(value))
            if len(value) > 2:
                raise VMError(f"{len(value)} serial ports given: the PC has COM1 and COM2")
            profile.serial = value
        elif key in ("memory_kib", "display", "boot", "speed", "notes", "mouse", "speaker"):
            setattr(profile, key, value)
        elif key in ("lpt1", "lpt2"):
            profile.lpt[int(key[3]) - 1] = value
        else:
            raise VMError(f"unknown setting {key!r}")
    profile.validate()
    if new_name and new_name != name:
        check_name(new_name)
        target = folder_of(new_name)
        if target.exists():
            raise VMError(f"a VM named {new_name!r} already exists")
        profile.save()
        os.rename(profile.folder, target)
        profile.folder, profile.name = target, new_name
    profile.save()
    return profile


# ---- clone / delete --------------------------------------------------------------------------
def clone_vm(name: str, new_name: str, *, linked: bool = False) -> Profile:
    """Full clone: independent copies of every disk (current state, no snapshots).
    Linked clone: the source's current disks become read-only bases that both VMs share,
    each continuing on its own qcow2 overlay (the source keeps its disk file names)."""
    from disks.ops import convert
    source = load(name)
    require_stopped(source, "cloning it")
    check_name(new_name)
    target = folder_of(new_name)
    if target.exists():
        raise VMError(f"a VM named {new_name!r} already exists, or its kept disks are in "
                      f"{target}")
    target.mkdir(parents=True)
    clone = Profile(name=new_name, folder=target, memory_kib=source.memory_kib,
                    display=source.display, boot=source.boot, serial=list(source.serial),
                    speed=source.speed, notes=source.notes)
    try:
        for drive, path in source.disk_paths().items():
            letter = "abcd"[DRIVES.index(drive)]
            fmt = probe(str(path))
            if linked:
                base = _freeze(source, drive, path)
                dst = target / f"disk-{letter}.qcow2"
                create_image(dst, backing=str(base), allow_outside_backing=True)
            else:
                dst = target / f"disk-{letter}.{'qcow2' if fmt == 'qcow2' else 'img'}"
                convert(str(path), str(dst), fmt=fmt, allow_outside_backing=True)
            clone.drives[drive] = dst.name
        for drive, folder in source.folder_drives().items():   # rebuilt at each start
            clone.drives[drive] = f"folder:{folder}"
        clone.save()
        source.save()
    except DiskError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise VMError(f"cloning {name!r}: {exc}") from None
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return clone


def _freeze(source: Profile, drive: str, path: Path) -> Path:
    """Make ``path`` a read-only base and move the source onto a fresh overlay of it."""
    folder = source.folder
    if path.parent == folder:
        n = 1
        while (base := path.with_name(f"{path.stem}.base{n}{path.suffix}")).exists():
            n += 1
        os.rename(path, base)
        try:
            # Same folder, so the overlay names its backing file relatively.
            create_image(path, backing=base.name, allow_outside_backing=True)
        except BaseException:
            os.rename(base, path)
            raise
        os.chmod(base, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        return base
    letter = "abcd"[DRIVES.index(drive)]
    overlay = folder / f"disk-{letter}.qcow2"
    n = 1
    while overlay.exists():
        n += 1
        overlay = folder / f"disk-{letter}-{n}.qcow2"
    create_image(overlay, backing=str(path), allow_outside_backing=True)
    source.drives[drive] = overlay.name
    return path


def dependants(folder: Path) -> list[str]:
    """Other VMs whose disks are overlays on files in ``folder`` (linked clones)."""
    from disks.ops import info
    out = []
    for other in _folders():
        if other == folder:
            continue
        try:
            prof = Profile.load(other)
        except ProfileError:
            continue
        for path in prof.disk_paths().values():
            try:
                chain = info(str(path), chain=True, allow_outside_backing=True)
            except (DiskError, OSError):
                continue
            if any(Path(e["filename"]).resolve().parent == folder.resolve()
                   for e in chain[1:]):
                out.append(prof.name)
                break
    return out


def delete_vm(name: str, *, keep_disks: bool = False) -> None:
    profile = load(name)
    require_stopped(profile, "deleting it")
    if not keep_disks:
        users = dependants(profile.folder)
        if users:
            raise VMError(f"VM {name!r} holds the base disks of linked clone(s) "
                          f"{', '.join(users)}: delete those first, or delete with "
                          "--keep-disks")
        shutil.rmtree(profile.folder)
        return
    # The disks stay where they are (linked clones may name them as backing files); without
    # its vm.toml the folder is no longer a VM, and a new VM of that name may reuse it.
    for leftover in (PROFILE_NAME, runstate.LAST_RUN, runstate.LOCK, runstate.LOG):
        runstate._unlink(profile.folder / leftover)
