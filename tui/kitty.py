"""Real key releases in the console, where the terminal speaks the kitty keyboard protocol.

Textual asks the terminal for the protocol's escape codes for every key (flags 1|8|16) but not
for event types (flag 2), and its parser does not read the ``modifiers:event`` field the
terminal then sends. While the console is on screen we push flag 2 onto the terminal's flag
stack (``CSI > flags u``; ``CSI < u`` pops it when the console is left, so the rest of the app
keeps Textual's defaults), and ``install`` teaches the parser that field: a press or repeat
stays a normal key event, a release becomes a key named ``RELEASE + key``, which only the
console looks for. Terminals without the protocol ignore the push and never send releases;
the console then keeps sending make and break codes together (tui/keys.py ``KeyRouter``).
"""

from __future__ import annotations

from textual import constants, events

from tui.keys import RELEASE

TEXTUAL_FLAGS = 1 | 8 | 16      # what Textual's Linux driver asks for
EVENT_TYPES = 2


def install() -> bool:
    """Patch Textual's input parser once; False if this Textual has no such parser."""
    try:
        from textual._xterm_parser import XTermParser, _re_extended_key
    except ImportError:
        return False
    if getattr(XTermParser, "_xtbox_event_types", False):
        return True
    original = XTermParser._parse_extended_key

    def parse(self, sequence: str) -> list[events.Key] | None:
        match = _re_extended_key.fullmatch(sequence)
        if match is None:
            return original(self, sequence)
        codes, end = match.groups(default="")
        fields = codes.split(";")
        if len(fields) < 2 or ":" not in fields[1]:
            return original(self, sequence)
        fields[1], _, kind = fields[1].partition(":")
        keys = original(self, f"\x1b[{';'.join(fields)}{end}")
        if keys is None or kind != "3":
            return keys                      # 1 press, 2 repeat: an ordinary key event
        return [events.Key(RELEASE + key.key.split("+")[-1], None) for key in keys]

    XTermParser._parse_extended_key = parse
    XTermParser._xtbox_event_types = True
    return True


def _write(app, sequence: str) -> None:
    driver = getattr(app, "_driver", None)
    if driver is None or constants.DISABLE_KITTY_KEY or app.is_headless:
        return
    driver.write(sequence)
    flush = getattr(driver, "flush", None)
    if flush is not None:
        flush()


def push_release_events(app) -> None:
    if install():
        _write(app, f"\x1b[>{TEXTUAL_FLAGS | EVENT_TYPES}u")


def pop_release_events(app) -> None:
    _write(app, "\x1b[<u")
