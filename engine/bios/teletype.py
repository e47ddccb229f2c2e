"""The teletype's cursor rules (INT 10h AH=0Eh), shared by the text and graphics modes.

The IBM BIOS moves the cursor the same way whatever the mode draws: backspace stops at
column 0, line feed moves down, carriage return goes to column 0, and any other character is
drawn where the cursor is and advances it, wrapping after the last column. Only the drawing
and the scroll (when the row passes the last) differ between the modes.
"""

from __future__ import annotations

BEL, BS, LF, CR = 7, 8, 10, 13


def advance(char: int, row: int, col: int, columns: int) -> tuple[int, int, bool]:
    """The cursor after `char`, and whether `char` is drawn at the old position first."""
    if char == BS:
        return row, max(0, col - 1), False
    if char == LF:
        return row + 1, col, False
    if char == CR:
        return row, 0, False
    col += 1
    if col >= columns:
        return row + 1, 0, True
    return row, col, True
