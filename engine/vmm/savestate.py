"""Saved machine states: the file a suspended VM resumes from (``saved-state.xtstate``).

Format, version 1 (all integers little-endian)::

    0   8 bytes  magic b"XTBOXSTA"
    8   u32      format version (1)
    12  u32      length H of the header
    16  H bytes  header: UTF-8 JSON {"version", "saved_at", "fit", "state"}
    16+H u32     length R of the RAM blob
    20+H R bytes the 1 MiB of guest memory, zlib-compressed
    ... u32      CRC-32 of every byte before it

``state`` is ``Machine.get_state()`` without its RAM: the CPU, the clock, every
registered device and ``idle`` (engine/idle.py: the retrace moment the guest watches, in
guest time, and the idle account; optional: a state without it resumes with a fresh
detector, so it needed no new version), in plain JSON; byte strings (the keyboard's host queue, serial bytes in
flight) are objects ``{"b64": "..."}``. ``fit`` is what the state depends on in the VM's
profile (memory, display adapter, hard disks by path and by the size the guest sees, the
mouse's port); the machine's device set is checked against ``state["devices"]`` when it is
built: a profile changed since is refused with what changed, as a machine of another shape
cannot run this state. New device sections (a new chip's get_state) need no new version: a
reader checks the device set; a change to the layout above, or to a section's meaning,
takes VERSION + 1. A file
whose CRC does not match, or that ends early, is "damaged" (``StateError``); it can then
only be discarded. Why a CRC and compression: the RAM is most of the state and mostly
zeros on a small guest; zlib level 1 keeps saving and resuming well under 100 ms.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import time
import zlib
from pathlib import Path
from typing import Any

from engine.errors import ConfigError

MAGIC = b"XTBOXSTA"
VERSION = 1
STATE_FILE = "saved-state.xtstate"


class StateError(ConfigError):
    """A saved state that cannot be read or does not fit; the message says why."""


def _encode(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"b64"}:
            return base64.b64decode(value["b64"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def fit_of(memory_kib: int, display: str, hard_disks: dict[str, str],
           mouse: str = "none") -> dict:
    """What a saved state needs of the machine it resumes in (``hard_disks``: hda/hdb ->
    image path; ``mouse``: the COM port whose UART has the serial mouse at its far end, which
    the guest's driver found and talks to): a hard disk by path and by the size the guest
    sees (its geometry, which a resumed DOS has in memory). The file's size is kept for
    information only (it grows as the guest writes, and a restored snapshot leaves it)."""
    disks = {}
    for letter, path in sorted(hard_disks.items()):
        try:
            size = os.path.getsize(path)
        except OSError:
            size = None
        disks[letter] = {"path": os.path.abspath(path), "size": size,
                         "virtual_size": _virtual_size(path)}
    return {"memory_kib": memory_kib, "display": display, "hard_disks": disks, "mouse": mouse}


def _virtual_size(path: str) -> int | None:
    from disks import DiskError, open_image
    try:
        # Read-only and shared: the running VM holds the image's write lock.
        with open_image(path, readonly=True, share=True, allow_outside_backing=True) as img:
            return img.size
    except (DiskError, OSError):
        return None


def misfit(saved: dict, now: dict) -> list[str]:
    """What changed between the machine a state was saved from and the profile now."""
    out = []
    if saved.get("memory_kib") != now["memory_kib"]:
        out.append(f"memory {saved.get('memory_kib')} KiB -> {now['memory_kib']} KiB")
    if saved.get("display") != now["display"]:
        out.append(f"display adapter {saved.get('display')} -> {now['display']}")
    if saved.get("mouse", "none") != now.get("mouse", "none"):
        out.append(f"mouse {saved.get('mouse', 'none')} -> {now.get('mouse', 'none')}")
    was, isnow = saved.get("hard_disks", {}), now["hard_disks"]
    for drive in sorted(set(was) | set(isnow)):
        a, b = was.get(drive), isnow.get(drive)
        label = f"hard disk {drive}"
        if a is None:
            out.append(f"{label} added ({b['path']})")
        elif b is None:
            out.append(f"{label} removed (was {a['path']})")
        elif a["path"] != b["path"]:
            out.append(f"{label} {a['path']} -> {b['path']}")
        elif None not in (a.get("virtual_size"), b.get("virtual_size")) \
                and a["virtual_size"] != b["virtual_size"]:
            out.append(f"{label} {a['path']} resized from {a['virtual_size']:,} to "
                       f"{b['virtual_size']:,} bytes")
    return out


def device_misfit(saved: dict, now: list[str]) -> list[str]:
    """Devices the machine has now that the state lacks, and the reverse (a mouse, printer
    or speaker port added to or removed from the profile)."""
    had = set(saved)
    out = [f"device {name} added" for name in now if name not in had]
    out += [f"device {name} removed" for name in sorted(had - set(now))]
    return out


def encode(state: dict, fit: dict) -> bytes:
    rest = {k: v for k, v in state.items() if k != "ram"}
    header = json.dumps({"version": VERSION, "saved_at": time.time(), "fit": fit,
                         "state": _encode(rest)}, separators=(",", ":")).encode()
    ram = zlib.compress(bytes(state["ram"]), 1)
    body = (MAGIC + struct.pack("<II", VERSION, len(header)) + header
            + struct.pack("<I", len(ram)) + ram)
    return body + struct.pack("<I", zlib.crc32(body))


def decode(data: bytes, where: str = "saved state") -> tuple[dict, dict]:
    """(machine state, fit) from ``encode``'s bytes; StateError naming what is wrong."""
    if len(data) < 20 or data[:8] != MAGIC:
        raise StateError(f"{where}: not an xtbox saved state (no {MAGIC.decode()} header)")
    version, hlen = struct.unpack_from("<II", data, 8)
    if version != VERSION:
        raise StateError(f"{where}: saved-state format version {version}; this xtbox reads "
                         f"version {VERSION}")
    if zlib.crc32(data[:-4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
        raise StateError(f"{where}: damaged or truncated ({len(data):,} bytes, checksum "
                         "mismatch)")
    try:
        header = json.loads(data[16:16 + hlen])
        (rlen,) = struct.unpack_from("<I", data, 16 + hlen)
        ram = zlib.decompress(data[20 + hlen:20 + hlen + rlen])
        state = _decode(header["state"])
        state["ram"] = ram
        fit = header["fit"]
    except (ValueError, KeyError, struct.error, zlib.error) as exc:
        raise StateError(f"{where}: damaged ({exc})") from None
    if len(ram) != 1 << 20:
        raise StateError(f"{where}: damaged (RAM of {len(ram):,} bytes, expected 1 MiB)")
    return state, fit


def write(folder: Path, state: dict, fit: dict) -> Path:
    """Write the state file atomically (temporary file, fsync, rename, fsync the folder)."""
    return write_bytes(folder, encode(state, fit))


def write_bytes(folder: Path, data: bytes) -> Path:
    """``encode``'s bytes (a snapshot's machine state) as the state file, atomically."""
    path = folder / STATE_FILE
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dirfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)
    return path


def read(folder: Path) -> tuple[dict, dict] | None:
    path = folder / STATE_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return decode(data, str(path))


def exists(folder: Path) -> bool:
    return (folder / STATE_FILE).exists()


def discard(folder: Path) -> bool:
    try:
        os.unlink(folder / STATE_FILE)
    except FileNotFoundError:
        return False
    return True
