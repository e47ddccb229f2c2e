"""A Microsoft serial mouse (with Logitech's third button) at the far end of a UART's cable.

It plugs into a UART (engine/chips/ns16550.py) as its backend, so the guest's driver talks to
it exactly as to a real mouse, through the port registers and at the line's pace:

- Power and reset: the mouse draws its power from the modem-control outputs. When DTR and
  RTS are both asserted after either was off, it resets and announces itself with ``M``
  (``M3`` for the Logitech three-button variant): the detection every DOS driver relies on
  (CuteMouse drops both lines, sets 1200 baud 7N1, waits a timer tick, raises them and looks
  for ``M`` and ``3`` among the first bytes; Microsoft's MOUSE.COM toggles RTS likewise).
  While unpowered it sends nothing and forgets what moved.
- Reports: three 7-bit bytes, ``01LRYYXX 00XXXXXX 00YYYYYY`` (bit 6 marks the first byte;
  X right and Y down positive, two's complement, at most +-127 a report). Logitech adds a
  fourth byte, ``20h`` while the middle button is down and ``00h`` once when it is released.
- Pace: a real mouse accumulates motion while it transmits and sends its next report when the
  line is free; so does this one, from the virtual clock and the line settings the UART gives
  it (9 bits a character at 1200 baud: 7.5 ms, 22.5 ms a report). A button press and release
  shorter than a report are both reported, in order, so no click is lost; motion meanwhile is
  summed, so a backlog never builds up.

``move(dx, dy, buttons)`` is thread-safe (the control server and the console call it); the
UART calls the backend methods from the emulation thread. ``tick``/``next_event`` let the
machine wake a halted guest when the next report is due.
"""

from __future__ import annotations

import threading
from collections import deque

from engine.chips.base import PIT_HZ, Clock
from engine.chips.serial_backend import SerialBackend

LEFT, RIGHT, MIDDLE = 1, 2, 4
BUTTON_NAMES = {"left": LEFT, "right": RIGHT, "middle": MIDDLE}
DEFAULT_LINE = (1200, 7, "N", 1)


def _clamp(v: int) -> int:
    return max(-127, min(127, v))


class SerialMouse(SerialBackend):
    """See the module docstring. ``buttons=3`` is the Logitech variant (ID ``M3``)."""

    connected = True

    def __init__(self, clock: Clock, *, buttons: int = 3) -> None:
        if buttons not in (2, 3):
            raise ValueError(f"mouse buttons {buttons!r}: expected 2 or 3")
        self.clock = clock
        self.three_buttons = buttons == 3
        self.line = DEFAULT_LINE
        self.dtr = self.rts = False
        self.powered = False
        self.resets = 0          # times the driver powered the mouse up (detection)
        self.reports = 0         # reports sent
        self._lock = threading.Lock()
        self._dx = self._dy = 0
        self._buttons = 0                           # the state last set by move()
        self._changes: deque[int] = deque()         # button states not yet reported
        self._reported = 0                          # buttons in the last report
        self._pending = bytearray()                 # the ID, waiting for the line
        self._free_at = 0                           # when the line is free again
        self.on_reschedule = None                   # the machine's wire (TimedDevice)

    # ---- the host's side (any thread) ------------------------------------------------------
    def move(self, dx: int, dy: int, buttons: int | None = None) -> None:
        """Relative motion in mouse counts (mickeys) and, if given, the buttons held now
        (LEFT | RIGHT | MIDDLE bits)."""
        with self._lock:
            if not self.powered:
                return
            self._dx += int(dx)
            self._dy += int(dy)
            if buttons is not None and buttons != self._buttons:
                self._buttons = buttons & 7
                self._changes.append(self._buttons)
        # No on_reschedule here: this is the host's thread, and a stop requested from it
        # could land after the machine, woken by Machine.mouse_event, had ticked the UART
        # (which raised IRQ 4 for the report's first byte): the CPU, halted and told to stop,
        # ran nothing, and the machine slept on to the next timer tick with the interrupt
        # pending (each report up to 55 ms late). The wake is the machine's to do.

    # ---- timing ----------------------------------------------------------------------------
    def char_time(self) -> int:
        baud, bits, parity, stop = self.line
        frame = 1 + bits + (0 if parity == "N" else 1) + stop
        return max(1, frame * PIT_HZ // max(baud, 1))

    def _due(self) -> bool:
        return bool(self._pending or self._changes or self._dx or self._dy)

    # ---- the device contract ---------------------------------------------------------------
    def reset(self) -> None:
        """Power-on: the driver must raise DTR and RTS again (the UART's reset drops them)."""
        self.set_modem(False, False)

    def get_state(self) -> dict:
        with self._lock:
            return {"line": list(self.line), "dtr": self.dtr, "rts": self.rts,
                    "powered": self.powered, "dx": self._dx, "dy": self._dy,
                    "buttons": self._buttons, "changes": list(self._changes),
                    "reported": self._reported, "pending": bytes(self._pending),
                    "free_at": self._free_at}

    def set_state(self, state: dict) -> None:
        with self._lock:
            self.line = tuple(state["line"])
            self.dtr, self.rts, self.powered = state["dtr"], state["rts"], state["powered"]
            self._dx, self._dy, self._buttons = state["dx"], state["dy"], state["buttons"]
            self._changes = deque(state["changes"])
            self._reported = state["reported"]
            self._pending = bytearray(state["pending"])
            self._free_at = state["free_at"]

    def tick(self, now: int) -> None:
        """Nothing to do by itself: the UART polls ``read``."""

    def next_event(self, now: int) -> int | None:
        """When the next report may go out (so a halted guest is woken for it)."""
        with self._lock:
            if not self.powered or not self._due():
                return None
            return max(self._free_at, now)

    # ---- the UART's side -------------------------------------------------------------------
    def set_line(self, baud: int, bits: int, parity: str, stop: int) -> None:
        self.line = (baud, bits, parity, stop)

    def set_modem(self, dtr: bool, rts: bool) -> None:
        self.dtr, self.rts = dtr, rts
        powered = dtr and rts
        if powered == self.powered:
            return
        with self._lock:
            self.powered = powered
            self._dx = self._dy = 0
            self._changes.clear()
            self._reported = self._buttons = 0
            self._pending = bytearray(b"M3" if self.three_buttons else b"M") if powered \
                else bytearray()
            if powered:
                self.resets += 1
                self._free_at = self.clock()

    def get_modem(self) -> tuple[bool, bool, bool, bool]:
        # CTS and DSR follow the mouse's power (the lines are bridged in the plug).
        return (self.powered, self.powered, False, False)

    def read(self) -> bytes:
        now = self.clock()
        with self._lock:
            if not self.powered or now < self._free_at or not self._due():
                return b""
            if self._pending:
                data = bytes(self._pending)
                self._pending.clear()
            else:
                data = self._report()
            self._free_at = now + len(data) * self.char_time()
            return data

    def _report(self) -> bytes:
        buttons = self._changes.popleft() if self._changes else self._buttons
        dx, dy = _clamp(self._dx), _clamp(self._dy)
        self._dx -= dx
        self._dy -= dy
        x, y = dx & 0xFF, dy & 0xFF
        first = 0x40 | ((buttons & LEFT) << 5) | ((buttons & RIGHT) << 3) \
            | ((y >> 4) & 0x0C) | (x >> 6)
        data = bytearray((first, x & 0x3F, y & 0x3F))
        if self.three_buttons:
            if buttons & MIDDLE:
                data.append(0x20)
            elif self._reported & MIDDLE:
                data.append(0x00)
        self._reported = buttons
        self.reports += 1
        return bytes(data)

    def status(self) -> dict:
        return {"connected": True, "detail": "Microsoft serial mouse"
                + (" (Logitech 3-button)" if self.three_buttons else "")
                + ("" if self.powered else ", not powered by the driver"),
                "resets": self.resets, "reports": self.reports}


def parse_buttons(names: str | list[str] | int | None) -> int:
    """Buttons as bits, from ``"left,right"``, a list of names or an int; None is 0."""
    if names is None or names == "":
        return 0
    if isinstance(names, int) and not isinstance(names, bool):
        if not 0 <= names <= 7:
            raise ValueError(f"buttons {names!r}: expected bits 0-7 (1 left, 2 right, 4 middle)")
        return names
    items = names.split(",") if isinstance(names, str) else names
    bits = 0
    for item in items:
        key = str(item).strip().lower()
        if key not in BUTTON_NAMES:
            raise ValueError(f"mouse button {item!r}: expected left, right or middle")
        bits |= BUTTON_NAMES[key]
    return bits
