"""Alt sent as an ESC prefix, read as Alt while the console is on screen.

Terminals without the kitty keyboard protocol send Alt+key as ESC and the key (xterm's
metaSendsEscape, GNOME Terminal and other VTE terminals, tmux, iTerm2 with Option as Meta).
Textual's parser reads ESC + one character through a table of readline conventions: ESC f is
ctrl+right, ESC b ctrl+left, ESC 1 becomes "¡", ESC Enter a plain Enter, ESC DEL ctrl+w. That
is right for text fields, and wrong for a PC keyboard, where DOS programs open their menus
with Alt+letter. While ``ACTIVE`` (the console sets it when shown and clears it when left, so
the manager's fields keep Textual's reading), ``install``'s parser reads ESC + a character as
Alt + that key. Genuine Ctrl+arrows arrive as CSI sequences (ESC [ 1 ; 5 D) and are not
touched; Alt+F1 arrives as CSI 1 ; 3 P in these terminals, which Textual already reads. ESC +
[, O, P, ], _ or \\ begins a control sequence, so those stay Textual's (Alt+[ and friends then
arrive after the escape delay, as Textual reissues them). An Alt+key whose key is itself a
sequence (rxvt's ESC ESC O P for Alt+F1) reaches the console as Escape and the key in the
same read: ``EscapeJoiner`` there joins them.
"""

from __future__ import annotations

from textual import events
from textual.keys import _character_to_key

ACTIVE = False
SEQUENCE_STARTS = frozenset("[OP]_\\\x1b")
JOIN_WINDOW = 0.005   # s: an Escape and a key this close together came in one terminal write


def alt_key(ch: str) -> events.Key:
    """The key event for Alt + the character a terminal sent after ESC."""
    if ch == "\r":
        name = "enter"
    elif ch == "\t":
        name = "tab"
    elif ch in ("\x7f", "\x08"):
        name = "backspace"
    elif ch == " ":
        name = "space"
    elif ord(ch) < 0x20:
        name = f"ctrl+{chr(ord(ch) + 0x60)}"            # ESC ^X: Ctrl+Alt+X
    elif ch.isascii() and ch.isalpha() and ch.isupper():
        name = f"shift+{ch.lower()}"
    elif ch.isascii() and ch.isalnum():
        name = ch
    else:
        name = _character_to_key(ch)
    return events.Key(f"alt+{name}", None)


def install() -> bool:
    """Teach Textual's input parser ESC + character as Alt (see the module docstring).
    Only parsers built afterwards learn it (XTermParser.parse binds its key reader when the
    parser is built), so the app calls this before it runs, ahead of its driver."""
    try:
        from textual._xterm_parser import XTermParser
    except ImportError:
        return False
    if getattr(XTermParser, "_xtbox_alt_prefix", False):
        return True
    original = XTermParser._sequence_to_key_events

    def sequence_to_key_events(self, sequence: str, alt: bool = False):
        if ACTIVE and len(sequence) == 2 and sequence[0] == "\x1b" \
                and sequence[1] not in SEQUENCE_STARTS:
            return [alt_key(sequence[1])]
        return original(self, sequence, alt)

    XTermParser._sequence_to_key_events = sequence_to_key_events
    XTermParser._xtbox_alt_prefix = True
    return True


class EscapeJoiner:
    """Holds an Escape key briefly: when the next key event came from the same terminal write
    it is that key with Alt (ESC ESC O P: Alt+F1); otherwise the Escape is a key of its own.
    ``feed`` returns the key events to act on now; ``flush`` the held Escape, if any."""

    def __init__(self) -> None:
        self.held: events.Key | None = None

    def feed(self, event: events.Key) -> list[tuple[str, str | None]]:
        held, self.held = self.held, None
        if held is not None and event.time - held.time <= JOIN_WINDOW \
                and not event.key.startswith("alt+") and event.key != "escape":
            return [(f"alt+{event.key}", None)]
        out = [("escape", "\x1b")] if held is not None else []
        if event.key == "escape":
            self.held = event
            return out
        return out + [(event.key, event.character)]

    def flush(self) -> list[tuple[str, str | None]]:
        held, self.held = self.held, None
        return [("escape", "\x1b")] if held is not None else []
