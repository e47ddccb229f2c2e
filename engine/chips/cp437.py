"""Code page 437, the IBM PC's character ROM, as Unicode: all 256 glyphs.

Why a table of our own rather than Python's ``cp437`` codec: that codec maps 0x00-0x1F and
0x7F to control characters, but in text-mode video memory those bytes are glyphs (smileys,
card suits, arrows, the house). 0x00 and 0xFF draw as blanks, so they map to spaces.
"""

from __future__ import annotations

_LOW = " ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼"
_ASCII = "".join(chr(c) for c in range(0x20, 0x7F)) + "⌂"
_HIGH = (
    "ÇüéâäàåçêëèïîìÄÅ"
    "ÉæÆôöòûùÿÖÜ¢£¥₧ƒ"
    "áíóúñÑªº¿⌐¬½¼¡«»"
    "░▒▓│┤╡╢╖╕╣║╗╝╜╛┐"
    "└┴┬├─┼╞╟╚╔╩╦╠═╬╧"
    "╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀"
    "αßΓπΣσµτΦΘΩδ∞φε∩"
    "≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ "
)

CP437: tuple[str, ...] = tuple(_LOW + _ASCII + _HIGH)
"""Glyph for each byte 0..255."""

assert len(CP437) == 256

_TABLE = {i: ch for i, ch in enumerate(CP437)}


def decode(data: bytes | bytearray | memoryview) -> str:
    """Text for a run of CP437 bytes, glyphs for the control range included."""
    return bytes(data).decode("latin-1").translate(_TABLE)
