"""Host ends of the guest's COM ports. Spec strings are shared by `xtbox run --serial` and
VM profiles; this module parses them and opens the backend the UART talks to."""

from __future__ import annotations

import os
import sys
import threading

from engine.chips.serial_backend import LoopbackBackend, NullBackend, SerialBackend
from engine.errors import ConfigError

ACCEPTED = "none, stdio, loopback"


class StdioBackend(SerialBackend):
    """The guest's COM port on this process's stdin/stdout (raw bytes, nothing translated)."""

    connected = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._incoming = bytearray()
        self._out = getattr(sys.stdout, "buffer", None)
        thread = threading.Thread(target=self._reader, name="serial-stdin", daemon=True)
        thread.start()

    def _reader(self) -> None:
        try:
            fd = sys.stdin.fileno()
        except (OSError, ValueError, AttributeError):
            return
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self._incoming += data

    def write(self, data: bytes) -> int:
        if self._out is not None:
            self._out.write(data)
            self._out.flush()
        return len(data)

    def read(self) -> bytes:
        with self._lock:
            data, self._incoming = bytes(self._incoming), bytearray()
        return data


def open_backend(spec: str) -> SerialBackend:
    """Open the backend a spec names; a malformed spec is a ConfigError naming it."""
    kind = spec.strip().lower()
    if kind in ("", "none"):
        return NullBackend()
    if kind == "stdio":
        return StdioBackend()
    if kind == "loopback":
        return LoopbackBackend()
    raise ConfigError(f"serial backend {spec!r} is not supported; accepted: {ACCEPTED}")
