"""The host ends xtbox offers: a log file, a pty, a TCP server, any pyserial port or URL."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import sys
import termios
import tty

from engine.errors import ConfigError
from engine.serial.stream import StreamBackend

WAIT = 0.02
BAUDS = {b: getattr(termios, f"B{b}") for b in (50, 75, 110, 134, 150, 200, 300, 600, 1200,
                                                 1800, 2400, 4800, 9600, 19200, 38400, 57600,
                                                 115200) if hasattr(termios, f"B{b}")}


class FdBackend(StreamBackend):
    """A non-blocking file descriptor (pty master, TCP socket)."""

    fd: int | None = None

    def _recv(self, n: int) -> bytes | None:
        fd = self.fd
        if fd is None:
            return None
        with self._lock:
            sending = bool(self._out)
        ready, _, _ = select.select([fd], [], [], 0 if sending else WAIT)
        if not ready:
            return b""
        try:
            data = os.read(fd, n)
        except BlockingIOError:
            return b""
        except OSError:
            return None                   # EIO: a pty's last client closed it
        return data if data else None

    def _send(self, data: bytes) -> int | None:
        fd = self.fd
        if fd is None:
            return None
        # poll, not select: a hang-up (a pty's client gone while the guest's input buffer is
        # full, so _recv is not asking) ends the connection here too.
        events = select.poll()
        events.register(fd, select.POLLOUT)
        revents = next((ev for _, ev in events.poll(WAIT * 1000)), 0)
        if revents & (select.POLLHUP | select.POLLERR):
            return None
        if not revents & select.POLLOUT:
            return 0
        try:
            return os.write(fd, data)
        except BlockingIOError:
            return 0
        except OSError:
            return None


class FileBackend(StreamBackend):
    """``file:PATH``: everything the guest sends, appended to PATH; nothing comes back."""

    label = "file"

    def __init__(self, path: str) -> None:
        super().__init__()
        try:
            self.file = open(path, "ab", buffering=0)  # noqa: SIM115 - lives as long as the VM
        except OSError as exc:
            raise ConfigError(f"serial backend file:{path}: cannot open ({exc.strerror})") \
                from None
        self.detail = path

    def _connect(self) -> bool:
        return True

    def _recv(self, n: int) -> bytes | None:
        self._wake.wait(WAIT)
        self._wake.clear()
        return b""

    def _send(self, data: bytes) -> int | None:
        return self.file.write(data)

    def close(self) -> None:
        super().close()
        self.file.close()


class PtyBackend(FdBackend):
    """``pty``: a pseudo-terminal another program opens (QEMU's -serial pty).

    As QEMU's pty chardev does, we close our own end of the slave at once: the master then
    reports POLLHUP (and EIO on read) for as long as nobody holds the slave open, which is how
    we know whether a client is there. While none is (before the first opens it, between
    clients), the guest's output is held in our bounded buffer (StreamBackend) and goes to the
    next client first; written to the master instead, it would pile up in the kernel's buffer,
    hold the guest back after a few KiB and reach the client as the oldest bytes, not the
    newest. No event says a slave was opened, so an idle port polls the master every
    ``retry`` (one poll(2) call, as QEMU's timer does). The guest's line settings are applied through the master
    (Linux applies a master's termios calls to its slave) and stay on the pty between
    clients."""

    label = "pty"
    retry = 0.1

    def __init__(self) -> None:
        super().__init__()
        self.master, slave = os.openpty()
        try:
            tty.setraw(slave)
            self.path = os.ttyname(slave)
        finally:
            os.close(slave)
        os.set_blocking(self.master, False)
        self.detail = self.path
        self.fd = self.master
        self._hangup = select.poll()
        self._hangup.register(self.master, select.POLLIN)
        self._opened = False

    def _connect(self) -> bool:
        revents = next((ev for _, ev in self._hangup.poll(0)), 0)
        if revents & select.POLLHUP and revents & select.POLLIN:
            # A client came, wrote and left between two polls (`echo hi > /dev/pts/N`):
            # what it wrote is the guest's all the same.
            with contextlib.suppress(OSError):
                data = os.read(self.master, max(self._room(), 0))
                if data:
                    self._deliver(data)
        if revents & select.POLLHUP:
            self._opened = False
            return False
        # Connected at the second poll that finds the slave open, not the first: a client
        # opens the pty and then sets it up, usually discarding what is waiting there
        # (tty.setraw's TCSAFLUSH; pyserial's open() flushes its input), and what we sent
        # in between would be lost.
        seen, self._opened = self._opened, True
        return seen

    def _disconnect(self) -> None:
        self._opened = False              # the next client is given the same grace

    def set_line(self, baud: int, bits: int, parity: str, stop: int) -> None:
        super().set_line(baud, bits, parity, stop)
        try:
            attrs = termios.tcgetattr(self.master)
            speed = BAUDS.get(baud) or min(BAUDS.items(), key=lambda kv: abs(kv[0] - baud))[1]
            attrs[4] = attrs[5] = speed
            cflag = attrs[2] & ~(termios.CSIZE | termios.PARENB | termios.PARODD
                                 | termios.CSTOPB)
            cflag |= {5: termios.CS5, 6: termios.CS6, 7: termios.CS7}.get(bits, termios.CS8)
            if parity in ("E", "O", "M", "S"):
                cflag |= termios.PARENB | (termios.PARODD if parity in ("O", "M") else 0)
            if stop == 2:
                cflag |= termios.CSTOPB
            attrs[2] = cflag
            termios.tcsetattr(self.master, termios.TCSANOW, attrs)
        except (termios.error, OSError):
            pass

    def close(self) -> None:
        super().close()
        with contextlib.suppress(OSError):
            os.close(self.master)


class TcpServerBackend(FdBackend):
    """``tcp-server:[HOST:]PORT``: listens (loopback by default) and serves one client at a
    time; when it disconnects, the next one is accepted (VirtualBox's TCP mode)."""

    label = "tcp-server"

    def __init__(self, host: str, port: int) -> None:
        super().__init__()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.listener.bind((host, port))
        except OSError as exc:
            self.listener.close()
            raise ConfigError(f"serial backend tcp-server:{host}:{port}: cannot listen "
                              f"({exc.strerror})") from None
        self.listener.listen(1)
        self.listener.settimeout(RETRY_ACCEPT)
        self.address = self.listener.getsockname()[:2]
        self.detail = f"listening on {self.address[0]}:{self.address[1]}"
        self.client: socket.socket | None = None

    def _connect(self) -> bool:
        try:
            client, peer = self.listener.accept()
        except (TimeoutError, OSError):
            return False
        client.setblocking(False)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client, self.fd = client, client.fileno()
        self.detail = f"client {peer[0]}:{peer[1]} on {self.address[0]}:{self.address[1]}"
        return True

    def _disconnect(self) -> None:
        if self.client is not None:
            with contextlib.suppress(OSError):
                self.client.close()
        self.client = self.fd = None
        self.detail = f"listening on {self.address[0]}:{self.address[1]}"

    def close(self) -> None:
        super().close()
        self.listener.close()


RETRY_ACCEPT = 0.2
# pyserial URLs over a connection that holds the sender back by itself (TCP; an in-process
# loop); every other form (a device path, spy://, alt://, hwgrep://) ends at a real port.
STREAM_URLS = ("socket://", "rfc2217://", "loop://")


class PyserialBackend(StreamBackend):
    """A device path or pyserial URL, opened with ``serial.serial_for_url``. A device that is
    missing or busy leaves the port disconnected and is retried every second, so a VM boots
    without its USB adapter and the port connects when it is plugged in. A real port (a device
    path, or spy://, alt://, hwgrep:// over one) is read on when our buffer is full and the
    excess is counted as dropped, because its own small buffer would otherwise overflow
    silently; network URLs are not, TCP holds their sender back by itself."""

    label = "pyserial"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.drop_when_full = not url.startswith(STREAM_URLS)
        self.port = None
        self.detail = f"{url}: not connected yet"
        self._settings = {"baudrate": 9600, "bytesize": 8, "parity": "N", "stopbits": 1}
        self._modem_out = (False, False)
        self._modem_in = (False, False, False, False)

    def _connect(self) -> bool:
        import serial
        try:
            port = serial.serial_for_url(self.url, timeout=WAIT, write_timeout=0,
                                         **self._settings)
        except (serial.SerialException, OSError, ValueError) as exc:
            detail = f"{self.url}: {exc}"
            if detail != self.detail and self.on_state is not None:
                self.on_state(False, f"{detail}; retrying every second")
            self.detail = detail
            return False
        self.port = port
        self._apply_modem()
        self.detail = self.url
        return True

    def _recv(self, n: int) -> bytes | None:
        import serial
        port = self.port
        if port is None:
            return None
        try:
            waiting = port.in_waiting
            data = port.read(min(n, waiting) if waiting else 1)
            self._poll_modem()
        except (serial.SerialException, OSError) as exc:
            self.detail = f"{self.url}: {exc}"
            return None
        return data

    def _send(self, data: bytes) -> int | None:
        import serial
        port = self.port
        if port is None:
            return None
        try:
            return port.write(data) or 0
        except serial.SerialTimeoutException:
            return 0
        except (serial.SerialException, OSError) as exc:
            self.detail = f"{self.url}: {exc}"
            return None

    def _disconnect(self) -> None:
        if self.port is not None:
            with contextlib.suppress(Exception):
                self.port.close()
        self.port = None

    def set_line(self, baud: int, bits: int, parity: str, stop: int) -> None:
        super().set_line(baud, bits, parity, stop)
        self._settings = {"baudrate": baud, "bytesize": bits, "parity": parity,
                          "stopbits": stop}
        port = self.port
        if port is not None:
            with contextlib.suppress(Exception):
                port.apply_settings(self._settings)

    def set_modem(self, dtr: bool, rts: bool) -> None:
        super().set_modem(dtr, rts)
        self._modem_out = (dtr, rts)
        self._apply_modem()

    def _apply_modem(self) -> None:
        port = self.port
        if port is not None:
            dtr, rts = self._modem_out
            with contextlib.suppress(Exception):
                port.dtr, port.rts = dtr, rts and not self.throttled

    def _throttle(self, on: bool) -> None:
        self._apply_modem()

    def _poll_modem(self) -> None:
        port = self.port
        with contextlib.suppress(Exception):
            self._modem_in = (port.cts, port.dsr, port.ri, port.cd)

    def get_modem(self) -> tuple[bool, bool, bool, bool]:
        return self._modem_in


def announce(name: str, text: str) -> None:
    print(f"xtbox: {name}: {text}", file=sys.stderr, flush=True)
