"""A backend over a byte stream that may block, disconnect and come back: the shape shared by
ptys, TCP clients and pyserial ports.

The UART calls ``read``/``write`` from the emulation thread, which must never block, so an
I/O thread does the blocking work between two bounded buffers:
- host -> guest: the I/O thread reads only while the incoming buffer has room (IN_BUFFER,
  64 KiB). When the guest is slower, the buffer fills and we stop reading: the kernel's own
  buffers fill next and the sender is held back (back-pressure) — nothing is dropped.
- guest -> host: ``write`` accepts only what fits in the outgoing buffer (OUT_BUFFER); when
  the host side is slow the UART keeps the byte and shows its transmitter busy (LSR), so
  the guest waits instead of losing bytes.
  A port with no flow control of its own (a serial device: its kernel buffer is small and
  overflows silently) is read on regardless (``drop_when_full``): what does not fit is
  dropped here, where it is counted (``dropped``) and reported, and the port's RTS is
  lowered meanwhile (``_throttle``), which holds back a peer that uses RTS/CTS.
While no peer is connected (a TCP server before its first client or between clients, a pty
no one has open, a device not plugged in yet) the guest's output is kept for the next peer
in a bounded buffer (HOLD_BUFFER, 64 KiB), delivered to it first; when that is full the
oldest bytes go and are counted in ``discarded`` (shown by `xtbox vm status`). The guest is
never held back meanwhile.
"""

from __future__ import annotations

import threading
import time

from engine.chips.serial_backend import SerialBackend

IN_BUFFER = 64 * 1024
OUT_BUFFER = 16 * 1024
HOLD_BUFFER = 64 * 1024     # the guest's output kept while no peer is connected
RETRY = 1.0


class StreamBackend(SerialBackend):
    """Subclasses implement _connect() -> bool, _recv(n) -> bytes | None (None: the peer went
    away; b"": nothing within a short wait, ~20 ms, which is also the thread's idle pace),
    _send(data) -> int | None, _disconnect(), and may override the line and modem hooks."""

    label = "stream"
    drop_when_full = False
    retry = RETRY              # seconds between two tries at connecting

    def __init__(self) -> None:
        self.connected = False
        self.detail = ""
        self.discarded = 0
        self.dropped = 0
        self.throttled = False
        self.on_state = None  # on_state(connected, detail) when a peer comes or goes
        self.on_drop = None  # on_drop(total, final=False): after a drop (I/O thread) and at close
        self._in = bytearray()
        self._out = bytearray()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self._reconnect = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"serial-{self.label}",
                                        daemon=True)
        self._thread.start()

    # ---- UART side (emulation thread; never blocks) ----------------------------------------
    def write(self, data: bytes) -> int:
        with self._lock:
            if not self.connected:
                self._out += data
                self._trim()
                return len(data)
            room = OUT_BUFFER - len(self._out)
            taken = data[:max(room, 0)]
            self._out += taken
        if taken:
            self._wake.set()
        return len(taken)

    def _trim(self) -> None:
        """Keep at most HOLD_BUFFER bytes for the next peer: the newest (lock held)."""
        excess = len(self._out) - HOLD_BUFFER
        if excess > 0:
            del self._out[:excess]
            self.discarded += excess

    def read(self) -> bytes:
        with self._lock:
            if not self._in:
                return b""
            data = bytes(self._in)
            self._in.clear()
        self._wake.set()                  # room again: the I/O thread may read more
        return data

    def close(self) -> None:
        # What the guest sent last goes out first (the VM powering off after its last byte),
        # as long as a peer takes it within a second.
        deadline = time.monotonic() + 1.0
        while self.connected and self._out and time.monotonic() < deadline:
            self._wake.set()
            time.sleep(0.01)
        self._closing = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._disconnect()
        self.connected = False
        if self.dropped and self.on_drop is not None:
            self.on_drop(self.dropped, final=True)

    def get_modem(self) -> tuple[bool, bool, bool, bool]:
        """A stream has no modem lines of its own: CTS, DSR and DCD read as asserted (as QEMU
        shows them for such backends), so a guest that checks them before sending (the
        BIOS's INT 14h) may send. Backends with real lines override this."""
        return (True, True, False, True)

    def status(self) -> dict:
        return {"connected": self.connected, "detail": self.detail,
                "held": 0 if self.connected else len(self._out),
                "discarded": self.discarded, "dropped": self.dropped}

    # ---- the I/O thread --------------------------------------------------------------------
    def reconnect(self) -> None:
        """Let go of the peer and connect again now (a device is reopened; a TCP server lets
        its client go and accepts the next one)."""
        self._reconnect = True
        self._wake.set()

    def _run(self) -> None:
        while not self._closing:
            if self._reconnect:
                self._reconnect = False
                if self.connected:
                    self._lost()
            if not self.connected:
                if self._connect():
                    self.connected = True
                    if self.on_state is not None:
                        self.on_state(True, self.detail)
                    continue
                self._wake.wait(self.retry)
                self._wake.clear()
                continue
            moved = False
            with self._lock:
                pending = bytes(self._out)
                room = IN_BUFFER - len(self._in)
            if pending:
                sent = self._send(pending)
                if sent is None:
                    self._lost()
                    continue
                if sent:
                    with self._lock:
                        del self._out[:sent]
                    moved = True
            if self.drop_when_full:
                limit = IN_BUFFER // 2 if self.throttled else IN_BUFFER // 4
                if self.throttled != (room < limit):      # hysteresis: 3/4 full .. 1/2 full
                    self.throttled = not self.throttled
                    self._throttle(self.throttled)
            if room > 0 or self.drop_when_full:
                data = self._recv(min(room, 4096) if room > 0 else 4096)
                if data is None:
                    self._lost()
                    continue
                if data:
                    self._deliver(data)
                    moved = True
            if not moved and room <= 0:
                self._wake.wait(0.05)         # the guest has not caught up: wait for read()
                self._wake.clear()

    def _room(self) -> int:
        with self._lock:
            return IN_BUFFER - len(self._in)

    def _deliver(self, data: bytes) -> None:
        """Host bytes for the guest (I/O thread): what does not fit is dropped and counted
        (only a port read on when full, ``drop_when_full``, ever brings more than fits)."""
        with self._lock:
            kept = data[:max(IN_BUFFER - len(self._in), 0)]
            self._in += kept
        if kept and self.on_input is not None:
            self.on_input()
        if len(kept) < len(data):
            self.dropped += len(data) - len(kept)
            if self.on_drop is not None:
                self.on_drop(self.dropped)

    def _lost(self) -> None:
        self.connected = False
        if self.on_state is not None:
            self.on_state(False, self.detail)
        self._disconnect()
        with self._lock:
            self._trim()                  # what the peer did not take waits for the next one
        time.sleep(0.01)

    # ---- to implement ----------------------------------------------------------------------
    def _connect(self) -> bool:
        raise NotImplementedError

    def _recv(self, n: int) -> bytes | None:
        raise NotImplementedError

    def _send(self, data: bytes) -> int | None:
        raise NotImplementedError

    def _disconnect(self) -> None:
        pass

    def _throttle(self, on: bool) -> None:
        """Hold the peer back (RTS low) while our input buffer is nearly full."""
