"""Motorola 6845 CRT controller: the index/data register pair of the MDA and CGA.

Only the registers software reads back or that change what a text console shows matter to us:
R10/R11 cursor start/end scan line (R10 bits 5-6: 00 steady, 01 cursor off, 10/11 blink),
R12/R13 display start address, R14/R15 cursor address. The timing registers R0-R9 are stored
(programs write all sixteen) and R1/R6 give the displayed columns/rows. As on the
IBM cards, R12-R15 read back, R16/R17 are the (never triggered) light-pen latch, and the
write-only registers read as 0.

API: ``crtc = CRTC6845()``; ``crtc.write_index(v)``, ``crtc.write_data(v)``,
``crtc.read_data()``; properties ``start_address``, ``cursor_address``, ``cursor_start``,
``cursor_end``, ``cursor_enabled``, ``columns``, ``rows``; ``regs`` (list of 18 ints);
``reset()``, ``get_state()``, ``set_state()``. The adapters (engine/chips/cga.py, mda.py) map
it on their ports.
"""

from __future__ import annotations

from typing import Any

# Bits each register implements (the rest read back as 0).
_MASKS = (
    0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x1F, 0x7F, 0x7F, 0x03, 0x1F,
    0x7F, 0x1F, 0x3F, 0xFF, 0x3F, 0xFF, 0x3F, 0xFF,
)
_READABLE = range(12, 18)


class CRTC6845:
    """The register file of a 6845 (no timing generation: adapters derive that)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.regs = [0] * 18
        self.index = 0

    def write_index(self, value: int) -> None:
        self.index = value & 0x1F

    def write_data(self, value: int) -> None:
        if self.index < 16:  # R16/R17 (light pen) are read-only
            self.regs[self.index] = value & _MASKS[self.index]

    def read_data(self) -> int:
        if self.index in _READABLE:
            return self.regs[self.index]
        return 0

    @property
    def start_address(self) -> int:
        return (self.regs[12] << 8) | self.regs[13]

    @property
    def cursor_address(self) -> int:
        return (self.regs[14] << 8) | self.regs[15]

    @property
    def cursor_start(self) -> int:
        return self.regs[10] & 0x1F

    @property
    def cursor_end(self) -> int:
        return self.regs[11] & 0x1F

    @property
    def cursor_enabled(self) -> bool:
        return (self.regs[10] & 0x60) != 0x20

    @property
    def columns(self) -> int:
        return self.regs[1]

    @property
    def rows(self) -> int:
        return self.regs[6]

    def get_state(self) -> dict[str, Any]:
        return {"regs": list(self.regs), "index": self.index}

    def set_state(self, state: dict[str, Any]) -> None:
        self.regs = list(state["regs"])
        self.index = state["index"]
