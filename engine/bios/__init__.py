"""Our BIOS: a small ROM of stubs (rom.asm, assembled to rom.bin) whose services run on the
host (video.py, disk.py, keyboard.py, system.py). See rom.asm for the trap protocol."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.bios import layout
from engine.bios.disk import DiskService
from engine.bios.keyboard import Keyboard
from engine.bios.regs import Regs
from engine.bios.system import System
from engine.bios.video import Video

ROM_PATH = Path(__file__).with_name("rom.bin")


def rom_image() -> bytes:
    return ROM_PATH.read_bytes()


class Bios:
    """Answers the ROM's traps. Attached to the bus at the trap ports."""

    PORTS = [(layout.TRAP_VECTOR, layout.TRAP_POST)]

    def __init__(self, machine: Any) -> None:
        self.machine = machine
        self.bus = machine.bus
        self.regs = Regs(machine.cpu)
        self.video = Video(self, mda=machine.config.display == "mda")
        self.disk = DiskService(self)
        self.keyboard = Keyboard(self)
        self.system = System(self)
        s = self.system
        self.handlers = {0x09: self.keyboard.int09, 0x10: self.video.int10,
                         0x11: s.int11, 0x12: s.int12, 0x13: self.disk.int13, 0x14: s.int14,
                         0x15: s.int15, 0x17: s.int17, 0x18: s.no_boot, 0x19: s.boot,
                         0x1A: s.int1a}

    def read(self, port: int, width: int = 1) -> int:
        return 0xFF

    def write(self, port: int, value: int, width: int = 1) -> None:
        r = self.regs
        if port == layout.TRAP_VECTOR:
            vector = layout.stub_vector(r.ip)
            handler = self.handlers.get(vector) if vector is not None else None
            if handler is not None:
                handler(r)
            elif vector is not None and (8 <= vector <= 0x0F):
                self.bus.port_write(0x20, 0x20, 1)     # an IRQ nobody serves: EOI it
        elif port == layout.TRAP_INT16:
            self.keyboard.int16(r)
        elif port == layout.TRAP_INT08:
            self.system.int08(r)
        elif port == layout.TRAP_POST:
            self.system.post(r)

    # the device contract, for the bus
    def reset(self) -> None:
        pass

    def get_state(self) -> dict:
        return {"e0": self.keyboard.e0, "alt_number": self.keyboard.alt_number}

    def set_state(self, state: dict) -> None:
        self.keyboard.e0 = state.get("e0", False)
        self.keyboard.alt_number = state.get("alt_number", 0)
