"""The PC: CPU, memory map, chips, drives and our BIOS, wired as an IBM PC/XT.

    m = Machine(MachineConfig(fda="dos.img", boot="ac"))
    status = m.run(max_seconds=10)        # blocks; stop()/pause()/... from other threads
    m.text_screen().text_lines()

Time is the machine's own (engine/clock.py): guest PIT clocks advanced by the CPU's
instructions, kept in step with the host (``speed="max"`` runs flat out and follows the
host's clock; ``"xt"`` paces the CPU at XT_IPS, a 4.77 MHz 8088 averaging ~14.5 clocks an
instruction) or, with ``deterministic=True``, derived from instructions alone (the same
state and inputs give the same run). The CPU runs to the next device event (at most SLICE
instructions or MAX_SLICE_TICKS); then the devices catch up. A chip whose next event moves
earlier during a guest I/O ends the slice there. A guest halted with interrupts enabled
costs nothing: the host sleeps until the next event or host input (deterministic: time
skips to the event); so does a guest that waits without HLT (engine/idle.py finds it).

Devices live in one registry (``self.devices``, in wiring order): reset, tick and the saved
state all go through it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.bios import Bios, layout, rom_image
from engine.bus import PortBus
from engine.chips.base import Device, TimedDevice
from engine.chips.cga import CGA
from engine.chips.debugport import DebugPorts
from engine.chips.i8253 import PIT8253
from engine.chips.i8255 import XTSystemPPI
from engine.chips.i8259 import PIC8259
from engine.chips.keyboard import XTKeyboard
from engine.chips.mda import MDA
from engine.chips.ns16550 import UART16550
from engine.chips.parallel import ParallelPort
from engine.chips.scancodes import text_to_scancodes
from engine.chips.serial_mouse import SerialMouse
from engine.chips.speaker import PCSpeaker
from engine.clock import VirtualClock
from engine.cpu import CPU
from engine.drives import Drive, FloppyDrive
from engine.errors import ConfigError
from engine.idle import HALT, IdleMonitor, Wait
from engine.peripherals import check_peripherals, mouse_buttons, mouse_port
from engine.serial import open_backend, open_printer_backend
from engine.sound import open_sink
from engine.video import GraphicsScreen, TextScreen

PIT_HZ = 1_193_182
SLICE = 20_000
MAX_SLICE_TICKS = PIT_HZ // 100  # 10 ms of guest time: the pacing grain at speed xt
DETERMINISTIC_EPOCH = 946_684_800  # 2000-01-01 00:00 UTC: the deterministic wall clock
WAKE_EARLY = 0.0001  # s: a halted guest wakes this much before its event (host wake-up lag)
XT_IPS = 330_000
COM_BASES = (0x3F8, 0x2F8)
COM_IRQS = (4, 3)
FLOPPY_LETTERS = ("a", "b")    # two diskette drives, as most PCs had; empty until given media
LPT_BASES = (0x378, 0x278)
LPT_IRQS = (7, 5)


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
    deterministic: bool = False
    allow_outside_backing: bool = True
    write_protected: tuple[str, ...] = ()     # fda fdb hda hdb: opened read-only
    mouse: str = "none"          # none | com1 | com2 [:logitech]: a serial mouse on that port
    speaker: str = "none"        # none | bell | wav:PATH | host (engine/sound)
    lpt: list[str] = field(default_factory=lambda: ["none", "none"])

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
        check_peripherals(self.mouse, self.speaker, self.lpt, self.serial)


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
        self._slice_end = 0
        self._until: int | None = None       # run(guest_seconds=): the clock value to stop at
        self.log_lines: list[str] = []
        self.on_log: Callable[[str], None] | None = None
        self.debug_out: Callable[[bytes], None] = self._default_debug_out
        self.floppies = {letter: FloppyDrive(letter) for letter in FLOPPY_LETTERS}
        self.hard_disks: dict[str, Drive] = {}
        self.devices: dict[str, Device] = {}
        self._timed: list[TimedDevice] = []
        try:
            self._setup_drives()
            self.cpu = CPU()
            cpu = self.cpu
            self.clock = VirtualClock(lambda: cpu.instructions, ips=XT_IPS,
                                      realtime=not config.deterministic,
                                      calibrate=config.speed == "max")
            self.now = self.clock.now    # what every chip's clock= reads (PIT clocks)
            self.bus = PortBus()
            self._setup_memory()
            self._setup_pic()
            self._setup_pit()
            self._setup_keyboard()
            self._setup_video()
            self._setup_serial()
            self._setup_mouse()
            self._setup_speaker()
            self._setup_printers()
            self._setup_debug()
            self._setup_idle()
            self.bios = Bios(self)
            self._register("bios", self.bios, timed=True)
            self.keyboard.ready = self.bios.keyboard.buffer_room
            self.cpu.io = self.bus
        except BaseException:
            self.close()
            raise
        self.cpu.reset()

    # ---- the device registry ----------------------------------------------------------------
    def _register(self, name: str, device: Device, *, ports: bool = True,
                  timed: bool = False) -> None:
        """Enter a device once: its ports on the bus, its state under ``name``, its ticks."""
        if name in self.devices:
            raise ValueError(f"device {name!r} registered twice")
        if not isinstance(device, Device):
            raise TypeError(f"{name}: {type(device).__name__} lacks reset/get_state/set_state")
        self.devices[name] = device
        if ports:
            self.bus.attach(device, name=getattr(device, "name", name))
        if timed:
            self._timed.append(device)
            device.on_reschedule = self._rescheduled

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
        self._register("pic", self.pic)

    def _setup_pit(self) -> None:
        self.pit = PIT8253(0x40, clock=self.now)
        self.pit.irq0 = self.pic.wire(0)
        self._register("pit", self.pit, timed=True)

    def _setup_keyboard(self) -> None:
        self.keyboard = XTKeyboard(clock=self.now)
        self.keyboard.irq = self.pic.wire(1)
        self._register("keyboard", self.keyboard, ports=False, timed=True)
        # DIP switches: floppies present, display type, two drives max.
        floppies = self.floppy_count()
        switches = (0x01 if floppies else 0) | ((max(floppies, 1) - 1) << 6)
        switches |= 0x30 if self.config.display == "mda" else 0x20
        switches |= 0x0C
        self.ppi = XTSystemPPI(0x60, switches=switches, keyboard=self.keyboard, timer=self.pit)
        self._register("ppi", self.ppi)

    def _setup_video(self) -> None:
        self.video = MDA(clock=self.now) if self.config.display == "mda" else CGA(clock=self.now)
        self._register("video", self.video)

    def _setup_serial(self) -> None:
        self.uarts: list[UART16550] = []
        specs = list(self.config.serial) + ["none"] * (2 - len(self.config.serial))
        for i, spec in enumerate(specs):
            uart = UART16550(COM_BASES[i], backend=open_backend(spec, f"com{i + 1}"),
                             clock=self.now, name=f"com{i + 1}")
            uart.irq = self.pic.wire(COM_IRQS[i])
            uart.backend.on_input = self._wake.set     # a byte from the host wakes the guest
            self.uarts.append(uart)
            self._register(uart.name, uart, timed=True)

    def _setup_mouse(self) -> None:
        """A serial mouse replaces the host backend of its COM port (the UART stays)."""
        self.mouse: SerialMouse | None = None
        if self.config.mouse == "none":
            return
        uart = self.uarts[int(mouse_port(self.config.mouse)[3]) - 1]
        uart.backend.close()
        self.mouse = SerialMouse(clock=self.now, buttons=mouse_buttons(self.config.mouse))
        uart.backend = self.mouse
        self._register("mouse", self.mouse, ports=False, timed=True)

    def _setup_speaker(self) -> None:
        self.on_bell: Callable[[], None] | None = None
        sink = open_sink(self.config.speaker, on_bell=self._bell, log=self.log)
        self.speaker = PCSpeaker(self.pit, clock=self.now, sink=sink)
        self.pit.before_ch2_change = self.speaker.changing
        self.ppi.speaker = self.speaker
        self._register("speaker", self.speaker, ports=False, timed=True)

    def _setup_printers(self) -> None:
        self.printers: list[ParallelPort] = []
        specs = list(self.config.lpt) + ["none"] * (2 - len(self.config.lpt))
        for i, spec in enumerate(specs):
            lpt = ParallelPort(LPT_BASES[i], backend=open_printer_backend(spec, f"lpt{i + 1}"),
                               clock=self.now, name=f"lpt{i + 1}")
            lpt.irq = self.pic.wire(LPT_IRQS[i])
            self.printers.append(lpt)
            self._register(lpt.name, lpt, timed=True)

    def _bell(self) -> None:
        if self.on_bell is not None:
            self.on_bell()

    def _setup_debug(self) -> None:
        self.debug = DebugPorts(on_exit=self._on_debug_exit, sink=lambda b: self.debug_out(b))
        self._register("debug", self.debug)

    def _setup_idle(self) -> None:
        port = 0x3BA if self.config.display == "mda" else 0x3DA
        self.idle = IdleMonitor(self.cpu, self.bus, self.video, self.now, status_port=port)

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

    def printer_ports(self) -> list[int]:
        return [lpt.base for lpt in self.printers]

    def printer_at(self, port: int) -> ParallelPort | None:
        return next((lpt for lpt in self.printers if lpt.base == port), None)

    def log(self, message: str) -> None:
        self.log_lines.append(message)
        if self.on_log:
            self.on_log(message)

    def request_reset(self) -> None:
        self._reset_requested = True
        self.cpu.request_stop()

    # ---- time ------------------------------------------------------------------------------
    def wall_time(self) -> float:
        """Seconds since the epoch as the guest's BIOS tells them: the host's, or in
        deterministic mode a fixed epoch plus guest time (so a replay reads the same)."""
        if self.config.deterministic:
            return DETERMINISTIC_EPOCH + self.clock.now() / PIT_HZ
        return time.time()

    def localtime(self) -> time.struct_time:
        t = self.wall_time()
        return time.gmtime(t) if self.config.deterministic else time.localtime(t)

    def _next_event(self, now: int) -> int | None:
        events = [t for t in (d.next_event(now) for d in self._timed) if t is not None]
        if self._until is not None:
            events.append(max(self._until, now))     # run(guest_seconds=): a stop, exactly
        return min(events) if events else None

    def _rescheduled(self, device: TimedDevice) -> None:
        """A guest I/O moved ``device``'s next event: end the slice if it is now earlier."""
        t = device.next_event(self.clock.now())
        if t is not None and t < self._slice_end:
            self.cpu.request_stop()

    # ---- running -------------------------------------------------------------------------------
    def run(self, max_seconds: float | None = None, *, instructions: int | None = None,
            guest_seconds: float | None = None) -> int:
        """Run until isa-debug-exit (its status), stop(), max_seconds, until the CPU's
        instruction count reaches ``instructions`` or the machine's clock reaches
        ``guest_seconds`` since power-on (status 0; a deterministic run stops at the same
        instruction every time: the limit is an event the slices end at)."""
        cpu, clock = self.cpu, self.clock
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        self._until = None if guest_seconds is None else round(guest_seconds * PIT_HZ)
        self.state = "running"
        clock.anchor_host()
        try:
            while not self._stop.is_set():
                if self._until is not None and clock.now() >= self._until:
                    break
                if not self._resume.is_set():
                    self._wait_paused(deadline)
                    if deadline is not None and time.monotonic() >= deadline:
                        break
                    continue
                if self._reset_requested:
                    self._hard_reset()
                limit = SLICE
                if instructions is not None:
                    limit = min(limit, instructions - cpu.instructions)
                    if limit <= 0:
                        break
                ran, budget = self.run_slice(limit)
                if self.exit_status is not None:
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    break
                if cpu.halted and ran < budget:
                    self._idle(deadline)
                    continue
                # Deterministic: only HLT skips time. The idle detector judges a guest by
                # its polls per slice, and where a slice ends depends on where the run began
                # (a restored state starts its slices elsewhere), so its skips would make a
                # replay diverge; with no host clock to keep in step there is nothing to save.
                wait = None if self.config.deterministic else self.idle.after_run(ran, budget)
                if wait is not None:
                    self._idle(deadline, wait)
                elif self.config.speed == "xt":
                    self._pace(deadline)
        finally:
            self._until = None
            self.state = "stopped"
            self.flush_disks()
        return self.exit_status if self.exit_status is not None else 0

    def run_slice(self, limit: int = SLICE) -> tuple[int, int]:
        """Devices catch up, then the CPU runs to the next device event (at most ``limit``
        instructions). Returns (instructions run, budget)."""
        clock = self.clock
        now = clock.now()
        for device in self._timed:
            device.tick(now)
        end = now + MAX_SLICE_TICKS
        event = self._next_event(now)
        if event is not None and event < end:
            end = event
        self._slice_end = end
        budget = min(limit, clock.instructions_until(end))
        ran = self.cpu.run(budget)
        clock.sync(limit=self.idle.watch)
        return ran, budget

    def _idle(self, deadline: float | None, why: Wait = HALT) -> None:
        """The guest halted, or waits in a way engine/idle.py found, with nothing to do before
        its next event (or ``why.until``): sleep (realtime) or skip to the event
        (deterministic; at speed xt after sleeping out the host's time)."""
        clock = self.clock
        now = clock.now()
        event = self._next_event(now)
        early = WAKE_EARLY
        if why.until is not None and (event is None or why.until < event):
            event = max(why.until, now)
            early = 0.0                 # the clock stops at ``until`` (watch): none is lost
        if clock.realtime:
            # Until the host's clock reaches the event: a guest clock that lags the host (held
            # at a watched retrace, engine/clock.py) catches up instead of sleeping its lag.
            since = max(now, clock.host_target())
            wait = 0.01 if event is None else max(0.0, (event - since) / PIT_HZ)
            wait = min(wait - early, 0.05)
        elif event is None:
            wait = 0.05                 # only host input can wake it; guest time stands still
        else:
            wait = (event - clock.host_target()) / PIT_HZ if self.config.speed == "xt" else 0
        if deadline is not None:
            wait = min(wait, max(0.0, deadline - time.monotonic()))
        woken, slept = False, 0.0
        if wait > 0:
            self.state = "halted"
            t0 = time.monotonic()
            woken = self._wake.wait(wait)
            slept = time.monotonic() - t0
            if woken:
                self._wake.clear()
            self.idle.slept(why.kind, t0, t0 + slept)
            self.state = "running"
        # A halted guest watches no retrace (it waits for an interrupt): the moment its last
        # wait loop would have watched next must not hold its clock, or time stands still.
        clock.sync(idle=slept, limit=None if why is HALT else self.idle.watch)
        if not clock.realtime and event is not None and not woken:
            clock.warp(event)

    def _pace(self, deadline: float | None) -> None:
        """Speed xt: the guest is ahead of the host; let the host catch up."""
        delay = self.clock.ahead()
        if deadline is not None:
            delay = min(delay, deadline - time.monotonic())
        if delay > 0 and self._wake.wait(delay):
            self._wake.clear()

    def _wait_paused(self, deadline: float | None) -> None:
        self.state = "paused"
        while not self._resume.wait(0.1):
            if self._stop.is_set() or (deadline and time.monotonic() > deadline):
                break
        self.state = "running"
        self.clock.anchor_host()        # the pause is no guest time

    def _hard_reset(self) -> None:
        self._reset_requested = False
        self.idle.reset()
        for device in self.devices.values():
            device.reset()
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

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def pause(self) -> None:
        if self._resume.is_set():
            self._resume.clear()
            self.cpu.request_stop()
            self._wake.set()            # a halted guest's sleep ends now, not at its event

    def resume(self) -> None:
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

    def mouse_event(self, dx: int, dy: int, buttons: int | None = None) -> None:
        """Move the serial mouse (counts; +x right, +y down) and set its buttons (bits: 1
        left, 2 right, 4 middle; None leaves them)."""
        if self.mouse is None:
            raise ConfigError("this VM has no mouse (set mouse = \"com1\" or \"com2\", or their :logitech forms)")
        self.mouse.move(dx, dy, buttons)
        self._wake.set()

    # ---- observing -------------------------------------------------------------------------
    def text_screen(self) -> TextScreen:
        return self.video.text_screen(self.cpu.mem)

    def screen(self) -> TextScreen | GraphicsScreen:
        """What the display shows now: a text or a graphics snapshot, as the mode says."""
        return self.video.screen(self.cpu.mem)

    def stats(self) -> dict:
        return {"instructions": self.cpu.instructions, "state": self.state,
                "guest_ns": self.clock.nanoseconds(),
                "disk_reads": sum(d.reads for d in self._all_drives()),
                "disk_writes": sum(d.writes for d in self._all_drives()),
                "idle": self.idle.stats()}

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

    def peripheral_status(self) -> dict:
        """Mouse, speaker and printer ports, for `xtbox vm status` and the console."""
        c = self.config
        mouse = {"port": mouse_port(c.mouse), "spec": c.mouse}
        if self.mouse is not None:
            mouse.update(self.mouse.status())
        sink = self.speaker.sink
        speaker = {"spec": c.speaker, "sounding": self.speaker.sounding,
                   "available": bool(getattr(sink, "available", sink is not None))}
        printers = []
        for i, lpt in enumerate(self.printers):
            spec = (list(c.lpt) + ["none", "none"])[i]
            backend = lpt.backend
            status = backend.status() if hasattr(backend, "status") else {
                "connected": bool(getattr(backend, "connected", False)), "detail": ""}
            printers.append({"port": lpt.name, "spec": spec, "printed": lpt.printed, **status})
        return {"mouse": mouse, "speaker": speaker, "printers": printers}

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
        speaker = getattr(self, "speaker", None)
        if speaker is not None:
            speaker.close()
            self.speaker.sink = None
        for lpt in getattr(self, "printers", ()):
            lpt.backend.close()
        for drive in self._all_drives():
            drive.close()
        self.hard_disks.clear()

    # ---- whole-VM state ----------------------------------------------------------------------
    def get_state(self) -> dict:
        """Everything a resumed machine needs, at an instruction boundary (the CPU not
        running): CPU, RAM, the clock and every registered device."""
        return {"cpu": self.cpu.get_state(), "ram": bytes(self.cpu.mem),
                "clock": self.clock.get_state(),
                "devices": {name: dev.get_state() for name, dev in self.devices.items()},
                "floppies": {k: f.get_state() for k, f in self.floppies.items()},
                "idle": self.idle.get_state()}

    def set_state(self, state: dict) -> None:
        """The inverse of get_state. The PIC goes first among the devices (registry order),
        so the others' interrupt wires find the levels it saved and change nothing."""
        missing = [n for n in self.devices if n not in state["devices"]]
        if missing:
            raise ConfigError(f"saved state has no {', '.join(missing)} (devices saved: "
                              f"{', '.join(state['devices']) or 'none'})")
        self.cpu.set_state(state["cpu"])
        self.cpu.mem[:] = state["ram"]
        self.clock.set_state(state["clock"])
        for name, dev in self.devices.items():
            dev.set_state(state["devices"][name])
        for letter, floppy in self.floppies.items():
            floppy.set_state(state.get("floppies", {}).get(letter, {}))
        self.idle.set_state(state.get("idle", {}))      # absent in states saved before it
