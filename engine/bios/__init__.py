"""Our BIOS: a small ROM of stubs (rom.asm, assembled to rom.bin) whose services run on the
host (video.py, disk.py, keyboard.py, serial.py, system.py). See rom.asm for the trap protocol
and waits.py for services that wait for hardware in guest time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.bios import layout
from engine.bios.disk import DiskService
from engine.bios.keyboard import Keyboard
from engine.bios.printer import PrinterService
from engine.bios.regs import Regs
from engine.bios.serial import SerialService
from engine.bios.system import System
from engine.bios.video import Video
from engine.bios.waits import Waits

ROM_PATH = Path(__file__).with_name("rom.bin")

# Services that only read memory and registers (and write back the same each time): a loop
# calling them is still a pure loop to the idle spin detector (engine/idle.py), so their trap
# is not counted as I/O. Keyed by (vector, AH); AH None for any.
PURE_SERVICES = {(0x11, None), (0x12, None), (0x16, 0x02), (0x16, 0x12), (0x1A, 0x00),
                 (0x28, None), (0x2F, None)}


def rom_image() -> bytes:
    return ROM_PATH.read_bytes()


class Bios:
    """Answers the ROM's traps. Attached to the bus at the trap ports."""

    PORTS = [(layout.TRAP_VECTOR, layout.TRAP_WAIT)]
    WAITING = frozenset({0x14, 0x17})     # services that may wait for hardware (waits.py)

    def __init__(self, machine: Any) -> None:
        self.machine = machine
        self.bus = machine.bus
        self.regs = Regs(machine.cpu)
        self.video = Video(self, mda=machine.config.display == "mda")
        self.disk = DiskService(self)
        self.keyboard = Keyboard(self)
        self.system = System(self)
        self._in_service = False
        self.failures = 0                     # exceptions the safety net caught (tests: 0)
        self._reported: set[tuple[str, str, int]] = set()
        self.serial = SerialService(self)
        self.printer = PrinterService(self)
        self.waits = Waits(self)
        s = self.system
        self.handlers = {0x09: self.keyboard.int09, 0x10: self.video.int10,
                         0x11: s.int11, 0x12: s.int12, 0x13: self.disk.int13,
                         0x14: self.serial.int14,
                         0x15: s.int15, 0x17: self.printer.int17, 0x18: s.no_boot, 0x19: s.boot,
                         0x1A: s.int1a, 0x2F: s.int2f}

    def read(self, port: int, width: int = 1) -> int:
        return 0xFF

    def write(self, port: int, value: int, width: int = 1) -> None:
        # A service drives ports whose numbers come from the guest (COM and LPT bases in the
        # BDA): one that lands on a trap port must not re-enter the BIOS.
        if self._in_service:
            return
        self._in_service = True
        try:
            self._dispatch(port)
        except Exception as exc:
            self._service_failed(port, exc)
        finally:
            self._in_service = False

    def _dispatch(self, port: int) -> None:
        r = self.regs
        ah = r.ah
        if port == layout.TRAP_VECTOR:
            vector = layout.stub_vector(r.ip)
            if (vector, None) in PURE_SERVICES or (vector, ah) in PURE_SERVICES:
                self.bus.io_count -= 1
            handler = self.handlers.get(vector) if vector is not None else None
            if handler is not None:
                if vector in self.WAITING:
                    self.waits.call(r, vector, handler)
                else:
                    handler(r)
            elif vector is not None and (8 <= vector <= 0x0F):
                self.bus.port_write(0x20, 0x20, 1)     # an IRQ nobody serves: EOI it
        elif port == layout.TRAP_INT16:
            if (0x16, ah) in PURE_SERVICES:
                self.bus.io_count -= 1
            self.keyboard.int16(r)
        elif port == layout.TRAP_INT08:
            self.system.int08(r)
        elif port == layout.TRAP_WAIT:
            self.waits.retry(r, self.handlers)
        elif port == layout.TRAP_POST:
            self.system.post(r)

    def _service_failed(self, port: int, exc: Exception) -> None:
        """The last line of defence: every service treats guest data as untrusted (the fuzz
        tests in tests/engine/bios/ hold them to it), but a slip must still cost the guest a
        failed call (CF set, AH=01h "bad command"), not the VM its life. Logged once per
        place, with the traceback, so it can be fixed."""
        import traceback
        where = traceback.extract_tb(exc.__traceback__)[-1]
        key = (type(exc).__name__, where.filename, where.lineno)
        self.failures += 1
        if key not in self._reported:
            self._reported.add(key)
            self.machine.log(f"BIOS service error (port {port:#x}, IP {self.regs.ip:#06x}), "
                             f"reported to the guest as a failed call: "
                             + "".join(traceback.format_exception(exc)).strip())
        try:
            self.regs.set(ah=0x01)
            self.regs.carry(True)
        except Exception:
            pass

    # the device contract, for the bus and the machine's clock (the waits' wake-ups)
    def tick(self, now: int) -> None:
        self.waits.tick(now)

    def next_event(self, now: int) -> int | None:
        return self.waits.next_event(now)

    def reset(self) -> None:
        self.waits.reset()

    def get_state(self) -> dict:
        return {"e0": self.keyboard.e0, "alt_number": self.keyboard.alt_number,
                "waits": self.waits.get_state()}

    def set_state(self, state: dict) -> None:
        self.keyboard.e0 = state.get("e0", False)
        self.keyboard.alt_number = state.get("alt_number", 0)
        self.waits.set_state(state.get("waits", {}))
