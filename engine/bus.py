"""The I/O port bus: a 64 K table mapping each port to the device that answers it.

Why a table: IN/OUT sit on the CPU's path, so a port must resolve in one index, not a search
through devices (v86 and MartyPC do the same). The table holds the devices' bound ``read``
and ``write`` methods directly, so a byte access is one list index and one call.

Semantics (the ISA bus as a PC sees it):
- an unmapped port reads 0xFF (a word 0xFFFF) and swallows writes (the floating bus);
- a word access is split into two byte accesses at ``port`` and ``port + 1`` (the 8088's
  bus does exactly that), unless both ports belong to one device that declares
  ``WORD_IO = True``, which then gets a single ``read(port, 2)``/``write(port, value, 2)``;
- two devices claiming one port is a wiring bug: ``attach`` raises ``PortConflictError``
  naming both devices and the port.

Public API (what the machine uses):
    bus = PortBus()
    bus.attach(device, ranges=None, name=None)   # ranges: [(first, last)] inclusive;
                                               # default device.PORTS; name default device.name
    bus.attach_handlers(name, ranges, read=None, write=None)   # plain functions:
                                               # read(port, width) -> int, write(port, value, width)
    bus.detach(device_or_name)
    bus.owner(port) -> str | None              # which device answers a port (for diagnostics)
    bus.port_read(port, width=1) -> int        # the CPU's io object: cpu.io = bus
    bus.port_write(port, value, width=1)
    bus.io_count                               # accesses so far (a loop that did none is pure)
    bus.tap_read(port, observer)               # observer(port, value) after each byte read
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

PORT_COUNT = 0x10000

ReadFn = Callable[..., int]
WriteFn = Callable[..., None]


class PortConflictError(ValueError):
    """Two devices were attached to the same I/O port."""


def _unmapped_read(port: int, width: int = 1) -> int:
    return 0xFF


def _unmapped_write(port: int, value: int, width: int = 1) -> None:
    return None


class _Handlers:
    """Stand-in device for ``attach_handlers``: functions rather than a chip object."""

    WORD_IO = False

    def __init__(self, name: str, read: ReadFn | None, write: WriteFn | None) -> None:
        self.name = name
        self.read = read or _unmapped_read
        self.write = write or _unmapped_write


class PortBus:
    """64 K-entry port table; see the module docstring for the rules."""

    def __init__(self) -> None:
        self._read: list[ReadFn] = [_unmapped_read] * PORT_COUNT
        self._write: list[WriteFn] = [_unmapped_write] * PORT_COUNT
        self._owner: list[int] = [-1] * PORT_COUNT
        self._word: bytearray = bytearray(PORT_COUNT)
        self._devices: list[Any] = []
        self._names: list[str] = []
        self.io_count = 0

    # -- wiring -------------------------------------------------------------------------
    def attach(
        self,
        device: Any,
        ranges: Iterable[tuple[int, int]] | None = None,
        name: str | None = None,
    ) -> None:
        """Map ``device`` (with ``read``/``write`` methods) on the given inclusive ranges."""
        if ranges is None:
            ranges = getattr(device, "PORTS", None)
            if not ranges:
                raise ValueError(f"{device!r} declares no PORTS; pass ranges to attach()")
        ranges = [(int(a), int(b)) for a, b in ranges]
        label = name or getattr(device, "name", None) or type(device).__name__
        for first, last in ranges:
            if not (0 <= first <= last < PORT_COUNT):
                raise ValueError(
                    f"{label}: port range {first:#x}-{last:#x} is not within 0x0-0xffff"
                )
            for port in range(first, last + 1):
                idx = self._owner[port]
                if idx >= 0:
                    raise PortConflictError(
                        f"port {port:#06x}: {label} overlaps {self._names[idx]}"
                        f" (already attached there)"
                    )
        # Several ranges of one call may overlap each other; that is harmless.
        idx = len(self._devices)
        self._devices.append(device)
        self._names.append(label)
        word = 1 if getattr(device, "WORD_IO", False) else 0
        for first, last in ranges:
            for port in range(first, last + 1):
                self._owner[port] = idx
                self._read[port] = device.read
                self._write[port] = device.write
                self._word[port] = word

    def attach_handlers(
        self,
        name: str,
        ranges: Iterable[tuple[int, int]],
        read: ReadFn | None = None,
        write: WriteFn | None = None,
    ) -> None:
        """Map plain functions (for board logic that is not a chip, e.g. a DMA page latch)."""
        self.attach(_Handlers(name, read, write), ranges, name)

    def detach(self, device: Any) -> None:
        """Unmap every port of ``device`` (the object, or the name it was attached under)."""
        matches = [
            i
            for i, (dev, label) in enumerate(zip(self._devices, self._names, strict=True))
            if dev is device or (isinstance(device, str) and label == device)
        ]
        if not matches:
            raise KeyError(f"{device!r} is not attached to this bus")
        idx = matches[0]
        for port in range(PORT_COUNT):
            if self._owner[port] == idx:
                self._owner[port] = -1
                self._read[port] = _unmapped_read
                self._write[port] = _unmapped_write
                self._word[port] = 0
        self._devices[idx] = None
        self._names[idx] = ""

    def tap_read(self, port: int, observer: Callable[[int, int], None]) -> None:
        """Call ``observer(port, value)`` after each byte read of ``port`` (engine/idle.py
        watches the display status port this way); the device still answers the read."""
        inner = self._read[port]

        def read(p: int, width: int = 1) -> int:
            value = inner(p, width)
            observer(p, value)
            return value

        self._read[port] = read

    def owner(self, port: int) -> str | None:
        """Name of the device answering ``port``, or None when unmapped."""
        idx = self._owner[port & 0xFFFF]
        return self._names[idx] if idx >= 0 else None

    # -- the CPU's io object --------------------------------------------------------------
    def port_read(self, port: int, width: int = 1) -> int:
        port &= 0xFFFF
        self.io_count += 1
        if width == 1:
            return self._read[port](port) & 0xFF
        hi_port = (port + 1) & 0xFFFF
        if self._word[port] and self._owner[port] == self._owner[hi_port]:
            return self._read[port](port, 2) & 0xFFFF
        lo = self._read[port](port) & 0xFF
        return lo | ((self._read[hi_port](hi_port) & 0xFF) << 8)

    def port_write(self, port: int, value: int, width: int = 1) -> None:
        port &= 0xFFFF
        self.io_count += 1
        if width == 1:
            self._write[port](port, value & 0xFF)
            return
        hi_port = (port + 1) & 0xFFFF
        if self._word[port] and self._owner[port] == self._owner[hi_port]:
            self._write[port](port, value & 0xFFFF, 2)
            return
        self._write[port](port, value & 0xFF)
        self._write[hi_port](hi_port, (value >> 8) & 0xFF)
