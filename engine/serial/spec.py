"""Serial backend specs: the strings `xtbox run --serial` and VM profiles share.

Parsed (and refused, naming the spec and every accepted form) before anything starts.
"""

from __future__ import annotations

from typing import NamedTuple

from engine.errors import ConfigError

ACCEPTED = ("none, stdio, loopback, file:PATH (output log), pty, tcp-server:[HOST:]PORT, a "
            "pyserial URL (socket://HOST:PORT, rfc2217://HOST:PORT, loop://, spy://...) or a "
            "device path (/dev/ttyUSB0, /dev/ttyS1)")
URL_SCHEMES = ("socket", "rfc2217", "loop", "spy", "alt", "hwgrep", "cp2110")


class Spec(NamedTuple):
    kind: str          # none stdio loopback file pty tcp-server url device
    param: str = ""
    host: str = "127.0.0.1"
    port: int = 0


def _bad(spec: str, why: str) -> ConfigError:
    return ConfigError(f"serial backend {spec!r}: {why}; accepted: {ACCEPTED}")


def parse_spec(spec: str) -> Spec:
    if not isinstance(spec, str):
        raise _bad(str(spec), "expected a string")
    s = spec.strip()
    low = s.lower()
    if low in ("", "none", "null"):
        return Spec("none")
    if low in ("stdio", "loopback", "pty"):
        return Spec(low)
    if low.startswith("file:"):
        if not s[5:]:
            raise _bad(spec, "file: needs a path")
        return Spec("file", s[5:])
    if low.startswith("tcp-server:"):
        rest = s[len("tcp-server:"):]
        host, _, port = rest.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise _bad(spec, f"port {port!r} must be a number from 1 to 65535")
        return Spec("tcp-server", rest, host, int(port))
    if "://" in s:
        scheme = low.split("://", 1)[0]
        if scheme not in URL_SCHEMES:
            raise _bad(spec, f"unknown URL scheme {scheme!r}")
        if scheme in ("socket", "rfc2217"):
            hostport = s.split("://", 1)[1].split("?", 1)[0].rstrip("/")
            host, _, port = hostport.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise _bad(spec, f"{scheme}:// needs HOST:PORT")
        return Spec("url", s)
    if s.startswith("/dev/") or (low.startswith("com") and low[3:].isdigit()) \
            or s.startswith("/"):
        return Spec("device", s)
    raise _bad(spec, "not a form xtbox knows")


PRINTER_KINDS = ("none", "file", "pty", "tcp-server")
PRINTER_ACCEPTED = "none, file:PATH (raw bytes appended), pty or tcp-server:[HOST:]PORT"


def parse_printer_spec(spec: str) -> Spec:
    """A printer port's backend: the serial forms that make sense for a printer."""
    try:
        parsed = parse_spec(spec)
    except ConfigError as exc:
        why = str(exc).split(": ", 1)[-1].split("; accepted:", 1)[0]
        raise ConfigError(f"printer backend {spec!r}: {why}; accepted: {PRINTER_ACCEPTED}") \
            from None
    if parsed.kind not in PRINTER_KINDS:
        raise ConfigError(f"printer backend {spec!r}: a {parsed.kind} is not a printer; "
                          f"accepted: {PRINTER_ACCEPTED}")
    return parsed
