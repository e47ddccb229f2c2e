"""The PC: CPU, memory map, chips, drives and our BIOS, wired as an IBM PC/XT.

    m = Machine(MachineConfig(fda="dos.img", boot="ac"))
    status = m.run(max_seconds=10)        # blocks; stop()/pause()/... from other threads
    m.text_screen().text_lines()

Time: the chips count PIT input clocks (1,193,182 Hz). Virtual time is the host's monotonic
clock (less the time spent paused), so the BIOS tick count follows the wall clock at any CPU
speed. The CPU runs in slices of at most SLICE instructions; between slices the chips catch
up. A guest halted with interrupts enabled costs nothing: the host sleeps until the next
chip event or host input. `speed="xt"` paces the CPU at XT_IPS instructions per second (a
4.77 MHz 8088 averages ~14.5 clocks an instruction), `max` runs flat out.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.bios import Bios, layout, rom_image
from engine.bus import PortBus
from engine.chips.cga import CGA
from engine.chips.debugport import DebugPorts
from engine.chips.i8253 import PIT8253
from engine.chips.i8255 import XTSystemPPI
from engine.chips.i8259 import PIC8259
from engine.chips.keyboard import XTKeyboard
from engine.chips.mda import MDA
from engine.chips.ns16550 import UART16550
from engine.chips.scancodes import text_to_scancodes
from engine.cpu import CPU
from engine.drives import Drive, FloppyDrive
from engine.errors import ConfigError
from engine.serial import open_backend
from engine.video import TextScreen

PIT_HZ = 1_193_182
SLICE = 20_000
WAKE_EARLY = 0.0001  # s: a halted guest wakes this much before its event (host wake-up lag)
XT_IPS = 330_000
COM_BASES = (0x3F8, 0x2F8)
COM_IRQS = (4, 3)
FLOPPY_LETTERS = ("a", "b")    # two diskette drives, as most PCs had; empty until given media


@dataclass
class MachineConfig:
    memory_kib: int = 640
    display: str = "cga"
    fda: str | None = None
    fdb: str | None = None
    hda: str | None = None
    hdb: str | None = None
    boot: str = "ac"
    serial: list[str] = field(default_factory=lambda: ["none", "none"])
    speed: str = "max"
    allow_outside_backing: bool = True
    write_protected: tuple[str, ...] = ()     # fda fdb hda hdb: opened read-only

    def validate(self) -> None:
        if not 64 <= self.memory_kib <= 640 or self.memory_kib % 16:
            raise ConfigError(f"memory {self.memory_kib} KiB: expected a multiple of 16 "
                              "from 64 to 640")
        if self.display not in ("cga", "mda"):
            raise ConfigError(f"display {self.display!r}: expected cga or mda")
        if not self.boot or any(c not in "ac" for c in self.boot):
            raise ConfigError(f"boot order {self.boot!r}: expected a, c, ac or ca")
        if self.speed not in ("max", "xt"):
            raise ConfigError(f"speed {self.speed!r}: expected max or xt")
        if len(self.serial) > 2:
            raise ConfigError(f"{len(self.serial)} serial ports: the PC has COM1 and COM2")
        for drive in self.write_protected:
            if drive not in ("fda", "fdb", "hda", "hdb"):
                raise ConfigError(f"write-protected drive {drive!r}: expected fda, fdb, hda "
                                  "or hdb")


class Machine:
    def __init__(self, config: MachineConfig) -> None:
        config.validate()
        self.config = config
        self.exit_status: int | None = None
        self.state = "stopped"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._reset_requested = False
        self._paused_at: float | None = None
        self._t0 = time.monotonic()
        self._paused_total = 0.0
        self.log_lines: list[str] = []
        self.on_log: Callable[[str], None] | None = None
        self.debug_out: Callable[[bytes], None] = self._default_debug_out
        self.floppies = {letter: FloppyDrive(letter) for letter in FLOPPY_LETTERS}
        self.hard_disks: dict[str, Drive] = {}
        try:
            self._setup_drives()
            self.cpu = CPU()
            self.bus = PortBus()
            self._setup_memory()
            self._setup_pic()
            self._setup_pit()
            self._setup_keyboard()
            self._setup_video()
            self._setup_serial()
            self._setup_debug()
            self.bios = Bios(self)
            self.bus.attach(self.bios, name="bios")
            self.keyboard.ready = self.bios.keyboard.buffer_room
            self.cpu.io = self.bus
        except BaseException:
            self.close()
            raise
        self.cpu.reset()

    # ---- setup: one function per device, as PCE's ibmpc.c ----------------------------------
    def _setup_drives(self) -> None:
        c = self.config
        for letter, name, path in (("a", "fda", c.fda), ("b", "fdb", c.fdb)):
            if path:
                self.floppies[letter].insert(path, readonly=name in c.write_protected,
                                             allow_outside_backing=c.allow_outside_backing)
        for letter, name, path in (("c", "hda", c.hda), ("d", "hdb", c.hdb)):
            if path:
                self.hard_disks[letter] = Drive(path, floppy=False,
                                                readonly=name in c.write_protected,
                                                allow_outside_backing=c.allow_outside_backing)
        if not any(self.drive_for_bios(0x00 if b == "a" else 0x80) for b in c.boot):
            raise ConfigError("nothing to boot: attach a floppy (--fda) or a hard disk "
                              f"(--hda) for boot order {c.boot!r}")

    def _setup_memory(self) -> None:
        rom = rom_image()
        self.cpu.mem[layout.ROM_BASE:layout.ROM_BASE + len(rom)] = rom
        self.cpu.write_protect(layout.ROM_BASE, layout.ROM_BASE + layout.ROM_SIZE)

    def _setup_pic(self) -> None:
        self.pic = PIC8259(0x20)
        self.pic.intr = self.cpu.set_intr
        self.cpu.inta = self.pic.acknowledge
        self.bus.attach(self.pic)

    def _setup_pit(self) -> None:
        self.pit = PIT8253(0x40, clock=self.now)
        self.pit.irq0 = self.pic.wire(0)
        self.bus.attach(self.pit)

    def _setup_keyboard(self) -> None:
        self.keyboard = XTKeyboard(clock=self.now)
        self.keyboard.irq = self.pic.wire(1)
        # DIP switches: floppies present, display type, two drives max.
        floppies = self.floppy_count()
        switches = (0x01 if floppies else 0) | ((max(floppies, 1) - 1) << 6)
        switches |= 0x30 if self.config.display == "mda" else 0x20
        switches |= 0x0C
        self.ppi = XTSystemPPI(0x60, switches=switches, keyboard=self.keyboard, timer=self.pit)
        self.bus.attach(self.ppi)

    def _setup_video(self) -> None:
        self.video = MDA(clock=self.now) if self.config.display == "mda" else CGA(clock=self.now)
        self.bus.attach(self.video)

    def _setup_serial(self) -> None:
        self.uarts: list[UART16550] = []
        specs = list(self.config.serial) + ["none"] * (2 - len(self.config.serial))
        for i, spec in enumerate(specs):
            uart = UART16550(COM_BASES[i], backend=open_backend(spec, f"com{i + 1}"),
                             clock=self.now, name=f"com{i + 1}")
            uart.irq = self.pic.wire(COM_IRQS[i])
            self.bus.attach(uart)
            self.uarts.append(uart)

    def _setup_debug(self) -> None:
        self.debug = DebugPorts(on_exit=self._on_debug_exit, sink=lambda b: self.debug_out(b))
        self.bus.attach(self.debug)

    # ---- what the BIOS asks of the machine --------------------------------------------------
    @property
    def drives(self) -> dict[str, Drive]:
        """Every medium in the machine now, by drive letter (empty diskette drives left out)."""
        media = {k: f.medium for k, f in self.floppies.items() if f.medium is not None}
        return {**media, **self.hard_disks}

    def floppy_drive(self, dl: int) -> FloppyDrive | None:
        return self.floppies.get(FLOPPY_LETTERS[dl]) if 0 <= dl < len(FLOPPY_LETTERS) else None

    def drive_for_bios(self, dl: int) -> Drive | None:
        """The medium in BIOS drive ``dl`` (00h/01h diskettes, 80h/81h hard disks), if any."""
        if dl < 0x80:
            floppy = self.floppy_drive(dl)
            return floppy.medium if floppy else None
        index = dl & 0x7F
        return self.hard_disks.get(("c", "d")[index]) if index < 2 else None

    def floppy_count(self) -> int:
        return len(self.floppies)

    def hard_disk_count(self) -> int:
        return len(self.hard_disks)

    def change_medium(self, letter: str, path: str | None, *, readonly: bool = False) -> dict:
        """Put the image at ``path`` in diskette drive ``letter`` (``a``/``b``), or empty the
        drive (``path`` None); thread-safe. The guest sees the change line at its next access.
        Returns the drive's new state (see FloppyDrive.describe)."""
        floppy = self.floppies.get(letter)
        if floppy is None:
            raise ConfigError(f"drive {letter!r}: expected a or b (the diskette drives)")
        if path is None:
            floppy.eject()
            self.log(f"{letter.upper()}: ejected")
        else:
            floppy.insert(path, readonly=readonly,
                          allow_outside_backing=self.config.allow_outside_backing)
            state = floppy.describe()
            self.log(f"{letter.upper()}: {path} inserted ({state['format']}"
                     + (", write-protected)" if state["readonly"] else ")"))
        return floppy.describe()

    def media_status(self) -> list[dict]:
        return [f.describe() for f in self.floppies.values()]

    def serial_port_count(self) -> int:
        return len(self.uarts)

    def log(self, message: str) -> None:
        self.log_lines.append(message)
        if self.on_log:
            self.on_log(message)

    def request_reset(self) -> None:
        self._reset_requested = True
        self.cpu.request_stop()

    # ---- time --------------------------------------------------------------------------------
    def now(self) -> int:
        """Virtual time in PIT clocks: the host clock, less the time spent paused."""
        paused = self._paused_total
        if self._paused_at is not None:
            paused += time.monotonic() - self._paused_at
        return int((time.monotonic() - self._t0 - paused) * PIT_HZ)

    # ---- running -------------------------------------------------------------------------------
    def run(self, max_seconds: float | None = None) -> int:
        """Run until isa-debug-exit (its status), stop() or max_seconds (status 0)."""
        cpu = self.cpu
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        self.state = "running"
        started = time.monotonic()
        budget_start, budget_instr = started, cpu.instructions
        timed = (self.pit, self.keyboard, *self.uarts, self.bios)
        try:
            while not self._stop.is_set():
                if not self._resume.is_set():
                    self.state = "paused"
                    while not self._resume.wait(0.1):
                        if self._stop.is_set() or (deadline and time.monotonic() > deadline):
                            break
                    self.state = "running"
                    continue
                if self._reset_requested:
                    self._hard_reset()
                now = self.now()
                for chip in timed:
                    chip.tick(now)
                slice_n = SLICE if self.config.speed == "max" else XT_IPS // 100
                ran = cpu.run(slice_n)
                if self.exit_status is not None:
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    break
                if cpu.halted and ran < slice_n:
                    self._sleep_until_event(timed, deadline)
                elif self.config.speed == "xt":
                    due = budget_start + (cpu.instructions - budget_instr) / XT_IPS
                    delay = due - time.monotonic()
                    if deadline is not None:
                        delay = min(delay, deadline - time.monotonic())
                    if delay > 0 and self._wake.wait(delay):
                        self._wake.clear()
        finally:
            self.state = "stopped"
            self.flush_disks()
        return self.exit_status if self.exit_status is not None else 0

    def _sleep_until_event(self, timed, deadline: float | None) -> None:
        now = self.now()
        events = [t for t in (chip.next_event(now) for chip in timed) if t is not None]
        wait = 0.01 if not events else max(0.0, (min(events) - now) / PIT_HZ)
        wait = min(wait - WAKE_EARLY, 0.05)
        if deadline is not None:
            wait = min(wait, max(0.0, deadline - time.monotonic()))
        if wait > 0:
            self.state = "halted"
            self._wake.wait(wait)
            self._wake.clear()
            self.state = "running"

    def _hard_reset(self) -> None:
        self._reset_requested = False
        for chip in (self.pic, self.pit, self.ppi, self.keyboard, self.video, *self.uarts,
                     self.bios):
            chip.reset()
        self.cpu.set_intr(False)
        self.cpu.reset()

    def _on_debug_exit(self, status: int) -> None:
        self.exit_status = status
        self.cpu.request_stop()

    def _default_debug_out(self, data: bytes) -> None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()

    # ---- control (thread-safe) -------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        self._resume.set()
        self._wake.set()
        self.cpu.request_stop()

    def pause(self) -> None:
        if self._resume.is_set():
            self._paused_at = time.monotonic()
            self._resume.clear()
            self.cpu.request_stop()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._paused_total += time.monotonic() - self._paused_at
            self._paused_at = None
        self._resume.set()
        self._wake.set()

    def reset(self) -> None:
        self.request_reset()
        self._wake.set()

    def send_scancodes(self, codes: list[int]) -> None:
        self.keyboard.send(codes)
        self._wake.set()

    def type_text(self, text: str) -> None:
        self.send_scancodes(text_to_scancodes(text))

    # ---- observing -------------------------------------------------------------------------
    def text_screen(self) -> TextScreen:
        return self.video.text_screen(self.cpu.mem)

    def stats(self) -> dict:
        return {"instructions": self.cpu.instructions, "state": self.state,
                "disk_reads": sum(d.reads for d in self._all_drives()),
                "disk_writes": sum(d.writes for d in self._all_drives())}

    def _all_drives(self) -> list:
        return [*self.floppies.values(), *self.hard_disks.values()]

    def serial_status(self) -> list[dict]:
        """Per port: its spec, whether a peer is connected, and where (a pty path...)."""
        out = []
        for i, uart in enumerate(self.uarts):
            spec = (list(self.config.serial) + ["none", "none"])[i]
            backend = uart.backend
            status = backend.status() if hasattr(backend, "status") else {
                "connected": bool(getattr(backend, "connected", False)), "detail": ""}
            out.append({"port": f"com{i + 1}", "spec": spec, **status})
        return out

    def serial_reconnect(self, port: str) -> None:
        """Reconnect a COM port's host end (``com1``/``com2``); a port whose backend cannot
        reconnect (none, stdio, loopback) is a ConfigError naming it."""
        ports = {f"com{i + 1}": uart for i, uart in enumerate(self.uarts)}
        if port not in ports:
            raise ConfigError(f"serial port {port!r}: expected one of {', '.join(ports)}")
        backend = ports[port].backend
        if not hasattr(backend, "reconnect"):
            raise ConfigError(f"{port}: its backend ({type(backend).__name__}) has nothing to "
                              "reconnect")
        backend.reconnect()

    def flush_disks(self) -> None:
        for drive in self._all_drives():
            try:
                drive.flush()
            except Exception as exc:          # a failing flush must not hide the others
                self.log(f"flush {drive.path}: {exc}")

    def close(self) -> None:
        for uart in getattr(self, "uarts", ()):
            uart.backend.close()
        for drive in self._all_drives():
            drive.close()
        self.hard_disks.clear()

    # ---- whole-VM state ----------------------------------------------------------------------
    def get_state(self) -> dict:
        chips = {"pic": self.pic, "pit": self.pit, "ppi": self.ppi, "keyboard": self.keyboard,
                 "video": self.video, "com1": self.uarts[0], "com2": self.uarts[1],
                 "bios": self.bios}
        return {"cpu": self.cpu.get_state(), "ram": bytes(self.cpu.mem),
                "chips": {name: chip.get_state() for name, chip in chips.items()},
                "floppies": {k: f.get_state() for k, f in self.floppies.items()}}

    def set_state(self, state: dict) -> None:
        self.cpu.set_state(state["cpu"])
        self.cpu.mem[:] = state["ram"]
        chips = {"pic": self.pic, "pit": self.pit, "ppi": self.ppi, "keyboard": self.keyboard,
                 "video": self.video, "com1": self.uarts[0], "com2": self.uarts[1],
                 "bios": self.bios}
        for name, chip in chips.items():
            chip.set_state(state["chips"][name])
        for letter, floppy in self.floppies.items():
            floppy.set_state(state.get("floppies", {}).get(letter, {}))
