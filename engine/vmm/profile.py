"""A VM profile: the ``vm.toml`` in each VM's folder, validated and written atomically.

The file is edited by people as well as by xtbox, so it is kept as a tomlkit document: keys
and tables we do not know (a newer version's, or a user's own notes) survive every save, as
do comments. Every error names the file, the key and the form expected.

    name = "dos"
    uuid = "…"
    memory_kib = 640
    display = "cga"          # cga | mda
    boot = "ac"              # a, c, ac or ca: the BIOS tries these drives in order
    speed = "max"            # max | xt
    notes = ""
    write_protected = []     # drives whose image is opened read-only, e.g. ["fdb"]
    [drives]                 # fda fdb hda hdb -> image path (relative to this folder)
    hda = "disk-c.qcow2"     # or "folder:PATH": a host folder as a DOS disk (hda, hdb)
    mouse = "none"           # none | com1 | com2: a Microsoft serial mouse on that port
    speaker = "none"         # none | bell | wav:PATH | host (engine/sound)
    lpt1 = "none"            # printer ports: none | file:PATH | pty | tcp-server:[HOST:]PORT
    lpt2 = "none"
    [serial]                 # com1 com2 -> backend spec (see engine.serial)
    com1 = "none"
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid as uuidlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from disks.fat.folder import PREFIX as FOLDER_PREFIX  # folder:PATH, a host folder as a disk
from engine.errors import ConfigError
from engine.peripherals import check_mouse, check_mouse_port_free, check_printer, check_speaker

PROFILE_NAME = "vm.toml"
DRIVES = ("fda", "fdb", "hda", "hdb")
DRIVE_LETTERS = {"fda": "A:", "fdb": "B:", "hda": "C:", "hdb": "D:"}
PORTS = ("com1", "com2")
DISPLAYS = ("cga", "mda")
BOOT_ORDERS = ("a", "c", "ac", "ca")
SPEEDS = ("max", "xt")
LPTS = ("lpt1", "lpt2")
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")


class ProfileError(ConfigError):
    """A profile value that cannot be used; the message names file, key and expected form."""


def check_name(name: str) -> str:
    """VM names become folder names: keep them portable and unambiguous."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name) or name != name.strip():
        raise ProfileError(f"VM name {name!r}: expected 1-64 letters, digits, spaces, '.', '_' "
                           "or '-', starting with a letter or digit")
    return name


def check_memory(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 64 <= value <= 640 \
            or value % 16:
        raise ProfileError(f"memory {value!r}: expected KiB, a multiple of 16 from 64 to 640")
    return value


def check_serial_spec(spec: Any) -> str:
    """The same spec strings as ``xtbox run --serial``; parsed, not opened."""
    if not isinstance(spec, str):
        raise ProfileError(f"serial backend {spec!r}: expected a spec string")
    from engine import serial
    parse = getattr(serial, "parse_spec", None)
    if parse is not None:
        parse(spec)
    return spec


@dataclass
class Profile:
    name: str
    folder: Path
    uuid: str = field(default_factory=lambda: str(uuidlib.uuid4()))
    memory_kib: int = 640
    display: str = "cga"
    boot: str = "ac"
    drives: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(DRIVES))
    serial: list[str] = field(default_factory=lambda: ["none", "none"])
    speed: str = "max"
    notes: str = ""
    write_protected: list[str] = field(default_factory=list)
    mouse: str = "none"
    speaker: str = "none"
    lpt: list[str] = field(default_factory=lambda: ["none", "none"])
    _doc: Any = field(default=None, repr=False, compare=False)

    @property
    def path(self) -> Path:
        return self.folder / PROFILE_NAME

    def drive_path(self, drive: str) -> Path | None:
        """Absolute path of a drive's image (profiles store paths relative to the folder);
        None for a folder drive, which has no image of its own until the VM starts."""
        value = self.drives.get(drive)
        if not value or value.startswith(FOLDER_PREFIX):
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.folder / p

    def disk_paths(self) -> dict[str, Path]:
        """The drives' image files (folder drives left out: see ``folder_drives``)."""
        return {d: p for d in DRIVES if (p := self.drive_path(d)) is not None}

    def folder_drives(self) -> dict[str, Path]:
        """Drives given as ``folder:PATH``: the host folder of each (disks/fat/folder.py)."""
        out = {}
        for d in DRIVES:
            value = self.drives.get(d) or ""
            if value.startswith(FOLDER_PREFIX):
                p = Path(value[len(FOLDER_PREFIX):]).expanduser()
                out[d] = p if p.is_absolute() else self.folder / p
        return out

    def folder_disk(self, drive: str) -> Path:
        """Where a folder drive's disk lives while the VM runs: the overlay that takes the
        guest's writes (its base, built from the folder at start, beside it)."""
        return self.folder / f"folder-{drive}.qcow2"

    # ---- validation ------------------------------------------------------------------------
    def validate(self) -> None:
        where = str(self.path)

        def bad(key: str, value: Any, expected: str) -> ProfileError:
            return ProfileError(f"{where}: {key}: got {value!r}, expected {expected}")

        try:
            check_name(self.name)
        except ProfileError as exc:
            raise ProfileError(f"{where}: name: {exc}") from None
        try:
            uuidlib.UUID(str(self.uuid))
        except ValueError:
            raise bad("uuid", self.uuid, "a UUID such as "
                      "123e4567-e89b-12d3-a456-426614174000") from None
        try:
            check_memory(self.memory_kib)
        except ProfileError:
            raise bad("memory_kib", self.memory_kib, "KiB, a multiple of 16 from 64 to 640") \
                from None
        if self.display not in DISPLAYS:
            raise bad("display", self.display, "cga or mda")
        if self.boot not in BOOT_ORDERS:
            raise bad("boot", self.boot, "a, c, ac or ca")
        if self.speed not in SPEEDS:
            raise bad("speed", self.speed, "max or xt")
        if not isinstance(self.notes, str):
            raise bad("notes", self.notes, "a string")
        for drive, value in self.drives.items():
            if drive not in DRIVES:
                raise bad(f"drives.{drive}", value, f"a drive named one of {', '.join(DRIVES)}")
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise bad(f"drives.{drive}", value, "an image path")
            if isinstance(value, str) and value.startswith(FOLDER_PREFIX):
                if drive not in ("hda", "hdb"):
                    raise bad(f"drives.{drive}", value, "an image path (folder: drives are "
                              "hard disks, hda or hdb)")
                if not value[len(FOLDER_PREFIX):].strip():
                    raise bad(f"drives.{drive}", value, "folder:PATH with a folder's path")
        if not isinstance(self.write_protected, list) or any(
                d not in DRIVES for d in self.write_protected):
            raise bad("write_protected", self.write_protected,
                      f"a list of drives ({', '.join(DRIVES)})")
        if len(self.serial) != 2:
            raise bad("serial", self.serial, "com1 and com2")
        for port, spec in zip(PORTS, self.serial, strict=True):
            try:
                check_serial_spec(spec)
            except ConfigError as exc:
                raise ProfileError(f"{where}: serial.{port}: {exc}") from None
        self._validate_peripherals(where)

    def _validate_peripherals(self, where: str) -> None:
        """mouse, speaker, lpt1, lpt2: the checks `xtbox run` makes (engine/peripherals.py),
        each error prefixed with the file and key."""
        checks = [("mouse", lambda: check_mouse(self.mouse)),
                  ("speaker", lambda: check_speaker(self.speaker))]
        if len(self.lpt) != 2:
            raise ProfileError(f"{where}: lpt: got {self.lpt!r}, expected lpt1 and lpt2")
        for key, spec in zip(LPTS, self.lpt, strict=True):
            checks.append((key, lambda spec=spec: check_printer(spec)))
        checks.append(("mouse", lambda: check_mouse_port_free(self.mouse, self.serial)))
        for key, check in checks:
            try:
                check()
            except ConfigError as exc:
                raise ProfileError(f"{where}: {key}: {exc}") from None

    # ---- load / save -----------------------------------------------------------------------
    @classmethod
    def load(cls, folder: str | os.PathLike) -> Profile:
        folder = Path(folder)
        path = folder / PROFILE_NAME
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProfileError(f"{path}: no VM profile here") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"{path}: cannot read the profile: {exc}") from None
        try:
            doc = tomlkit.parse(text)
        except TOMLKitError as exc:
            raise ProfileError(f"{path}: not valid TOML: {exc}") from None
        data = doc.unwrap()

        def table(key: str) -> dict:
            value = data.get(key, {})
            if not isinstance(value, dict):
                raise ProfileError(f"{path}: {key}: got {value!r}, expected a table [{key}]")
            return value

        drives_t, serial_t = table("drives"), table("serial")
        for key in drives_t:
            if key not in DRIVES:
                raise ProfileError(f"{path}: drives.{key}: unknown drive; expected "
                                   f"{', '.join(DRIVES)}")
        for key in serial_t:
            if key not in PORTS:
                raise ProfileError(f"{path}: serial.{key}: unknown port; expected com1, com2")
        if "name" not in data:
            raise ProfileError(f"{path}: name: missing; expected the VM's name")
        profile = cls(
            name=data["name"], folder=folder, uuid=data.get("uuid", ""),
            memory_kib=data.get("memory_kib", 640), display=data.get("display", "cga"),
            boot=data.get("boot", "ac"),
            drives={d: (drives_t.get(d) or None) for d in DRIVES},
            serial=[serial_t.get(p, "none") for p in PORTS],
            speed=data.get("speed", "max"), notes=data.get("notes", ""),
            write_protected=data.get("write_protected", []),
            mouse=data.get("mouse", "none"), speaker=data.get("speaker", "none"),
            lpt=[data.get(k, "none") for k in LPTS], _doc=doc)
        profile.validate()
        return profile

    def save(self) -> None:
        """Validate, then replace vm.toml atomically (temp file, fsync, rename)."""
        self.validate()
        doc = self._doc if self._doc is not None else tomlkit.document()
        for key, value in (("name", self.name), ("uuid", self.uuid),
                           ("memory_kib", self.memory_kib), ("display", self.display),
                           ("boot", self.boot), ("speed", self.speed), ("notes", self.notes),
                           ("mouse", self.mouse), ("speaker", self.speaker),
                           *zip(LPTS, self.lpt, strict=True)):
            doc[key] = value
        protected = sorted(set(self.write_protected), key=DRIVES.index)
        if protected:
            doc["write_protected"] = protected
        elif "write_protected" in doc:
            del doc["write_protected"]
        drives = doc.get("drives")
        if drives is None:
            drives = doc["drives"] = tomlkit.table()
        for d in DRIVES:
            if self.drives.get(d):
                drives[d] = self.drives[d]
            elif d in drives:
                del drives[d]
        serial = doc.get("serial")
        if serial is None:
            serial = doc["serial"] = tomlkit.table()
        for port, spec in zip(PORTS, self.serial, strict=True):
            serial[port] = spec
        self._doc = doc
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, tomlkit.dumps(doc).encode())


def atomic_write(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of either, even after a crash."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    dirfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dirfd)      # the rename itself is durable only once the folder is synced
    finally:
        os.close(dirfd)
