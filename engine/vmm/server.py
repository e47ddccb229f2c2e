"""The VM process's control server: one thread per client, one publisher for events.

Commands run on the client's thread and act on the machine through its thread-safe
methods; nothing here touches the CPU loop directly. Events go out from a single publisher
thread that samples the screen at most SCREEN_HZ times a second and sends each subscriber
only the rows that changed since what *it* last received — so a slow client gets coarser
updates instead of slowing the VM or the other clients.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.vmm import protocol
from engine.vmm.screen_feed import ScreenFeed

SEND_TIMEOUT = 5.0
CLOSE_GRACE = 2.0  # s: close() waits this long for replies still being sent


class CommandError(Exception):
    """A command that cannot be carried out; ``cls`` is the protocol error class."""

    def __init__(self, cls: str, desc: str) -> None:
        super().__init__(desc)
        self.cls = cls


class Connection:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lock = threading.Lock()
        self.events: set[str] = set()
        self.feed = ScreenFeed()
        self.last_state: dict | None = None
        self.closed = False
        # Sends give up after SEND_TIMEOUT (a client that stopped reading is dropped); reads
        # block for as long as the client stays quiet.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                        struct.pack("ll", int(SEND_TIMEOUT), 0))

    def send(self, message: dict) -> None:
        data = protocol.encode(message)
        with self.lock:
            if self.closed:
                return
            try:
                self.sock.sendall(data)
            except OSError:
                self.close()

    def close(self) -> None:
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class ControlServer:
    """Serves ``handlers`` (command name -> callable(arguments) -> result) on a Unix socket."""

    def __init__(self, path: Path, greeting: dict, handlers: dict[str, Callable[[dict], Any]],
                 screen: Callable[[], Any], state: Callable[[], dict]) -> None:
        self.path = path
        self.greeting = greeting
        # Every served command is a documented one (protocol.COMMANDS, its docstring and the
        # README list them; tests/engine/vmm/test_protocol_docs.py holds the lists together).
        undocumented = set(handlers) - set(protocol.COMMANDS)
        if undocumented:
            raise ValueError(f"commands missing from protocol.COMMANDS: {sorted(undocumented)}")
        self.handlers = handlers
        self.screen = screen
        self.state = state
        self.connections: list[Connection] = []
        self._lock = threading.Lock()
        self._busy = 0                  # commands being answered (close() lets them finish)
        self._closing = threading.Event()
        self._wake = threading.Event()
        self._urgent = False
        self._bells = 0                 # beeps not yet sent as "bell" events
        self._pokes: list[float] = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        address, fd = protocol.socket_address(path)
        old_umask = os.umask(0o177)       # owner-only from the first instant, not after a chmod
        try:
            self.sock.bind(address)
        finally:
            os.umask(old_umask)
            if fd is not None:
                os.close(fd)
        os.chmod(path, 0o600)
        self.sock.listen(8)

    def start(self) -> None:
        for target, name in ((self._accept_loop, "control-accept"),
                             (self._publish_loop, "control-events")):
            threading.Thread(target=target, name=name, daemon=True).start()

    def close(self) -> None:
        self._closing.set()
        self._wake.set()
        # A command that ended the machine (stop, save) still owes its caller the reply.
        deadline = time.monotonic() + CLOSE_GRACE
        while self._busy and time.monotonic() < deadline:
            time.sleep(0.005)
        try:
            self.sock.close()
        except OSError:
            pass
        with self._lock:
            conns = list(self.connections)
        for conn in conns:
            conn.close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    def notify(self) -> None:
        """Something changed (state): publish now rather than at the next tick."""
        self._urgent = True
        self._wake.set()

    def ring(self) -> None:
        """The guest beeped (speaker = "bell"). Called on the emulation thread, which must
        never wait on a client's socket: counted here, sent by the publisher."""
        with self._lock:
            self._bells += 1
        self.notify()

    def soon(self, *delays: float) -> None:
        """Publish again after each of ``delays`` seconds (input was just queued for the guest:
        its reaction should reach the screen without waiting for the next tick)."""
        now = time.monotonic()
        with self._lock:
            self._pokes.extend(now + d for d in delays)
        self._wake.set()

    # ---- clients ---------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._closing.is_set():
            try:
                sock, _ = self.sock.accept()
            except OSError:
                return
            sock.settimeout(None)
            conn = Connection(sock)
            with self._lock:
                self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), name="control-client",
                             daemon=True).start()

    def _serve(self, conn: Connection) -> None:
        reader = protocol.LineReader(conn.sock)
        conn.send({"xtbox": self.greeting})
        try:
            while not conn.closed:
                try:
                    line = reader.readline()
                except protocol.ProtocolError as exc:
                    conn.send(protocol.error("BadRequest", str(exc)))
                    break
                if line is None:
                    break
                if line.strip():
                    with self._lock:
                        self._busy += 1
                    try:
                        conn.send(self._handle(conn, line))
                    finally:
                        with self._lock:
                            self._busy -= 1
        except OSError:
            pass
        finally:
            conn.close()
            with self._lock:
                if conn in self.connections:
                    self.connections.remove(conn)

    def _handle(self, conn: Connection, line: bytes) -> dict:
        try:
            message = protocol.decode(line)
        except protocol.ProtocolError as exc:
            return protocol.error("BadRequest", str(exc))
        ident = message.get("id")
        command = message.get("execute")
        args = message.get("arguments", {})
        if not isinstance(command, str):
            return protocol.error("BadRequest", "expected {\"execute\": COMMAND, ...}", ident)
        if not isinstance(args, dict):
            return protocol.error("BadRequest", "arguments: expected an object", ident)
        try:
            if command == "subscribe":
                result = self._subscribe(conn, args)
            elif command in self.handlers:
                result = self.handlers[command](args)
            else:
                return protocol.error(
                    "CommandNotFound", f"unknown command {command!r}; commands: "
                    f"{', '.join(protocol.COMMANDS)}", ident)
        except CommandError as exc:
            return protocol.error(exc.cls, str(exc), ident)
        except Exception as exc:          # a failing command must not kill the server
            return protocol.error("Failed", f"{type(exc).__name__}: {exc}", ident)
        reply: dict[str, Any] = {"return": result if result is not None else {}}
        if ident is not None:
            reply["id"] = ident
        return reply

    def _subscribe(self, conn: Connection, args: dict) -> dict:
        events = args.get("events", ["screen", "state"])
        if not isinstance(events, list) or any(e not in protocol.EVENTS for e in events):
            raise CommandError("BadRequest", "events: expected a list of "
                               + ", ".join(repr(e) for e in protocol.EVENTS))
        conn.events = set(events)
        conn.feed = ScreenFeed()
        conn.last_state = None
        self._wake.set()
        return {"events": sorted(conn.events)}

    # ---- events ----------------------------------------------------------------------------
    def _publish_loop(self) -> None:
        """Sample at SCREEN_HZ; sooner when notify() says something changed, or at the
        moments soon() asked for (a key was just sent: its echo should not wait a tick)."""
        period = 1.0 / protocol.SCREEN_HZ
        next_tick = time.monotonic()
        while not self._closing.is_set():
            now = time.monotonic()
            with self._lock:
                poked = any(t <= now for t in self._pokes)
                self._pokes = [t for t in self._pokes if t > now]
                first_poke = min(self._pokes, default=None)
                urgent, self._urgent = self._urgent, False
                subscribers = [c for c in self.connections if c.events and not c.closed]
            if now >= next_tick or poked or urgent:
                if subscribers:
                    self.publish_once(subscribers)
                else:
                    self._bells = 0           # a beep nobody heard is not rung later
                if now >= next_tick:
                    next_tick = now + period
            wake_at = next_tick if first_poke is None else min(next_tick, first_poke)
            if self._wake.wait(max(0.0, wake_at - time.monotonic())):
                self._wake.clear()

    def publish_once(self, subscribers: list[Connection]) -> None:
        state = self.state()
        screen = None
        with self._lock:
            bells, self._bells = self._bells, 0
        for conn in subscribers:
            if bells and "bell" in conn.events:
                conn.send({"event": "bell", "data": {"count": bells}})
            if "state" in conn.events and conn.last_state != state:
                conn.last_state = state
                conn.send({"event": "state", "data": state})
            if "screen" in conn.events:
                if screen is None:
                    screen = self.screen()
                update = conn.feed.update(screen)
                if update is not None:
                    conn.send({"event": "screen", "data": update})

    def broadcast(self, message: dict) -> None:
        with self._lock:
            conns = list(self.connections)
        for conn in conns:
            conn.send(message)
