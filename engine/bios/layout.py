"""Fixed addresses in our ROM (engine/bios/rom.asm) and the trap ports its stubs use."""

ROM_SEGMENT = 0xF000
ROM_BASE = 0xF0000
ROM_SIZE = 0x10000

VECTOR_STUBS = 0xE000          # vector N: VECTOR_STUBS + 4 * N
INT16_ENTRY = 0xE400
INT08_ENTRY = 0xE420
DUMMY_IRET = 0xE440
HALT_LOOP = 0xE450
POST_ENTRY = 0xE460
HW_WAIT = 0xE480               # sti; hlt; out TRAP_WAIT; jc HW_WAIT; iret
HW_WAIT_HALTED = HW_WAIT + 2   # IP while halted there
BREAK_TAIL = 0xE490            # int 1Bh; iret (INT 09h after Ctrl+Break)
PAUSE_TAIL = 0xE4A0            # hold until 40:18h bit 3 clears (INT 09h after Pause)
DISKETTE_TABLES = 0xEF00       # one 11-byte parameter table per diskette format, filled at POST
DISKETTE_TABLE = 0xEFC7        # the IBM address of the default (1.44M) table
FIXED_DISK_TABLES = 0xF000     # two 16-byte tables: INT 41h (80h) and INT 46h (81h)
VIDEO_PARAMS = 0xF0A4          # INT 1Dh: CRTC R0-R15 for 40x25, 80x25, graphics, mono
FONT_HIGH = 0xF200             # INT 1Fh: 8x8 glyphs of 80h-FFh
FONT_LOW = 0xFA6E              # 8x8 glyphs of 00h-7Fh, at the IBM address

TRAP_VECTOR = 0xE0
TRAP_INT16 = 0xE1
TRAP_INT08 = 0xE2
TRAP_POST = 0xE3
TRAP_WAIT = 0xE4
TRAP_PORTS = (TRAP_VECTOR, TRAP_INT16, TRAP_INT08, TRAP_POST, TRAP_WAIT)
POLL_PORT = 0xE5               # not a trap: the CPU counts an OUT here as an idle poll


def stub_vector(ip_after_out: int) -> int | None:
    """The vector whose stub's OUT left IP at ``ip_after_out``."""
    offset = ip_after_out - 2 - VECTOR_STUBS
    if 0 <= offset < 1024 and offset % 4 == 0:
        return offset // 4
    return None
