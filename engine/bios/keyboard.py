"""INT 09h (the keyboard IRQ: scancode to ASCII into the BDA buffer) and INT 16h."""

from __future__ import annotations

from typing import Any

from engine.bios import bda, layout
from engine.bios.regs import Regs

# Scancode set 1, US layout: (normal, shifted) ASCII for 02h..35h and 39h.
_ROWS = {
    0x02: "1!2@3#4$5%6^7&8*9(0)-_=+",
    0x10: "qQwWeErRtTyYuUiIoOpP[{]}",
    0x1E: "aAsSdDfFgGhHjJkKlL;:'\"`~",
    0x2B: "\\|zZxXcCvVbBnNmM,<.>/?",
}
ASCII: dict[int, tuple[int, int]] = {}
for _start, _pairs in _ROWS.items():
    for _i in range(0, len(_pairs), 2):
        ASCII[_start + _i // 2] = (ord(_pairs[_i]), ord(_pairs[_i + 1]))
ASCII.update({0x01: (0x1B, 0x1B), 0x0E: (0x08, 0x08), 0x0F: (0x09, 0x00), 0x1C: (0x0D, 0x0D),
              0x39: (0x20, 0x20), 0x37: (ord("*"), ord("*")), 0x4A: (ord("-"), ord("-")),
              0x4E: (ord("+"), ord("+"))})
KEYPAD_DIGITS = {0x47: 7, 0x48: 8, 0x49: 9, 0x4B: 4, 0x4C: 5, 0x4D: 6, 0x4F: 1, 0x50: 2,
                 0x51: 3, 0x52: 0}
# IBM's Ctrl table for the cursor keys (keypad or grey): Home Left Right End PgDn PgUp.
CTRL_CURSOR = {0x47: 0x77, 0x4B: 0x73, 0x4D: 0x74, 0x4F: 0x75, 0x51: 0x76, 0x49: 0x84}
# Shift-state bits in 40:17h.
RSHIFT, LSHIFT, CTRL, ALT, SCROLL, NUM, CAPS, INSERT = (1 << i for i in range(8))
_TOGGLES = {0x46: SCROLL, 0x45: NUM, 0x3A: CAPS}
HOLD = 0x08                  # 40:18h bit 3: paused (Ctrl+NumLock)


class Keyboard:
    def __init__(self, bios: Any) -> None:
        self.bios = bios
        self.alt_number = 0
        self.e0 = False

    # ---- the BDA ring buffer ---------------------------------------------------------------
    def _push(self, r: Regs, word: int) -> bool:
        head, tail = r.rw(bda.KBD_HEAD), r.rw(bda.KBD_TAIL)
        nxt = tail + 2
        if nxt >= r.rw(bda.KBD_BUF_STOP) or nxt >= 0x100:
            nxt = r.rw(bda.KBD_BUF_START) or bda.KBD_BUFFER
        if nxt == head:
            return False                              # full: the IBM BIOS beeps
        r.ww(0x400 + tail, word)
        r.ww(bda.KBD_TAIL, nxt)
        return True

    def buffer_room(self) -> bool:
        """Whether the BDA buffer can take another key (the keyboard paces a paste by it).

        The buffer's bounds are guest-writable words; a buffer of no size (or a negative
        one) has room as long as INT 09h's own full test says so."""
        r = self.bios.regs
        head, tail = r.rw(bda.KBD_HEAD), r.rw(bda.KBD_TAIL)
        size = (r.rw(bda.KBD_BUF_STOP) or 0x3E) - (r.rw(bda.KBD_BUF_START) or 0x1E)
        if size <= 0:
            return head != tail + 2
        return (tail - head) % size < 2 * 12

    # ---- INT 09h ---------------------------------------------------------------------------
    def int09(self, r: Regs) -> None:
        bus = self.bios.bus
        code = bus.port_read(0x60, 1)
        port_b = bus.port_read(0x61, 1)
        bus.port_write(0x61, port_b | 0x80, 1)        # XT acknowledge: pulse bit 7
        bus.port_write(0x61, port_b & 0x7F, 1)
        tail = self.translate(r, code)
        bus.port_write(0x20, 0x20, 1)                 # EOI
        if tail is not None:                          # Ctrl+Break or Pause: ROM code next
            r.set(cs=layout.ROM_SEGMENT, ip=tail)

    def translate(self, r: Regs, code: int) -> int | None:
        """Update the BDA for one scancode; the ROM tail INT 09h must run next, if any."""
        if code == 0xE0:
            self.e0 = True
            return
        extended, self.e0 = self.e0, False
        flags = r.rb(bda.KBD_FLAGS1)
        release = code & 0x80
        key = code & 0x7F
        shift_bit = {0x2A: LSHIFT, 0x36: RSHIFT, 0x1D: CTRL, 0x38: ALT}.get(key)
        if extended and key in (0x2A, 0x36):
            return                                    # fake shifts around grey keys
        if shift_bit:
            flags = flags & ~shift_bit if release else flags | shift_bit
            r.wb(bda.KBD_FLAGS1, flags)
            if key == 0x38 and release and self.alt_number:
                self._push(r, self.alt_number & 0xFF)
                self.alt_number = 0
            return
        if release:
            return None
        flags2 = r.rb(bda.KBD_FLAGS2)
        if flags2 & HOLD:                             # paused: the next key ends it, untyped
            if key != 0x45:
                r.wb(bda.KBD_FLAGS2, flags2 & ~HOLD)
            return None
        if flags & CTRL and key == 0x45 and not extended:
            r.wb(bda.KBD_FLAGS2, flags2 | HOLD)       # Pause (Ctrl+NumLock, or E1 1D 45)
            return layout.PAUSE_TAIL
        if flags & CTRL and key == 0x46:              # Ctrl+Break (Ctrl+ScrollLock, E0 46)
            r.ww(bda.KBD_HEAD, r.rw(bda.KBD_BUF_START) or bda.KBD_BUFFER)
            r.ww(bda.KBD_TAIL, r.rw(bda.KBD_BUF_START) or bda.KBD_BUFFER)
            r.wb(bda.BREAK_FLAG, 0x80)
            self._push(r, 0x0000)
            return layout.BREAK_TAIL
        if key in _TOGGLES:
            r.wb(bda.KBD_FLAGS1, flags ^ _TOGGLES[key])
            return
        if key == 0x52 and not flags & (LSHIFT | RSHIFT):
            r.wb(bda.KBD_FLAGS1, flags ^ INSERT)
        shifted = bool(flags & (LSHIFT | RSHIFT))
        if flags & ALT and not extended and key in KEYPAD_DIGITS:
            self.alt_number = (self.alt_number * 10 + KEYPAD_DIGITS[key]) % 256
            return
        if flags & CTRL and flags & ALT and key == 0x53:
            self.bios.machine.request_reset()
            return
        self._push(r, self._word(key, flags, shifted, extended))

    def _word(self, key: int, flags: int, shifted: bool, extended: bool) -> int:
        if extended and key == 0x1C:
            return 0x1C0D
        if extended and key == 0x35:
            return 0x352F
        if key in ASCII:
            normal, upper = ASCII[key]
            ch = upper if shifted else normal
            if flags & CAPS and chr(normal).isalpha():
                ch = normal if shifted else upper
            if flags & ALT:                        # the top row 1..= gives 78h..83h
                return (key + 0x76) << 8 if 0x02 <= key <= 0x0D else key << 8
            if flags & CTRL:
                if chr(normal).isalpha():
                    return (key << 8) | (normal - 0x60)
                ctrl = {0x1C: 0x0A, 0x0E: 0x7F, 0x1A: 0x1B, 0x2B: 0x1C, 0x1B: 0x1D,
                        0x07: 0x1E, 0x0C: 0x1F, 0x01: 0x1B}.get(key)
                return (key << 8) | ctrl if ctrl is not None else key << 8
            return (key << 8) | ch
        if 0x3B <= key <= 0x44:                        # F1-F10
            base = 0x68 if flags & ALT else 0x5E if flags & CTRL else 0x54 if shifted else 0
            return (key - 0x3B + base) << 8 if base else key << 8
        if flags & CTRL and key in CTRL_CURSOR:         # before NumLock, as IBM's
            return CTRL_CURSOR[key] << 8
        if key in KEYPAD_DIGITS and not extended and (bool(flags & NUM) != shifted):
            return (key << 8) | (0x30 + KEYPAD_DIGITS[key])
        if key == 0x53 and not extended and (bool(flags & NUM) != shifted):
            return 0x532E
        if key in (0x57, 0x58):                        # F11/F12 (enhanced codes)
            return (key + 0x2E) << 8
        return key << 8                                # cursor keys etc: scan code, ASCII 0

    # ---- INT 16h ---------------------------------------------------------------------------
    def int16(self, r: Regs) -> None:
        ah = r.ah
        head, tail = r.rw(bda.KBD_HEAD), r.rw(bda.KBD_TAIL)
        if ah in (0x00, 0x10):
            if head == tail:
                r.live_carry(True)                     # the stub HLTs and asks again
                return
            r.set(ax=r.rw(0x400 + head))
            nxt = head + 2
            if nxt >= (r.rw(bda.KBD_BUF_STOP) or 0x3E):
                nxt = r.rw(bda.KBD_BUF_START) or 0x1E
            r.ww(bda.KBD_HEAD, nxt)
        elif ah in (0x02, 0x12):                       # (01h/11h: the ROM answers, int16_peek)
            r.set(al=r.rb(bda.KBD_FLAGS1))
            if ah == 0x12:
                r.set(ah=r.rb(bda.KBD_FLAGS2))
        elif ah == 0x05:                               # store key (AT): CH scan, CL ascii
            r.set(al=0 if self._push(r, r.cx) else 1)
        r.live_carry(False)
