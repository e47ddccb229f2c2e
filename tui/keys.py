"""Terminal keys (as Textual reports them) -> XT scancodes for the guest.

Most terminals report only key *presses*, so a key becomes its make code and its break code
together, wrapped in the makes and breaks of the modifiers the terminal reported (Ctrl, Alt,
Shift). Printable characters go through the keyboard chip's own US-layout table, so typing
in the console and ``xtbox vm type`` produce identical scancodes. A terminal that speaks the
kitty keyboard protocol also reports releases (tui/kitty.py), and the modifier keys as keys of
their own: from its first release on, ``KeyRouter`` sends a press as the physical key's make
code and a release as its break code, so keys are held as long as they are held on the host.
"""

from __future__ import annotations

from textual.keys import REPLACED_KEYS, key_to_character

from tui.control.guest_data import scancodes as sc

SPECIAL = {
    "enter": "Enter", "backspace": "Backspace", "tab": "Tab", "escape": "Esc",
    "space": "Space", "up": "Up", "down": "Down", "left": "Left", "right": "Right",
    "home": "Home", "end": "End", "pageup": "PgUp", "pagedown": "PgDn", "insert": "Ins",
    "delete": "Del", **{f"f{i}": f"F{i}" for i in range(1, 13)},
}
MODIFIERS = {"ctrl": sc.CTRL, "alt": sc.ALT, "shift": sc.LSHIFT, "meta": sc.ALT}
MODIFIER_KEYS = {
    "left_shift": [sc.LSHIFT], "right_shift": [sc.RSHIFT], "left_control": [sc.CTRL],
    "right_control": [sc.E0, sc.CTRL], "left_alt": [sc.ALT], "right_alt": [sc.E0, sc.ALT],
    "caps_lock": [0x3A], "num_lock": [0x45], "scroll_lock": [0x46],
}
RELEASE = "xtbox-release:"   # key name prefix of a release event (see tui/kitty.py)


def _character(name: str) -> str | None:
    """The character a Textual key name stands for ("minus" is Textual's "hyphen_minus")."""
    if len(name) == 1:
        return name
    return key_to_character(REPLACED_KEYS.get(name, name))


def key_to_scancodes(key: str, character: str | None = None) -> list[int]:
    """Scancodes for one key event; an empty list for keys the guest has no key for."""
    parts = key.split("+")
    base, mods = parts[-1], [m for m in parts[:-1] if m in MODIFIERS]
    if not mods and character and character.isprintable():
        try:
            return sc.char_to_scancodes(character)
        except ValueError:
            return []
    name = SPECIAL.get(base)
    if name is None:
        char = _character(base)
        if char is None or len(char) != 1:
            return []
        if "shift" in mods and char.isalpha():
            char = char.upper()
        if char.isupper() or ("shift" in mods and not char.isalnum()):
            # A shifted character: its own table entry already presses Shift.
            mods = [m for m in mods if m != "shift"]
            try:
                core = sc.char_to_scancodes(char)
            except ValueError:
                return []
        else:
            try:
                core = sc.char_to_scancodes(char.lower())
            except ValueError:
                return []
    else:
        core = sc.key_press(name)
    makes = [MODIFIERS[m] for m in mods]
    return makes + core + [code | 0x80 for code in reversed(makes)]


def physical_make(key: str, character: str | None = None) -> list[int]:
    """The make code of the physical key behind a key event, without the modifiers (which a
    terminal reporting releases reports as keys of their own); [] if the guest has none."""
    base = key.split("+")[-1]
    if base in MODIFIER_KEYS:
        return list(MODIFIER_KEYS[base])
    if base in SPECIAL:
        return sc.key_make(SPECIAL[base])
    char = _character(base)
    if char is None and character and len(character) == 1:
        char = character
    if char is None or len(char) != 1 or not char.isprintable():
        return []
    try:
        codes = sc.char_to_scancodes(char.lower(), alt_codes=False)
    except ValueError:
        return []
    return [c for c in codes if c < 0x80 and c != sc.LSHIFT]


class KeyRouter:
    """Key events -> scancodes, with or without real releases (see the module docstring)."""

    def __init__(self) -> None:
        self.releases = False          # has the terminal sent a release yet?
        self.held: list[tuple[int, ...]] = []   # keys down in the guest, in press order

    def codes(self, key: str, character: str | None = None) -> list[int]:
        if key.startswith(RELEASE):
            self.releases = True
            make = tuple(physical_make(key[len(RELEASE):]))
            if make in self.held:
                self.held.remove(make)
            return sc.break_of(make)
        if self.releases:
            make = physical_make(key, character)
            if make and tuple(make) not in self.held:
                self.held.append(tuple(make))
            return make                # a repeat sends the make again: the typematic
        return key_to_scancodes(key, character)

    def release_all(self) -> list[int]:
        """Breaks for every key still down (the console is being left: its releases would
        go elsewhere and the guest would see the keys stuck)."""
        out = [code for make in reversed(self.held) for code in sc.break_of(make)]
        self.held.clear()
        return out


def combo_to_scancodes(text: str) -> list[int]:
    """Scancodes for key combinations written as key names joined by ``+``, several separated
    by spaces ("ctrl+alt+f1", "alt+sysrq", "shift+f10 enter"): each combination's keys go down
    in order and come up in reverse, as fingers do. The names are the keyboard's
    (engine/chips/scancodes.py: Ctrl, Alt, Shift, RCtrl, RAlt, F1-F12, Del, SysRq, a, 1, ...);
    a ValueError names one that is not a key."""
    out: list[int] = []
    for combo in text.split():
        keys = []                                   # (make, break) per key
        for name in combo.split("+"):
            if name.lower() == "pause":
                keys.append((PAUSE, []))             # Pause sends its whole sequence at once
            elif name.lower() == "break":
                keys.append(([0xE0, 0x46], [0xE0, 0xC6]))   # Ctrl+Pause: Break
            else:
                try:
                    make = sc.key_make(name)
                except (ValueError, KeyError):
                    raise ValueError(f"{name!r} in {combo!r} is not a key name (expected "
                                     "e.g. ctrl, alt, shift, f1, del, sysrq, pause, break, "
                                     "a, 1)") from None
                keys.append((make, sc.break_of(make)))
        out += [code for make, _ in keys for code in make]
        out += [code for _, brk in reversed(keys) for code in brk]
    if not out:
        raise ValueError("no keys given (expected e.g. ctrl+alt+f1 or alt+x)")
    return out


CTRL_ALT_DEL = [sc.CTRL, sc.ALT, 0xE0, 0x53, 0xE0, 0xD3, sc.ALT | 0x80, sc.CTRL | 0x80]
# Keys no terminal delivers, as the 101-key keyboard sends them (the console menu has them).
CTRL_BREAK = [sc.CTRL, 0xE0, 0x46, 0xE0, 0xC6, sc.CTRL | 0x80]
PAUSE = [0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5]        # no break codes: the key sends none
PRINT_SCREEN = [0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA]
SYSRQ = [sc.ALT, 0x54, 0xD4, sc.ALT | 0x80]           # Alt+PrtSc
