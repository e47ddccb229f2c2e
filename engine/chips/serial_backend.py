"""What sits at the far end of a UART's cable: the backend protocol and two simple backends.

The UART (engine/chips/ns16550.py) talks only to this protocol; the serial helper adds real
backends (pyserial ports, pty, TCP) under engine/serial/ by subclassing ``SerialBackend``.

Protocol (all methods are called from the emulation thread and must not block):
    write(data: bytes) -> int     # bytes accepted now (0..len(data)); fewer means "busy",
                                  # the UART keeps the rest and shows its transmitter busy
    read() -> bytes               # whatever arrived since the last call; b"" when nothing
    set_line(baud, bits, parity, stop)   # parity one of "N","O","E","M","S"; stop 1 or 2
    set_modem(dtr: bool, rts: bool)      # the UART's modem-control outputs
    set_break(on: bool)                  # LCR break bit
    get_modem() -> (cts, dsr, ri, dcd)   # modem-status inputs
    connected: bool                      # a peer is there (for the UI; DCD is separate)
    close()
"""

from __future__ import annotations

from collections import deque


class SerialBackend:
    """Base class with do-nothing defaults: an unplugged cable."""

    connected = False
    on_input = None
    """Called (from any thread) when bytes from the host become readable: the machine wakes a
    sleeping guest with it, so a serial byte is not left waiting for the next timer tick."""

    def write(self, data: bytes) -> int:
        return len(data)  # bits leave the connector and go nowhere

    def read(self) -> bytes:
        return b""

    def set_line(self, baud: int, bits: int, parity: str, stop: int) -> None:
        self.line = (baud, bits, parity, stop)

    def set_modem(self, dtr: bool, rts: bool) -> None:
        self.dtr, self.rts = dtr, rts

    def set_break(self, on: bool) -> None:
        self.break_on = on

    def get_modem(self) -> tuple[bool, bool, bool, bool]:
        return (False, False, False, False)

    def close(self) -> None:
        self.connected = False


class NullBackend(SerialBackend):
    """No cable: output is discarded, nothing ever arrives, all modem inputs inactive."""


class MemoryBackend(SerialBackend):
    """A peer made of buffers, for tests and for capturing output.

    ``output`` collects what the guest sent; ``feed(data)`` queues bytes for the guest;
    ``capacity`` (bytes the peer will hold before refusing) simulates a slow peer;
    ``modem`` is the (cts, dsr, ri, dcd) tuple the guest sees.
    """

    connected = True

    def __init__(self, capacity: int | None = None) -> None:
        self.output = bytearray()
        self.incoming: deque[int] = deque()
        self.capacity = capacity
        self.modem = (True, True, False, True)
        self.line: tuple[int, int, str, int] | None = None
        self.dtr = self.rts = False
        self.break_on = False

    def write(self, data: bytes) -> int:
        room = len(data) if self.capacity is None else max(self.capacity - len(self.output), 0)
        taken = bytes(data[:room])
        self.output += taken
        return len(taken)

    def drain(self) -> bytes:
        """Take what the guest sent so far (frees capacity)."""
        out = bytes(self.output)
        self.output.clear()
        return out

    def feed(self, data: bytes) -> None:
        self.incoming.extend(data)

    def read(self) -> bytes:
        data = bytes(self.incoming)
        self.incoming.clear()
        return data

    def get_modem(self) -> tuple[bool, bool, bool, bool]:
        return self.modem


class LoopbackBackend(SerialBackend):
    """A loopback plug: TX wired to RX, RTS to CTS, DTR to DSR and DCD (pyserial's loop://)."""

    connected = True

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.dtr = self.rts = False

    def write(self, data: bytes) -> int:
        self.buffer += data
        return len(data)

    def read(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data

    def get_modem(self) -> tuple[bool, bool, bool, bool]:
        return (self.rts, self.dtr, False, self.dtr)
