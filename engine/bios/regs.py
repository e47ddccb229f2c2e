"""Register and memory access for the host-side BIOS services (a thin layer over the CPU)."""

from __future__ import annotations

from typing import Any

CF, ZF, IF = 0x0001, 0x0040, 0x0200


class Regs:
    """The caller's registers as a service sees them, and its stacked FLAGS word.

    When a stub traps, the INT has pushed FLAGS, CS and IP: SS:SP+4 is the FLAGS the IRET will
    restore, so results in CF/ZF are written there."""

    def __init__(self, cpu: Any) -> None:
        self.cpu = cpu
        self.mem = cpu.mem

    def __getattr__(self, name: str) -> int:
        return self.cpu.get_reg(name)

    def set(self, **values: int) -> None:
        for name, value in values.items():
            self.cpu.set_reg(name, value)

    def _flags_addr(self) -> int:
        ss, sp = self.cpu.get_reg("ss"), self.cpu.get_reg("sp")
        return ((ss << 4) + ((sp + 4) & 0xFFFF)) & 0xFFFFF

    def set_return_flag(self, mask: int, on: bool) -> None:
        a = self._flags_addr()
        flags = self.mem[a] | self.mem[(a + 1) & 0xFFFFF] << 8
        flags = flags | mask if on else flags & ~mask
        self.mem[a] = flags & 0xFF
        self.mem[(a + 1) & 0xFFFFF] = flags >> 8

    def carry(self, on: bool) -> None:
        self.set_return_flag(CF, on)

    def zero(self, on: bool) -> None:
        self.set_return_flag(ZF, on)

    def live_carry(self, on: bool) -> None:
        """CF in the live flags (the stub itself tests it, e.g. INT 16h's wait loop)."""
        f = self.cpu.get_reg("flags")
        self.cpu.set_reg("flags", f | CF if on else f & ~CF)

    # memory helpers ----------------------------------------------------------------------
    def rb(self, addr: int) -> int:
        return self.mem[addr & 0xFFFFF]

    def wb(self, addr: int, value: int) -> None:
        self.mem[addr & 0xFFFFF] = value & 0xFF

    def rw(self, addr: int) -> int:
        return self.mem[addr & 0xFFFFF] | self.mem[(addr + 1) & 0xFFFFF] << 8

    def ww(self, addr: int, value: int) -> None:
        self.mem[addr & 0xFFFFF] = value & 0xFF
        self.mem[(addr + 1) & 0xFFFFF] = (value >> 8) & 0xFF

    def read_block(self, seg: int, off: int, length: int) -> bytes:
        start = (seg << 4) + off
        if start + length <= 0x100000:
            return bytes(self.mem[start:start + length])
        return bytes(self.mem[(start + i) & 0xFFFFF] for i in range(length))

    def write_block(self, seg: int, off: int, data: bytes) -> None:
        start = (seg << 4) + off
        if start + len(data) <= 0x100000:
            self.mem[start:start + len(data)] = data
        else:
            for i, b in enumerate(data):
                self.mem[(start + i) & 0xFFFFF] = b
