"""Drive tests/guests/serial_lab.img through a real `xtbox run` process: COM1 is the port under
test (any backend spec), COM2 is the lab's control line on a tcp-server of its own."""

from __future__ import annotations

import os
import re
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
IMAGE = ROOT / "tests" / "guests" / "serial_lab.img"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lfsr_pattern(n: int) -> bytes:
    """The bytes the lab's G command sends (see serial_lab.asm)."""
    out = bytearray(n)
    state = 0xACE1
    for i in range(n):
        state = (state >> 1) ^ (0xB400 if state & 1 else 0)
        out[i] = state & 0xFF
    return bytes(out)


def complement(data: bytes) -> bytes:
    return data.translate(bytes(255 - i for i in range(256)))


class Lab:
    def __init__(self, tmp: Path, com1: str, seconds: float = 300) -> None:
        image = tmp / f"lab-{os.getpid()}-{id(self)}.img"
        shutil.copy(IMAGE, image)
        self.control_port = free_port()
        self.stderr_lines: list[str] = []
        self._stderr_seen = threading.Condition()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "run", "--fda", str(image), "--serial", com1,
             "--serial", f"tcp-server:127.0.0.1:{self.control_port}",
             "--max-seconds", str(seconds)],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read_stderr, daemon=True).start()
        self.control = self._connect()
        self._pending = b""
        # The guest says READY once its ports are set up; whether that reaches us depends on
        # whether we connected before it, so wait for the answer to P and skip a READY. A P
        # that arrived before the guest reset its UART's FIFOs is gone: ask again. Several
        # VMs start side by side on two cores here, so the first answer may take a while.
        deadline = time.monotonic() + 60
        asked = 0
        first = ""
        while first != "PONG":
            if time.monotonic() > deadline:
                raise AssertionError(f"the lab never answered P; the run's stderr: "
                                     f"{self.stderr_lines}")
            self.send(b"P")
            asked += 1
            try:
                first = self.reply(timeout=5)
                if first == "READY":
                    first = self.reply(timeout=5)
            except AssertionError:
                continue
            assert first == "PONG", f"the lab answered {first!r} to P"
        if asked > 1:
            self._drain(1.0)           # the answers to the earlier P, should they come late

    def _drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.reply(timeout=left)
            except AssertionError:
                return
            assert line in ("PONG", "READY"), f"the lab said {line!r} unasked"

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            with self._stderr_seen:
                self.stderr_lines.append(line.rstrip("\n"))
                self._stderr_seen.notify_all()

    def stderr_match(self, pattern: str, timeout: float = 10, nth: int = 1) -> re.Match:
        """The nth line of the run's stderr that matches (waits for it)."""
        deadline = time.monotonic() + timeout
        with self._stderr_seen:
            while True:
                found = [m for line in self.stderr_lines if (m := re.search(pattern, line))]
                if len(found) >= nth:
                    return found[nth - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {pattern!r} in stderr: {self.stderr_lines}")
                self._stderr_seen.wait(left)

    def _connect(self) -> socket.socket:
        deadline = time.monotonic() + 15
        while True:
            try:
                return socket.create_connection(("127.0.0.1", self.control_port), timeout=1)
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"xtbox run did not come up: {self.stderr_lines}") \
                        from None
                time.sleep(0.1)

    def send(self, data: bytes) -> None:
        self.control.sendall(data)

    def reply(self, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no reply from the lab (got {self._pending!r})")
            self.control.settimeout(left)
            try:
                chunk = self.control.recv(256)
            except TimeoutError:
                continue
            if not chunk:
                raise AssertionError("the lab's control line closed")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\r\n", 1)
        return line.decode("ascii")

    def command(self, data: bytes, timeout: float = 10) -> str:
        self.send(data)
        return self.reply(timeout)

    def received(self) -> int:
        line = self.command(b"C")
        assert line.startswith("C "), line
        return int(line[2:], 16)

    def stop(self) -> None:
        """End the run as a user would (SIGTERM), so it closes its ports and reports."""
        self.control.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def open_raw(path: str) -> int:
    """Open a tty as a serial program would: raw, no controlling terminal."""
    import tty
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    return fd


def pump(write, read, data: bytes, expect: int, stall: float,
         pause_at: int | None = None, pause: float = 0.0) -> bytes:
    """Send ``data`` with a writer thread (blocking writes: back-pressure holds it) while
    collecting ``expect`` bytes; optionally stop reading for ``pause`` seconds once
    ``pause_at`` bytes came back (a slow host). Gives up when nothing has come back for
    ``stall`` seconds, not after a total: a VM beside others on two loaded cores runs slower
    than real time, so its 115200-baud line moves fewer bytes a wall-clock second than the
    line rate, and a budget from the line rate failed transfers that were only slow."""
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            view = memoryview(data)
            while view:
                n = write(view[:65536])
                view = view[n:]
        except BaseException as exc:  # noqa: BLE001 - reported by the reader
            errors.append(exc)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    got = bytearray()
    deadline = time.monotonic() + stall
    paused = pause_at is None
    while len(got) < expect and time.monotonic() < deadline and not errors:
        if not paused and len(got) >= pause_at:
            time.sleep(pause)
            paused = True
            deadline = time.monotonic() + stall
        chunk = read()
        if chunk:
            got += chunk
            deadline = time.monotonic() + stall
    thread.join(timeout=5)
    if errors:
        raise errors[0]
    return bytes(got)


def fd_reader(fd: int):
    def read() -> bytes:
        if select.select([fd], [], [], 0.2)[0]:
            return os.read(fd, 65536)
        return b""
    return read


def fd_writer(fd: int):
    os.set_blocking(fd, True)
    return lambda chunk: os.write(fd, chunk)


def sock_reader(conn: socket.socket):
    def read() -> bytes:
        if select.select([conn], [], [], 0.2)[0]:
            return conn.recv(65536)
        return b""
    return read


def sock_writer(conn: socket.socket):
    def write(chunk) -> int:
        conn.sendall(chunk)
        return len(chunk)
    return write
