"""A client of a VM process's control socket (protocol: engine/vmm/protocol.py).

    with ControlClient(folder / "control.sock") as c:
        c.call("type", text="dir\\n")
        for event in c.subscribe():       # blocking iterator: run it in a worker thread
            ...

One connection carries commands and, after ``subscribe``, events; events that arrive while
a call waits for its reply are kept for the iterator, in order.
"""

from __future__ import annotations

import itertools
import socket
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from engine.errors import ConfigError
from engine.vmm import protocol

POLL = 0.2


class VMNotRunning(ConfigError):
    """No VM process answers on this socket."""


class ControlError(ConfigError):
    """The VM refused or failed a command; ``cls`` is the protocol's error class."""

    def __init__(self, cls: str, desc: str) -> None:
        super().__init__(desc)
        self.cls = cls


class ControlClient:
    def __init__(self, path: str | Path, *, timeout: float | None = 10.0) -> None:
        self.path = Path(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        address, fd = protocol.socket_address(self.path)
        try:
            self.sock.connect(address)
        except OSError as exc:
            self.sock.close()
            raise VMNotRunning(f"{self.path}: no VM answers ({exc.strerror or exc})") from None
        finally:
            if fd is not None:
                import os
                os.close(fd)
        self.reader = protocol.LineReader(self.sock)
        self.pending: deque[dict] = deque()
        self.ids = itertools.count(1)
        greeting = self._read()
        if "xtbox" not in greeting:
            self.close()
            raise VMNotRunning(f"{self.path}: not an xtbox control socket")
        self.greeting = greeting["xtbox"]

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def _read(self) -> dict:
        try:
            line = self.reader.readline()
        except (OSError, protocol.ProtocolError) as exc:
            raise VMNotRunning(f"{self.path}: connection lost ({exc})") from None
        if line is None:
            raise VMNotRunning(f"{self.path}: the VM closed the connection")
        return protocol.decode(line)

    def call(self, command: str, **arguments: Any) -> Any:
        ident = next(self.ids)
        message: dict[str, Any] = {"execute": command, "id": ident}
        if arguments:
            message["arguments"] = arguments
        try:
            self.sock.sendall(protocol.encode(message))
        except OSError as exc:
            raise VMNotRunning(f"{self.path}: connection lost ({exc})") from None
        while True:
            reply = self._read()
            if "event" in reply:
                self.pending.append(reply)
                continue
            if reply.get("id") != ident:
                continue
            if "error" in reply:
                err = reply["error"]
                raise ControlError(err.get("class", "Failed"), err.get("desc", "failed"))
            return reply.get("return")

    def subscribe(self, events: tuple[str, ...] = ("screen", "state"), *,
                  stop: Callable[[], bool] | None = None) -> Iterator[dict]:
        """Yield events until the VM goes away (then the iterator simply ends), or until
        ``stop()`` turns true — checked at least every POLL seconds, so a UI can end the
        thread that iterates even while the VM is silent."""
        self.call("subscribe", events=list(events))
        self.sock.settimeout(POLL if stop is not None else None)
        while True:
            while self.pending:
                yield self.pending.popleft()
            if stop is not None and stop():
                return
            try:
                line = self.reader.readline()
            except TimeoutError:
                continue
            except (OSError, protocol.ProtocolError):
                return
            if line is None:
                return
            message = protocol.decode(line)
            if "event" in message:
                yield message
