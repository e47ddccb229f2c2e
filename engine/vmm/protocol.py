"""The control protocol: JSON lines over a Unix socket, in the spirit of QEMU's QMP.

Every message is one JSON object on one line (UTF-8, ``\\n``-terminated).

    server, on connect:  {"xtbox": {"version": 1, "vm": NAME, "uuid": UUID}}
    client command:      {"execute": CMD, "arguments": {...}, "id": ANY}   (arguments, id optional)
    success reply:       {"return": VALUE, "id": ANY}
    error reply:         {"error": {"class": CLASS, "desc": TEXT}, "id": ANY}
    event (async):       {"event": "screen" | "state" | "bell", "data": {...}}

Commands: ``status``, ``pause``, ``resume``, ``stop`` (power off; disks flushed), ``save``
(suspend: the whole machine to its state file, then the process ends), ``reset``,
``keys`` {scancodes: [int]}, ``type`` {text}, ``screen``, ``snapshot`` {action: take|list|
delete, name}, ``media`` {drive: a|b, image: PATH|null, readonly} (change a diskette; null
ejects; a relative PATH is the VM folder's), ``serial-reconnect`` {port: com1|com2},
``mouse`` {dx, dy, buttons} (move the serial mouse by counts, +y down; buttons, a list of
left/right/middle or bits 1/2/4, held from now on; left out: unchanged),
``subscribe`` {events: ["screen", "state", "bell"]} — after which the connection also
receives events: a full screen first, then only the rows that changed, at most ``SCREEN_HZ``
times a second, every state change, and (``bell``) {count} when the guest beeped on a VM
whose speaker is ``bell``. Error classes: ``BadRequest`` (malformed
message or arguments), ``CommandNotFound``, ``InvalidState`` (e.g. snapshot of a stopped VM),
``Failed`` (the command ran and failed; desc says why).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

VERSION = 1
SCREEN_HZ = 30
MAX_LINE = 1 << 20
COMMANDS = ("status", "pause", "resume", "stop", "reset", "keys", "type", "screen",
            "snapshot", "media", "serial-reconnect", "save", "mouse", "subscribe")
EVENTS = ("screen", "state", "bell")


class ProtocolError(Exception):
    """A message that is not a JSON object on one line."""


def encode(message: dict) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ProtocolError("expected a JSON object")
    return value


def error(cls: str, desc: str, ident: Any = None) -> dict:
    reply: dict[str, Any] = {"error": {"class": cls, "desc": desc}}
    if ident is not None:
        reply["id"] = ident
    return reply


class LineReader:
    """Splits a stream socket into lines; refuses lines longer than MAX_LINE."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def readline(self) -> bytes | None:
        while True:
            nl = self.buffer.find(b"\n")
            if nl >= 0:
                line = bytes(self.buffer[:nl])
                del self.buffer[:nl + 1]
                return line
            if len(self.buffer) > MAX_LINE:
                raise ProtocolError(f"line longer than {MAX_LINE} bytes")
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk


def socket_address(path: Path) -> tuple[str, int | None]:
    """A sun_path for ``path``: itself when short enough, else through /proc/self/fd.

    Unix socket paths are limited to ~107 bytes and VM folders under a deep data folder
    exceed it; opening the folder and naming the socket relative to its descriptor works
    for bind and connect alike on Linux. Returns (address, fd to close afterwards).
    """
    raw = os.fsencode(path)
    if len(raw) < 100:
        return os.fsdecode(raw), None
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    return f"/proc/self/fd/{fd}/{path.name}", fd
