"""The mouse, speaker and printer settings, checked without building a machine.

Shared by ``MachineConfig`` (``xtbox run``), VM profiles (``vm.toml``) and the TUI's forms, so
every place a user sets them refuses a bad value with the same one-line error naming the value
and the accepted forms. Imports stay light (no CPU extension): profiles are validated by the
manager, which never loads the engine proper.
"""

from __future__ import annotations

from engine.errors import ConfigError

MOUSE_PORTS = ("none", "com1", "com2")
# "com1": Microsoft's two-button mouse (answers "M": every driver, CuteMouse and MOUSE.COM
# included, installs it as a Microsoft mouse); "com1:logitech": Logitech's three-button
# variant of the same protocol (answers "M3", a fourth byte for the middle button)
MOUSE_FORMS = ("none", "com1", "com2", "com1:logitech", "com2:logitech")
MOUSE_ACCEPTED = "none, com1, com2, com1:logitech or com2:logitech"


def check_mouse(mouse: object) -> str:
    if mouse not in MOUSE_FORMS:
        raise ConfigError(f"mouse {mouse!r}: expected {MOUSE_ACCEPTED}")
    return mouse  # type: ignore[return-value]


def mouse_port(mouse: str) -> str:
    """The COM port a mouse setting puts the mouse on (``none`` for no mouse)."""
    return mouse.split(":", 1)[0]


def mouse_buttons(mouse: str) -> int:
    """2 for Microsoft's mouse, 3 for Logitech's."""
    return 3 if mouse.endswith(":logitech") else 2


def check_mouse_port_free(mouse: str, serial: list[str]) -> None:
    """A serial mouse takes its COM port's place: that port cannot also have a backend."""
    port = mouse_port(mouse)
    if port == "none":
        return
    spec = (list(serial) + ["none", "none"])[int(port[3]) - 1]
    if str(spec).strip().lower() not in ("", "none", "null"):
        raise ConfigError(f"mouse on {port}: that port already has serial backend {spec!r}; "
                          "set it to none or put the mouse on the other port")


def check_speaker(speaker: object) -> str:
    from engine.sound import parse_speaker_spec
    parse_speaker_spec(speaker)  # type: ignore[arg-type]
    return speaker  # type: ignore[return-value]


def check_printer(spec: object) -> str:
    from engine.serial.spec import parse_printer_spec
    parse_printer_spec(spec)  # type: ignore[arg-type]
    return spec  # type: ignore[return-value]


def check_peripherals(mouse: str, speaker: str, lpt: list[str], serial: list[str]) -> None:
    """The mouse, speaker and printer settings, each refused with one error naming it."""
    check_mouse(mouse)
    check_mouse_port_free(mouse, serial)
    check_speaker(speaker)
    if len(lpt) > 2:
        raise ConfigError(f"{len(lpt)} printer ports: xtbox has LPT1 and LPT2")
    for spec in lpt:
        check_printer(spec)
