"""Serial backends through the real `xtbox run` process: the demo shell's `serial` command
echoes COM1 (9600 8N1, set through INT 14h), so what goes in must come back."""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from engine.errors import ConfigError
from engine.serial import open_backend, parse_spec

ROOT = Path(__file__).resolve().parents[3]
MESSAGE = bytes(range(32, 127)) * 3


def start(spec: str, seconds: float = 20) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "run", "--serial", spec, "--type", r"serial\n",
         "--type-after", "0.3", "--max-seconds", str(seconds)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def stderr_line(proc: subprocess.Popen, pattern: str) -> re.Match:
    deadline = time.monotonic() + 10
    seen = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 0.2)
        if ready:
            line = proc.stderr.readline()
            seen += line
            if m := re.search(pattern, line.decode()):
                return m
    raise AssertionError(f"no {pattern!r} on stderr: {seen!r}")


def echo_through(send, recv, data: bytes = MESSAGE, timeout: float = 15) -> bytes:
    """Send data after the guest entered serial mode; collect the echo."""
    got = b""
    deadline = time.monotonic() + timeout
    time.sleep(0.8)                          # the guest types `serial` at 0.3 s
    send(data)
    while len(got) < len(data) and time.monotonic() < deadline:
        got += recv()
    return got


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("spec", ["none", "stdio", "loopback", "pty", "file:/tmp/x.log",
                                  "tcp-server:4555", "tcp-server:0.0.0.0:4555",
                                  "socket://localhost:7000", "loop://", "rfc2217://h:1",
                                  "/dev/ttyUSB0", "spy://loop://"])
def test_accepted_specs(spec):
    assert parse_spec(spec).kind


@pytest.mark.parametrize("spec", ["tcp:nowhere", "file:", "tcp-server:99999", "tcp-server:x",
                                  "gopher://x", "socket://nohostport", "COMX", "banana"])
def test_malformed_specs_name_the_spec_and_the_forms(spec):
    with pytest.raises(ConfigError) as err:
        parse_spec(spec)
    assert repr(spec) in str(err.value) and "tcp-server:[HOST:]PORT" in str(err.value)


def test_pty_echo_and_line_settings():
    proc = start("pty")
    try:
        path = stderr_line(proc, r"redirected to (\S+) \(label com1\)").group(1)
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        try:
            attrs = termios.tcgetattr(fd)
            got = echo_through(lambda d: os.write(fd, d),
                               lambda: os.read(fd, 4096) if select.select([fd], [], [], 0.2)[0]
                               else b"")
            assert got == MESSAGE
            attrs = termios.tcgetattr(fd)        # the guest set 9600 8N1 through INT 14h
            assert attrs[4] == termios.B9600 and attrs[2] & termios.CSIZE == termios.CS8
        finally:
            os.close(fd)
    finally:
        proc.kill()
        proc.wait()


def test_tcp_server_serves_one_client_after_another():
    port = free_port()
    proc = start(f"tcp-server:127.0.0.1:{port}")
    try:
        stderr_line(proc, rf"listening on 127.0.0.1:{port}")
        for round_ in range(2):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
                c.settimeout(0.2)

                def recv(c=c) -> bytes:
                    try:
                        return c.recv(4096)
                    except TimeoutError:
                        return b""
                data = MESSAGE[: 40 + round_]
                assert echo_through(c.sendall, recv, data) == data
            time.sleep(0.3)
    finally:
        proc.kill()
        proc.wait()


def test_socket_url_to_a_test_owned_server():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    proc = start(f"socket://127.0.0.1:{server.getsockname()[1]}")
    try:
        server.settimeout(10)
        conn, _ = server.accept()
        conn.settimeout(0.2)

        def recv() -> bytes:
            try:
                return conn.recv(4096)
            except TimeoutError:
                return b""
        assert echo_through(conn.sendall, recv) == MESSAGE
        conn.close()
    finally:
        proc.kill()
        proc.wait()
        server.close()


def test_missing_device_does_not_stop_the_boot(tmp_path):
    dump = tmp_path / "screen.txt"
    r = subprocess.run([sys.executable, "-m", "tui.cli", "run", "--serial", "/dev/ttyNOSUCH0",
                        "--max-seconds", "1.5", "--screen-dump", str(dump)],
                       cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "xtbox>" in dump.read_text()


def test_file_backend_keeps_every_byte_and_a_late_device_connects(tmp_path):
    log = tmp_path / "com1.log"
    backend = open_backend(f"file:{log}")
    data = os.urandom(200_000)
    sent = 0
    deadline = time.monotonic() + 20
    while sent < len(data) and time.monotonic() < deadline:
        n = backend.write(data[sent:sent + 1000])   # fewer accepted = transmitter busy
        sent += n
        if n == 0:
            time.sleep(0.001)
    time.sleep(0.2)
    backend.close()
    assert log.read_bytes() == data

    # A device path that appears after the VM started: the port connects by itself.
    master, slave = os.openpty()
    link = tmp_path / "ttyLATE"
    late = open_backend(str(link))
    try:
        time.sleep(0.3)
        assert not late.connected and "ttyLATE" in late.status()["detail"]
        os.symlink(os.ttyname(slave), link)
        deadline = time.monotonic() + 5
        while not late.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert late.connected
        os.write(master, b"hi")
        got = b""
        while got != b"hi" and time.monotonic() < deadline:
            got += late.read()
            time.sleep(0.01)
        assert got == b"hi"
    finally:
        late.close()
        os.close(master)
        os.close(slave)


def test_host_bytes_call_on_input_so_a_sleeping_guest_wakes():
    import threading

    from engine.serial.stream import StreamBackend

    class OneShot(StreamBackend):
        sent = False

        def _connect(self):
            return True

        def _recv(self, n):
            if self.sent:
                time.sleep(0.02)
                return b""
            self.sent = True
            return b"hi"

        def _send(self, data):
            return len(data)

        def _disconnect(self):
            pass

    woken = threading.Event()
    backend = OneShot()
    backend.on_input = woken.set
    backend.start()
    try:
        assert woken.wait(10)
        assert backend.read() == b"hi"
    finally:
        backend.close()


def test_a_pty_counts_as_connected_only_while_a_client_holds_it_open():
    """The pty's slave side is ours to watch, not to hold: connected while a client has it
    open (from the second poll that sees it), held output before and after; a client that
    writes and leaves between two polls still reaches the guest."""
    backend = open_backend("pty")
    try:
        path = backend.path
        assert backend.write(b"early") == 5
        time.sleep(0.3)
        assert not backend.connected and backend.status()["held"] == 5
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        try:
            got = b""
            deadline = time.monotonic() + 5
            while len(got) < 5 and time.monotonic() < deadline:
                if select.select([fd], [], [], 0.1)[0]:
                    got += os.read(fd, 100)
            assert got == b"early" and backend.connected
        finally:
            os.close(fd)
        deadline = time.monotonic() + 5
        while backend.connected and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not backend.connected
        assert backend.write(b"late") == 4 and backend.status()["held"] == 4

        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)   # `echo hi > /dev/pts/N`
        os.write(fd, b"hi")
        os.close(fd)
        got = b""
        while got != b"hi" and time.monotonic() < deadline + 5:
            got += backend.read()
            time.sleep(0.01)
        assert got == b"hi"
    finally:
        backend.close()
