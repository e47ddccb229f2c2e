"""Screen snapshots for the console (see engine/chips/textscreen.py).

``from engine.video import TextScreen`` is the name the machine and the TUI use; the class
lives beside the display adapters that build it (``CGA.text_screen(mem)``,
``MDA.text_screen(mem)``); ``GraphicsScreen`` is the CGA's graphics modes
(``CGA.screen(mem)`` returns whichever the mode register selects). ``decode_attr`` turns a cell's attribute byte into colours and
styles (CGA palette indexes, MDA underline/reverse/invisible).
"""

from engine.chips.attributes import CGA_PALETTE, CellStyle, decode_attr
from engine.chips.cp437 import CP437, decode
from engine.chips.graphicsscreen import GraphicsScreen, expand_line
from engine.chips.textscreen import TextScreen

__all__ = ["CGA_PALETTE", "CP437", "CellStyle", "GraphicsScreen", "TextScreen", "decode",
           "decode_attr", "expand_line"]
