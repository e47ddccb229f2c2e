"""QEMU-compatible debug devices: isa-debug-exit (port F4h) and the debug console (E9h).

Why: guest test programs end a run with an exit code and print diagnostics without any video
or serial setup, exactly as under ``qemu -device isa-debug-exit -debugcon``; our system tests
and the headless CLI rely on both.

- A byte V written to the exit port calls ``on_exit((V << 1) | 1)``: QEMU's exit status
  convention (always odd, so it can never look like a clean 0). A word write to the exit port
  (QEMU's iosize=2) passes the full 16-bit value. Reads of the exit port float (0xFF).
- Bytes written to E9h go to ``sink(bytes)``; reading E9h returns 0xE9 so a guest can detect
  the device, as on QEMU and Bochs.

Public API:
    dbg = DebugPorts(exit_port=0xF4, console_port=0xE9, on_exit=None, sink=None)
    dbg.on_exit = callable(code: int)   # e.g. machine stops and returns code
    dbg.sink = callable(data: bytes)    # e.g. write to stderr or a log
    dbg.exit_code -> int | None         # last exit code requested
    PORTS = [(exit_port, exit_port+1), (console_port, console_port)]; WORD_IO = True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.chips.base import Chip


class DebugPorts(Chip):
    """isa-debug-exit + debugcon (see module docstring)."""

    name = "debug"
    WORD_IO = True

    def __init__(
        self,
        exit_port: int = 0xF4,
        console_port: int = 0xE9,
        *,
        on_exit: Callable[[int], None] | None = None,
        sink: Callable[[bytes], None] | None = None,
        name: str = "debug",
    ) -> None:
        super().__init__()
        self.name = name
        self.exit_port = exit_port
        self.console_port = console_port
        self.PORTS = [(exit_port, exit_port + 1), (console_port, console_port)]
        self.on_exit = on_exit
        self.sink = sink
        self.reset()

    def reset(self) -> None:
        self.exit_code: int | None = None

    def read(self, port: int, width: int = 1) -> int:
        if port == self.console_port:
            return 0xE9 if width == 1 else 0xFFE9
        return 0xFF if width == 1 else 0xFFFF

    def write(self, port: int, value: int, width: int = 1) -> None:
        if port == self.console_port:
            if self.sink is not None:
                self.sink(bytes([value & 0xFF]))
            return
        if port == self.exit_port:
            value &= 0xFF if width == 1 else 0xFFFF
            self.exit_code = (value << 1) | 1
            if self.on_exit is not None:
                self.on_exit(self.exit_code)
        # exit_port + 1 alone (a byte write to F5h) is not the exit register: ignored.

    def get_state(self) -> dict[str, Any]:
        return {"exit_code": self.exit_code}

    def set_state(self, state: dict[str, Any]) -> None:
        self.exit_code = state["exit_code"]
