"""BIOS data area (segment 40h) offsets, as the IBM PC/XT BIOS lays them out."""

BDA = 0x400
COM_PORTS = BDA + 0x00
LPT_PORTS = BDA + 0x08
EQUIPMENT = BDA + 0x10
MEMORY_KB = BDA + 0x13
KBD_FLAGS1 = BDA + 0x17
KBD_FLAGS2 = BDA + 0x18
KBD_HEAD = BDA + 0x1A
KBD_TAIL = BDA + 0x1C
KBD_BUFFER = 0x1E            # offsets within segment 40h
KBD_BUFFER_END = 0x3E
FLOPPY_STATUS = BDA + 0x41
FLOPPY_MEDIA_STATE = BDA + 0x90   # one byte per diskette drive (PC/AT): rate, established, type
VIDEO_MODE = BDA + 0x49
VIDEO_COLUMNS = BDA + 0x4A
VIDEO_PAGE_SIZE = BDA + 0x4C
VIDEO_PAGE_START = BDA + 0x4E
CURSOR_POS = BDA + 0x50       # 8 words: low byte column, high byte row
CURSOR_SHAPE = BDA + 0x60     # word: low byte end line, high byte start line
ACTIVE_PAGE = BDA + 0x62
CRTC_PORT = BDA + 0x63
MODE_CONTROL = BDA + 0x65
PALETTE = BDA + 0x66
TIMER_TICKS = BDA + 0x6C
TIMER_MIDNIGHT = BDA + 0x70
BREAK_FLAG = BDA + 0x71       # bit 7: Ctrl+Break was pressed
RESET_FLAG = BDA + 0x72
PRINTER_TIMEOUT = BDA + 0x78  # 4 bytes: LPT1-4 timeout counts (engine/bios/waits.py)
RS232_TIMEOUT = BDA + 0x7C    # 4 bytes: COM1-4 timeout counts
HDD_STATUS = BDA + 0x74
HDD_COUNT = BDA + 0x75
KBD_BUF_START = BDA + 0x80
KBD_BUF_STOP = BDA + 0x82

TICKS_PER_DAY = 0x1800B0
