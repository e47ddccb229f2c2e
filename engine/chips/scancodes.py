"""Scancode set 1 (the XT keyboard's codes): key names and text -> make/break sequences.

Shared by the keyboard chip (``type_text``) and the TUI (key names -> scancodes), so both agree
on one table. A *make* code is sent when a key goes down and its *break* code (make | 0x80)
when it comes up. Keys the 101-key keyboard added (right Ctrl/Alt, the separate arrow and
editing block, keypad Enter and /) send an E0 prefix before each make and break byte; an XT BIOS
that does not know E0 sees it as the break of an unknown key and ignores it, so the key then
acts like its keypad twin. ``key_make(name, extended=False)`` gives the prefix-free XT form.

Public API:
    KEYS: dict[str, tuple[int, ...]]        # key name -> make sequence ("Enter": (0x1C,),
                                            #   "Up": (0xE0, 0x48), "F1": (0x3B,), "a": (0x1E,))
    key_make(name, extended=True) -> list[int] ; key_break(name, extended=True) -> list[int]
    key_press(name, extended=True) -> list[int]        # make then break
    break_of(make_seq) -> list[int]
    text_to_scancodes(text, alt_codes=True) -> list[int]   # ValueError names the bad char
Names are case-sensitive for single characters ("a" is the A key; "A" is not a key name),
case-insensitive otherwise ("enter" == "Enter").
"""

from __future__ import annotations

LSHIFT = 0x2A
RSHIFT = 0x36
CTRL = 0x1D
ALT = 0x38
E0 = 0xE0

# Keys of the 83-key XT keyboard, in scancode order.
_BASE_KEYS: dict[str, int] = {
    "Esc": 0x01,
    "1": 0x02, "2": 0x03, "3": 0x04, "4": 0x05, "5": 0x06,
    "6": 0x07, "7": 0x08, "8": 0x09, "9": 0x0A, "0": 0x0B,
    "-": 0x0C, "=": 0x0D, "Backspace": 0x0E, "Tab": 0x0F,
    "q": 0x10, "w": 0x11, "e": 0x12, "r": 0x13, "t": 0x14,
    "y": 0x15, "u": 0x16, "i": 0x17, "o": 0x18, "p": 0x19,
    "[": 0x1A, "]": 0x1B, "Enter": 0x1C, "Ctrl": 0x1D,
    "a": 0x1E, "s": 0x1F, "d": 0x20, "f": 0x21, "g": 0x22,
    "h": 0x23, "j": 0x24, "k": 0x25, "l": 0x26,
    ";": 0x27, "'": 0x28, "`": 0x29, "Shift": 0x2A, "\\": 0x2B,
    "z": 0x2C, "x": 0x2D, "c": 0x2E, "v": 0x2F, "b": 0x30, "n": 0x31, "m": 0x32,
    ",": 0x33, ".": 0x34, "/": 0x35, "RShift": 0x36, "KP*": 0x37, "Alt": 0x38,
    "Space": 0x39, "CapsLock": 0x3A,
    "F1": 0x3B, "F2": 0x3C, "F3": 0x3D, "F4": 0x3E, "F5": 0x3F,
    "F6": 0x40, "F7": 0x41, "F8": 0x42, "F9": 0x43, "F10": 0x44,
    "NumLock": 0x45, "ScrollLock": 0x46,
    "KP7": 0x47, "KP8": 0x48, "KP9": 0x49, "KP-": 0x4A,
    "KP4": 0x4B, "KP5": 0x4C, "KP6": 0x4D, "KP+": 0x4E,
    "KP1": 0x4F, "KP2": 0x50, "KP3": 0x51, "KP0": 0x52, "KP.": 0x53,
    "SysRq": 0x54, "<>": 0x56, "F11": 0x57, "F12": 0x58,
}

# 101-key additions: E0-prefixed twins of keypad/modifier keys (name -> base scancode).
_EXTENDED_KEYS: dict[str, int] = {
    "RCtrl": 0x1D, "RAlt": 0x38, "KPEnter": 0x1C, "KP/": 0x35,
    "Home": 0x47, "Up": 0x48, "PgUp": 0x49, "Left": 0x4B, "Right": 0x4D,
    "End": 0x4F, "Down": 0x50, "PgDn": 0x51, "Ins": 0x52, "Del": 0x53,
    "LWin": 0x5B, "RWin": 0x5C, "Menu": 0x5D,
}

_ALIASES: dict[str, str] = {
    "Escape": "Esc", "Return": "Enter", "LShift": "Shift", "LCtrl": "Ctrl", "LAlt": "Alt",
    "Control": "Ctrl", "Insert": "Ins", "Delete": "Del", "PageUp": "PgUp",
    "PageDown": "PgDn", " ": "Space", "Caps": "CapsLock", "Scroll": "ScrollLock",
    "AltGr": "RAlt", "ArrowUp": "Up", "ArrowDown": "Down", "ArrowLeft": "Left",
    "ArrowRight": "Right",
}

KEYS: dict[str, tuple[int, ...]] = {name: (code,) for name, code in _BASE_KEYS.items()}
KEYS.update({name: (E0, code) for name, code in _EXTENDED_KEYS.items()})
KEYS["PrintScreen"] = (E0, 0x2A, E0, 0x37)

_FOLDED = {name.lower(): name for name in KEYS if len(name) > 1}
_FOLDED.update({alias.lower(): target for alias, target in _ALIASES.items()})


def _canonical(name: str) -> str:
    if name in KEYS:
        return name
    found = _FOLDED.get(name.lower())
    if found is None:
        raise ValueError(f"unknown key name {name!r} (expected e.g. 'Enter', 'F1', 'Up', 'a')")
    return found


def key_make(name: str, extended: bool = True) -> list[int]:
    """Make sequence of a key; ``extended=False`` drops E0 prefixes (83-key XT form)."""
    seq = list(KEYS[_canonical(name)])
    if not extended:
        seq = [b for b in seq if b != E0]
        if name == "PrintScreen":
            seq = [0x37]  # the XT's PrtSc is shifted keypad '*'
    return seq


def break_of(make: list[int] | tuple[int, ...]) -> list[int]:
    """Break sequence for a make sequence (prefixes kept, codes | 0x80; reverse for chords)."""
    out: list[int] = []
    i = 0
    groups = []
    while i < len(make):
        if make[i] == E0 and i + 1 < len(make):
            groups.append([E0, make[i + 1] | 0x80])
            i += 2
        else:
            groups.append([make[i] | 0x80])
            i += 1
    for group in reversed(groups):
        out.extend(group)
    return out


def key_break(name: str, extended: bool = True) -> list[int]:
    return break_of(key_make(name, extended))


def key_press(name: str, extended: bool = True) -> list[int]:
    """Press and release: the whole sequence a tap of the key sends."""
    make = key_make(name, extended)
    return make + break_of(make)


# US layout: characters reached with Shift, keyed by the unshifted key they share.
_SHIFTED = {
    "!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7", "*": "8",
    "(": "9", ")": "0", "_": "-", "+": "=", "{": "[", "}": "]", "|": "\\", ":": ";",
    '"': "'", "<": ",", ">": ".", "?": "/", "~": "`",
}
_CONTROL = {"\n": "Enter", "\r": "Enter", "\t": "Tab", "\b": "Backspace", "\x1b": "Esc",
            " ": "Space"}
_KEYPAD_DIGITS = [0x52, 0x4F, 0x50, 0x51, 0x4B, 0x4C, 0x4D, 0x47, 0x48, 0x49]


def char_to_scancodes(ch: str, alt_codes: bool = True) -> list[int]:
    """Scancodes that type one character on a US keyboard.

    Control characters become Ctrl+letter (Ctrl+C for 0x03); characters of CP437 that have no
    key are typed as Alt + keypad decimal code, which every PC BIOS turns into that byte.
    """
    if ch in _CONTROL:
        return key_press(_CONTROL[ch])
    if len(ch) == 1 and ch in _BASE_KEYS:
        return [_BASE_KEYS[ch], _BASE_KEYS[ch] | 0x80]
    if "A" <= ch <= "Z" or ch in _SHIFTED:
        code = _BASE_KEYS[ch.lower() if ch.isalpha() else _SHIFTED[ch]]
        return [LSHIFT, code, code | 0x80, LSHIFT | 0x80]
    if len(ch) == 1 and 1 <= ord(ch) <= 26:
        code = _BASE_KEYS[chr(ord(ch) + 96)]
        return [CTRL, code, code | 0x80, CTRL | 0x80]
    if alt_codes:
        try:
            byte = ch.encode("cp437")[0] if ord(ch) >= 0x80 else -1
        except UnicodeEncodeError:
            byte = -1
        if byte >= 0:
            seq = [ALT]
            for digit in str(byte):
                code = _KEYPAD_DIGITS[int(digit)]
                seq += [code, code | 0x80]
            return seq + [ALT | 0x80]
    raise ValueError(f"character {ch!r} (U+{ord(ch):04X}) cannot be typed on a US keyboard")


def text_to_scancodes(text: str, alt_codes: bool = True) -> list[int]:
    """Make/break scancodes that type ``text`` (see ``char_to_scancodes``).

    A ValueError names the first character that cannot be typed and its position.
    """
    out: list[int] = []
    for pos, ch in enumerate(text):
        try:
            out += char_to_scancodes(ch, alt_codes)
        except ValueError as err:
            raise ValueError(f"{err} (position {pos} of the text)") from None
    return out
