"""What the control protocol's data means, for the TUI: screen cells are [CP437 byte, attribute
byte] as the video adapter holds them, and the ``keys`` command takes XT scancodes.

The tables live with the machine that defines them (the video adapter, the keyboard chip); the
TUI reads them only through this module, so its screens and widgets import nothing from the
engine but the control layer."""

from engine.chips.scancodes import (
    ALT,
    CTRL,
    E0,
    LSHIFT,
    RSHIFT,
    break_of,
    char_to_scancodes,
    key_make,
    key_press,
)
from engine.video import CGA_PALETTE, decode, decode_attr

__all__ = ["ALT", "CGA_PALETTE", "CTRL", "E0", "LSHIFT", "RSHIFT", "break_of",
           "char_to_scancodes", "decode", "decode_attr", "key_make", "key_press"]
