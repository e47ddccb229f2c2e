"""The XT motherboard's 8255 PPI (ports 60h-63h): keyboard register, switches, port 61h.

On the XT the 8255 runs in mode 0 with port A and C as inputs and port B as an output latch
(the BIOS writes 99h to the mode register), and everything behind those ports is board wiring:
port A shows the keyboard register, port B drives the PIT's GATE2, the speaker, the keyboard
clock and clear lines and the parity/IO-check enables, port C reads half of the configuration
switch block, the PIT's OUT2 and the NMI sources. The chip takes those as duck-typed
collaborators, so it imports nothing else.

Port map (IBM 5160):
    60h read  : keyboard register (``keyboard.read_data()``); with ``model="5150"`` and port B
                bit 7 set, the SW1 switch block instead (the 5150 wiring)
    61h r/w   : port B latch. bit0 GATE2 -> ``timer.set_gate(2, b)``; bit1 speaker data;
                bit2 5150: select SW2 nibble; bit3 5160: 1 = high nibble of SW1 on port C;
                bit4 RAM parity check disable; bit5 I/O channel check disable;
                bit6 keyboard clock (0 holds it low) -> ``keyboard.set_clock(b)``;
                bit7 keyboard clear/acknowledge -> ``keyboard.set_clear(b)``
    62h read  : bits 0-3 one nibble of the switches; bit5 ``timer.out(2)``; bit6 I/O channel
                check; bit7 parity error (both from ``io_check``/``parity_error`` attributes)
    63h write : mode register (stored; bit-set/reset of port C ignored: C is an input here)

API:
    ppi = XTSystemPPI(base=0x60, switches=0x6D, keyboard=kbd, timer=pit, model="5160")
    ppi.port_b -> int (0x40 after reset: keyboard clock released; a BIOS must keep bit 6
                 set, and pulse bit 7 to acknowledge each key) ; ppi.speaker_enabled -> bool (GATE2 and speaker data both on)
    ppi.speaker_frequency() -> float | None   (Hz, from timer.frequency(2) when enabled)
    ppi.switches (int, SW1 bits as the equipment word: bit0 IPL floppy, bit1 8087,
                  bits 2-3 RAM banks, bits 4-5 display 01=CGA40 10=CGA80 11=MDA,
                  bits 6-7 floppy drives - 1)
    reset() ; get_state() ; set_state()
"""

from __future__ import annotations

from typing import Any

from engine.chips.base import Chip

DEFAULT_SWITCHES = 0x2D  # IPL floppy, 4 banks (640K), CGA 80x25, one floppy drive
POWER_ON_PORT_B = 0x40  # keyboard clock released, everything else off


class XTSystemPPI(Chip):
    """8255 PPI with the IBM XT's port A/B/C wiring (see module docstring)."""

    name = "ppi"

    def __init__(
        self,
        base: int = 0x60,
        *,
        switches: int = DEFAULT_SWITCHES,
        keyboard: Any = None,
        timer: Any = None,
        model: str = "5160",
        name: str = "ppi",
    ) -> None:
        super().__init__()
        if model not in ("5150", "5160"):
            raise ValueError(f"PPI model {model!r}: expected '5150' or '5160'")
        if not 0 <= switches <= 0xFF:
            raise ValueError(f"switches {switches!r}: expected a byte (0..255)")
        self.base = base
        self.name = name
        self.PORTS = [(base, base + 3)]
        self.switches = switches
        self.switches2 = 0  # 5150 SW2 (memory size); unused on the 5160
        self.keyboard = keyboard
        self.timer = timer
        self.model = model
        self.io_check = False
        self.parity_error = False
        self.speaker: Any = None  # set_data(on): bit 1, told before GATE2 (bit 0) changes
        self.reset()

    def reset(self) -> None:
        # Port B comes up with the keyboard clock released (bit 6), so a BIOS that never
        # touches 61h still gets keys; a mode-register write clears it like the real 8255A.
        self.mode = 0x99
        self.port_b = 0
        self._apply_port_b(POWER_ON_PORT_B, force=True)

    # -- derived state ------------------------------------------------------------------
    @property
    def speaker_enabled(self) -> bool:
        return (self.port_b & 0x03) == 0x03

    def speaker_frequency(self) -> float | None:
        if not self.speaker_enabled or self.timer is None:
            return None
        return self.timer.frequency(2)

    # -- ports --------------------------------------------------------------------------
    def read(self, port: int, width: int = 1) -> int:
        idx = (port - self.base) & 3
        if idx == 0:
            if self.model == "5150" and self.port_b & 0x80:
                return self.switches
            return self.keyboard.read_data() & 0xFF if self.keyboard is not None else 0
        if idx == 1:
            return self.port_b
        if idx == 2:
            return self._port_c()
        return 0xFF  # the mode register cannot be read back on the 8255A

    def _port_c(self) -> int:
        if self.model == "5160":
            nibble = (self.switches >> 4) if self.port_b & 0x08 else self.switches
        else:
            nibble = (self.switches2 >> 4) if self.port_b & 0x04 else self.switches2
        value = nibble & 0x0F
        if self.timer is not None and self.timer.out(2):
            value |= 0x20
        if self.io_check:
            value |= 0x40
        if self.parity_error:
            value |= 0x80
        return value

    def write(self, port: int, value: int, width: int = 1) -> None:
        value &= 0xFF
        idx = (port - self.base) & 3
        if idx == 1:
            self._apply_port_b(value)
        elif idx == 3:
            if value & 0x80:
                self.mode = value
                # A mode set clears the output latches, as on the 8255A.
                self._apply_port_b(0)
        # Writes to the input ports A and C have no effect.

    def _apply_port_b(self, value: int, force: bool = False) -> None:
        old = self.port_b
        self.port_b = value
        changed = (old ^ value) | (0xFF if force else 0)
        if self.speaker is not None and changed & 0x03:
            self.speaker.set_data(bool(value & 0x02))
        if self.timer is not None and changed & 0x01:
            self.timer.set_gate(2, bool(value & 0x01))
        if self.keyboard is not None:
            if changed & 0x40:
                self.keyboard.set_clock(bool(value & 0x40))
            if changed & 0x80:
                self.keyboard.set_clear(bool(value & 0x80))

    # -- state --------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {
            "mode": self.mode, "port_b": self.port_b, "switches": self.switches,
            "switches2": self.switches2, "io_check": self.io_check,
            "parity_error": self.parity_error,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore the latch without replaying its side effects: the keyboard and timer
        restore their own state (their gate/clock/clear inputs are part of it)."""
        for key in ("mode", "port_b", "switches", "switches2", "io_check", "parity_error"):
            setattr(self, key, state[key])
