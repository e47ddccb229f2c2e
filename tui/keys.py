"""Terminal keys (as Textual reports them) -> XT scancodes for the guest.

Most terminals report only key *presses*, so a key becomes its make code and its break code
together, wrapped in the makes and breaks of the modifiers the terminal reported (Ctrl, Alt,
Shift). Printable characters go through the keyboard chip's own US-layout table, so typing
in the console and ``xtbox vm type`` produce identical scancodes.
"""

from __future__ import annotations

from textual.keys import key_to_character

from engine.chips.scancodes import ALT, CTRL, LSHIFT, char_to_scancodes, key_press

SPECIAL = {
    "enter": "Enter", "backspace": "Backspace", "tab": "Tab", "escape": "Esc",
    "space": "Space", "up": "Up", "down": "Down", "left": "Left", "right": "Right",
    "home": "Home", "end": "End", "pageup": "PgUp", "pagedown": "PgDn", "insert": "Ins",
    "delete": "Del", **{f"f{i}": f"F{i}" for i in range(1, 13)},
}
MODIFIERS = {"ctrl": CTRL, "alt": ALT, "shift": LSHIFT, "meta": ALT}


def key_to_scancodes(key: str, character: str | None = None) -> list[int]:
    """Scancodes for one key event; an empty list for keys the guest has no key for."""
    parts = key.split("+")
    base, mods = parts[-1], [m for m in parts[:-1] if m in MODIFIERS]
    if not mods and character and character.isprintable():
        try:
            return char_to_scancodes(character)
        except ValueError:
            return []
    name = SPECIAL.get(base)
    if name is None:
        char = key_to_character(base) if len(base) > 1 else base
        if char is None or len(char) != 1:
            return []
        if "shift" in mods or char.isupper():
            # A shifted character: its own table entry already presses Shift.
            mods = [m for m in mods if m != "shift"]
            try:
                core = char_to_scancodes(char)
            except ValueError:
                return []
        else:
            try:
                core = char_to_scancodes(char.lower())
            except ValueError:
                return []
    else:
        core = key_press(name)
    makes = [MODIFIERS[m] for m in mods]
    return makes + core + [code | 0x80 for code in reversed(makes)]


CTRL_ALT_DEL = [CTRL, ALT, 0xE0, 0x53, 0xE0, 0xD3, ALT | 0x80, CTRL | 0x80]
