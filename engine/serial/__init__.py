"""Host ends of the guest's COM ports. Spec strings are shared by `xtbox run --serial` and
VM profiles (engine/serial/spec.py parses them); ``open_backend`` opens what they name.

    none | stdio | loopback | file:PATH | pty | tcp-server:[HOST:]PORT | pyserial URL | device
"""

from __future__ import annotations

import os
import sys
import threading

from engine.chips.serial_backend import LoopbackBackend, NullBackend, SerialBackend
from engine.serial.spec import (
    ACCEPTED,
    PRINTER_ACCEPTED,
    Spec,
    parse_printer_spec,
    parse_spec,
)

__all__ = ["ACCEPTED", "PRINTER_ACCEPTED", "Spec", "open_backend", "open_printer_backend",
           "parse_printer_spec", "parse_spec"]


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

    def get_modem(self) -> tuple[bool, bool, bool, bool]:
        return (True, True, False, True)     # CTS DSR DCD, as for every stream backend


def open_backend(spec: str, label: str = "com1") -> SerialBackend:
    """Open the backend a spec names; a malformed spec is a ConfigError naming it. A device
    that is missing or busy is not an error: the port starts disconnected and retries."""
    from engine.serial import backends
    parsed = parse_spec(spec)
    kind = parsed.kind
    if kind == "none":
        return NullBackend()
    if kind == "stdio":
        return StdioBackend()
    if kind == "loopback":
        return LoopbackBackend()
    if kind == "file":
        backend = backends.FileBackend(parsed.param)
    elif kind == "pty":
        backend = backends.PtyBackend()
        backends.announce(label, f"char device redirected to {backend.path} (label {label})")
    elif kind == "tcp-server":
        backend = backends.TcpServerBackend(parsed.host, parsed.port)
        backends.announce(label, f"{backend.detail} (label {label})")
    else:
        backend = backends.PyserialBackend(parsed.param)
        backend.on_drop = _drop_reporter(label)
    backend.on_state = lambda up, detail: backends.announce(
        label, f"{'connected' if up else 'disconnected'}: {detail}")
    backend.start()
    return backend


def open_printer_backend(spec: str, label: str = "lpt1") -> SerialBackend:
    """The host end of a printer port: the serial backends a printer can use (a spec of
    another kind is a ConfigError naming it and the accepted forms)."""
    kind = parse_printer_spec(spec).kind
    backend = open_backend(spec, label)
    if kind == "file":
        backend.connected = True     # a file is on line from the start, not once its thread runs
    return backend


def _drop_reporter(label: str):
    """Say once, on stderr (the VM's log), that host data is being dropped; the running total
    is in the port's status and is reported again when the port closes."""
    from engine.serial import backends
    said = False

    def report(total: int, final: bool = False) -> None:
        nonlocal said
        if final:
            backends.announce(label, f"{total} bytes from the host were dropped in all")
        elif not said:
            said = True
            backends.announce(label, "the guest is not reading fast enough and the port has no "
                                     "flow control: dropping host data (counted in the status)")
    return report
