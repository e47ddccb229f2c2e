"""COM ports under a real serial driver of ours (tests/guests/serial_lab.asm: 115200 baud,
16550 FIFOs, interrupts through the 8259) in real `xtbox run` processes: 1 MiB through every
backend kind with every byte checked, loopback mode, modem lines, line settings, and input
that no one reads on a port without flow control (counted, never silently lost)."""

from __future__ import annotations

import os
import socket
import termios
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from engine.serial import open_backend
from tests.engine.serial.lab import (
    Lab,
    complement,
    fd_reader,
    fd_writer,
    free_port,
    lfsr_pattern,
    open_raw,
    pump,
    sock_reader,
    sock_writer,
)

MIB = 1 << 20
STALL = 30          # s without a byte moving: a transfer stuck, not slow (see lab.pump)


def echo_pty(tmp_path) -> str:
    with Lab(tmp_path, "pty") as lab:
        fd = open_raw(lab.stderr_match(r"redirected to (\S+) \(label com1\)").group(1))
        try:
            data = os.urandom(MIB)
            # A slow host: nobody reads for 8 s after the first 256 KiB. The guest's output
            # then backs up (pty, our buffer, the UART: LSR busy), its ring fills, it stops
            # taking input, and our input buffer holds the host back. Nothing may be lost.
            got = pump(fd_writer(fd), fd_reader(fd), data, MIB, STALL,
                       pause_at=256 * 1024, pause=8)
        finally:
            os.close(fd)
        return check_echo("pty", data, got, lab)


def echo_tcp_server(tmp_path) -> str:
    port = free_port()
    with Lab(tmp_path, f"tcp-server:127.0.0.1:{port}") as lab:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            data = os.urandom(MIB)
            got = pump(sock_writer(conn), sock_reader(conn), data, MIB, STALL)
        return check_echo("tcp-server", data, got, lab)


def echo_socket_url(tmp_path) -> str:
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(20)
        with Lab(tmp_path, f"socket://127.0.0.1:{server.getsockname()[1]}") as lab:
            conn, _ = server.accept()
            with conn:
                data = os.urandom(MIB)
                got = pump(sock_writer(conn), sock_reader(conn), data, MIB, STALL)
            return check_echo("socket://", data, got, lab)


def generate_to_file(tmp_path) -> str:
    log = tmp_path / "com1.log"
    with Lab(tmp_path, f"file:{log}") as lab:
        assert lab.command(b"G" + MIB.to_bytes(4, "little")) == "G"
        size, deadline = -1, 0.0
        while True:                      # GDONE, waited for as long as the file grows
            try:
                assert lab.reply(timeout=1) == "GDONE"
                break
            except AssertionError as exc:
                if "no reply" not in str(exc):
                    raise
            if log.stat().st_size != size:
                size, deadline = log.stat().st_size, time.monotonic() + STALL
            assert time.monotonic() < deadline, f"file: stuck at {size} bytes"
        deadline = time.monotonic() + 10
        while log.stat().st_size < MIB and time.monotonic() < deadline:
            time.sleep(0.05)
    written = log.read_bytes()
    assert len(written) == MIB, f"file: {len(written)} bytes of {MIB}"
    assert written == lfsr_pattern(MIB), "file: the bytes differ from the guest's pattern"
    return "file"


def check_echo(kind: str, data: bytes, got: bytes, lab: Lab) -> str:
    assert len(got) == len(data), f"{kind}: {len(got)} of {len(data)} bytes came back"
    assert got == complement(data), f"{kind}: first difference at byte " \
        f"{next(i for i, (a, b) in enumerate(zip(got, complement(data), strict=True)) if a != b)}"
    assert lab.received() == len(data)
    return kind


@pytest.mark.slow
def test_one_mib_through_every_backend_kind(tmp_path):
    """The four kinds run side by side (each is paced by its 115200-baud line)."""
    jobs = (echo_pty, echo_tcp_server, echo_socket_url, generate_to_file)
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(job, tmp_path) for job in jobs]
        done = [f.result() for f in futures]
    assert done == ["pty", "tcp-server", "socket://", "file"]


def test_loopback_mode_keeps_bytes_inside_the_chip(tmp_path):
    with Lab(tmp_path, "pty") as lab:
        fd = open_raw(lab.stderr_match(r"redirected to (\S+) \(label com1\)").group(1))
        try:
            assert lab.command(b"T") == "T ok"
            read = fd_reader(fd)
            assert read() == b"", "loopback mode sent bytes out of the port"
            os.write(fd, b"after")                  # and the port works normally again
            got = b""
            deadline = time.monotonic() + 5
            while len(got) < 5 and time.monotonic() < deadline:
                got += read()
            assert got == complement(b"after")
        finally:
            os.close(fd)


def modem_status(lab: Lab, mcr: int, want: int) -> tuple[int, int]:
    """Set COM1's MCR, then poll MSR until its line bits read ``want`` (or give up)."""
    assert lab.command(b"S" + bytes([mcr])) == "S"
    deadline = time.monotonic() + 3
    while True:
        _, msr, mcr_now = lab.command(b"M").split()
        lines = int(msr, 16) & 0xF0
        if lines == want or time.monotonic() > deadline:
            return lines, int(mcr_now, 16)
        time.sleep(0.05)


def test_modem_lines_pass_through_a_pyserial_port(tmp_path):
    """pyserial's loop:// wires RTS to CTS and DTR to DSR and holds CD on: the guest's DTR and
    RTS must reach the port and the port's CTS/DSR/DCD must come back in MSR."""
    with Lab(tmp_path, "loop://") as lab:
        assert modem_status(lab, 0x03, 0xB0) == (0xB0, 0x0B)   # DTR RTS -> DSR CTS, DCD
        assert modem_status(lab, 0x00, 0x80) == (0x80, 0x08)   # both off; OUT2 stays on
        assert modem_status(lab, 0x01, 0xA0) == (0xA0, 0x09)   # DTR only -> DSR
        assert modem_status(lab, 0x02, 0x90) == (0x90, 0x0A)   # RTS only -> CTS


def test_line_settings_reach_the_pty(tmp_path):
    """Linux ptys keep the baud rate and stop bits a program sets (they force CS8 and no
    parity, so those are checked on a pyserial port below)."""
    with Lab(tmp_path, "pty") as lab:
        fd = open_raw(lab.stderr_match(r"redirected to (\S+) \(label com1\)").group(1))
        try:
            for divisor, lcr, speed, two_stops in ((12, 0x07, termios.B9600, True),
                                                   (1, 0x03, termios.B115200, False),
                                                   (48, 0x03, termios.B2400, False)):
                assert lab.command(b"L" + divisor.to_bytes(2, "little") + bytes([lcr])) == "L"
                deadline = time.monotonic() + 3
                while time.monotonic() < deadline:
                    attrs = termios.tcgetattr(fd)
                    if attrs[4] == speed:
                        break
                    time.sleep(0.05)
                assert (attrs[4], attrs[5]) == (speed, speed)
                assert bool(attrs[2] & termios.CSTOPB) == two_stops
        finally:
            os.close(fd)


def test_line_settings_reach_a_pyserial_port():
    backend = open_backend("loop://")
    try:
        deadline = time.monotonic() + 5
        while not backend.connected and time.monotonic() < deadline:
            time.sleep(0.02)
        backend.set_line(2400, 7, "E", 2)
        port = backend.port
        assert (port.baudrate, port.bytesize, port.parity, port.stopbits) == (2400, 7, "E", 2)
    finally:
        backend.close()


def test_unread_input_on_a_port_without_flow_control_is_counted(tmp_path):
    """A serial device (here a pty opened by path, as a USB adapter would be) has no flow
    control we can rely on: once our buffers are full, what the host still sends is dropped,
    and every dropped byte is counted and reported; the rest reaches the guest."""
    master, slave = os.openpty()
    sent = 256 * 1024
    try:
        with Lab(tmp_path, os.ttyname(slave)) as lab:
            assert lab.command(b"X") == "X"                 # the guest stops reading COM1
            os.write(master, b"")                          # (the port is open: send now)
            view = memoryview(os.urandom(sent))
            while view:
                view = view[os.write(master, view[:4096]):]
            lab.stderr_match(r"com1: .*dropping host data")
            assert lab.command(b"K") == "K"                 # count what arrives, don't echo
            assert lab.command(b"Y") == "Y"
            received, last = lab.received(), -1
            deadline = time.monotonic() + 60
            while received != last and time.monotonic() < deadline:
                time.sleep(1.5)
                received, last = lab.received(), received
            lab.stop()
            dropped = int(lab.stderr_match(r"com1: (\d+) bytes from the host were dropped")
                          .group(1))
    finally:
        os.close(master)
        os.close(slave)
    assert dropped > 0 and received >= 64 * 1024
    assert received + dropped == sent


def echo_once(fd: int, data: bytes) -> bytes:
    os.write(fd, data)
    read, got = fd_reader(fd), b""
    deadline = time.monotonic() + 5
    while len(got) < len(data) and time.monotonic() < deadline:
        got += read()
    return got


def test_a_device_that_goes_away_and_comes_back(tmp_path):
    """Unplugging the adapter leaves the VM running and the port disconnected (said on
    stderr, the VM's log); plugging one in at the same path connects it again."""
    link = tmp_path / "ttyUSB-like"
    master, slave = os.openpty()
    os.symlink(os.ttyname(slave), link)
    with Lab(tmp_path, str(link)) as lab:
        lab.stderr_match(r"com1: connected: ")
        assert echo_once(master, b"one") == complement(b"one")
        os.close(master)
        os.close(slave)
        link.unlink()
        lab.stderr_match(r"com1: disconnected: ")
        assert lab.command(b"P") == "PONG"                  # the guest runs on
        master, slave = os.openpty()
        os.symlink(os.ttyname(slave), link)
        try:
            lab.stderr_match(r"com1: connected: ", nth=2)
            assert echo_once(master, b"two") == complement(b"two")
        finally:
            os.close(master)
            os.close(slave)
