"""What the control protocol's data means, for the TUI: screen cells are [CP437 byte, attribute
byte] as the video adapter holds them, graphics lines are packed dots (``decode_lines``,
``expand_line``), and the ``keys`` command takes XT scancodes.

The tables live with the machine that defines them (the video adapter, the keyboard chip); the
TUI reads them only through this module, so its screens and widgets import nothing from the
engine but the control layer."""

from engine.chips import scancodes
from engine.screenshot import palette_rgb, png_bytes
from engine.video import CGA_PALETTE, decode, decode_attr, expand_line
from engine.vmm.screen_feed import decode_lines

__all__ = ["CGA_PALETTE", "decode", "decode_attr", "decode_lines", "expand_line",
           "palette_rgb", "png_bytes", "scancodes"]
