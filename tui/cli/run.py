"""`xtbox run`: boot a PC from image files, headless or on this terminal."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from engine.errors import ConfigError
from engine.peripherals import MOUSE_FORMS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="boot a PC from disk images (the demo disk by default)")
    for drive in ("fda", "fdb", "hda", "hdb"):
        p.add_argument(f"--{drive}", metavar="IMG", help=f"image for {drive} (raw or qcow2)"
                       + ("; folder:PATH makes a disk of a host folder" if drive[0] == "h"
                          else ""))
    p.add_argument("--boot", choices=("a", "c"), help="boot drive (default: A: then C:)")
    p.add_argument("--memory", type=int, default=640, metavar="KIB")
    p.add_argument("--serial", action="append", default=[], metavar="SPEC",
                   help="COM1, then COM2: none, stdio, loopback, file:PATH, pty, "
                   "tcp-server:[HOST:]PORT, a pyserial URL or a device path")
    p.add_argument("--mouse", choices=MOUSE_FORMS, default="none", metavar="PORT",
                   help="a Microsoft serial mouse on com1 or com2 (in place of that port's "
                   "backend); com1:logitech or com2:logitech for Logitech's 3-button one")
    p.add_argument("--speaker", default="none", metavar="SPEC",
                   help="PC speaker: none, bell, wav:PATH or host")
    for n in (1, 2):
        p.add_argument(f"--lpt{n}", default="none", metavar="SPEC",
                       help=f"LPT{n}: none, file:PATH, pty or tcp-server:[HOST:]PORT")
    p.add_argument("--display", choices=("none", "tui"), default="none")
    p.add_argument("--graphics", choices=("auto", "halfblocks", "kitty"), default=None,
                   help="how --display tui draws graphics modes: detected (auto), Unicode "
                   "half blocks, or kitty graphics protocol pixels (default: the settings')")
    p.add_argument("--type", dest="type_text", metavar="TEXT",
                   help="type TEXT on the keyboard (\\n is Enter)")
    p.add_argument("--type-after", type=float, default=2.0, metavar="SECONDS")
    p.add_argument("--screen-dump", metavar="PATH",
                   help="write the screen at exit: text, or a PNG when PATH ends in .png")
    p.add_argument("--max-seconds", type=float, metavar="S")
    p.add_argument("--speed", choices=("max", "xt"), default="max")
    p.add_argument("--deterministic", action="store_true",
                   help="time from instructions only (as QEMU's -icount): the clock starts at "
                   "2000-01-01 00:00 UTC, --type-after and --max-seconds count guest seconds, "
                   "so the same images and options give the same run")
    p.add_argument("--stats", action="store_true", help="instructions, MIPS and time to stderr")
    p.set_defaults(handler=run)


def _config(args: argparse.Namespace, tmp: str):
    from disks import create_image
    from engine.demo import demo_disk_path
    from engine.machine import MachineConfig
    fda = args.fda
    if not any((args.fda, args.fdb, args.hda, args.hdb)):
        # The demo disk, through a throwaway overlay so the packaged image stays pristine.
        fda = os.path.join(tmp, "demo.qcow2")
        create_image(fda, backing=str(demo_disk_path()), allow_outside_backing=True)
    hard = {"hda": args.hda, "hdb": args.hdb}
    for name, value in hard.items():
        hard[name] = _folder_disk(name, value, tmp)
    for name in ("fda", "fdb", "hda", "hdb"):
        path = fda if name == "fda" else hard.get(name) or getattr(args, name)
        if path and path.startswith("folder:"):
            raise ConfigError(f"--{name} {path}: a folder can be a hard disk (--hda, --hdb) "
                              "only")
        if path and not os.path.isfile(path):
            raise ConfigError(f"--{name} {path}: no such image file")
        if path and not os.access(path, os.R_OK):
            raise ConfigError(f"--{name} {path}: cannot read the image")
    if args.max_seconds is not None and args.max_seconds <= 0:
        raise ConfigError(f"--max-seconds {args.max_seconds}: expected a positive number")
    return MachineConfig(memory_kib=args.memory, fda=fda, fdb=args.fdb, hda=hard["hda"],
                         hdb=hard["hdb"], boot=args.boot or "ac",
                         serial=args.serial or ["none"], speed=args.speed, mouse=args.mouse,
                         speaker=args.speaker, lpt=[args.lpt1, args.lpt2],
                         deterministic=args.deterministic)


def _folder_disk(drive: str, value: str | None, tmp: str) -> str | None:
    """``folder:PATH``: a disk built from the folder (disks/fat/folder.py) whose overlay lives
    in this run's temporary folder, so the guest's writes end with the run."""
    from disks.fat.folder import attach_folder, folder_spec
    folder = folder_spec(value)
    if folder is None:
        return value
    return attach_folder(folder, Path(tmp) / f"folder-{drive}.qcow2", f"--{drive} {value}",
                         lambda line: print(line, file=sys.stderr))


def run(args: argparse.Namespace) -> int:
    from disks import DiskError
    from engine.machine import Machine
    if args.display == "tui":
        if args.deterministic:
            print("xtbox: error: --deterministic runs without a display (--display none): "
                  "keys from a terminal arrive at host moments, which no replay repeats",
                  file=sys.stderr)
            return 2
        return _run_console(args)
    with tempfile.TemporaryDirectory(prefix="xtbox-run-") as tmp:
        try:
            machine = Machine(_config(args, tmp))
        except (ConfigError, DiskError) as exc:
            print(f"xtbox: error: {exc}", file=sys.stderr)
            return 2
        try:
            return _run(machine, args)
        finally:
            machine.close()


def _screen_dump(machine, path: str) -> None:
    """A PNG of the displayed frame for a .png path, else the text screen (in a graphics
    mode: the characters drawn with the BIOS font, read back from the dots)."""
    if path.lower().endswith(".png"):
        from engine.screenshot import screen_png
        with open(path, "wb") as f:
            f.write(screen_png(machine.screen()))
        return
    lines = machine.screen().text_lines()
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(line.rstrip() for line in lines) + "\n")


def _run(machine, args: argparse.Namespace) -> int:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: machine.stop())
    started = time.monotonic()
    if args.deterministic:
        status = _run_deterministic(machine, args)
    else:
        if args.type_text is not None:
            text = args.type_text.replace("\\n", "\n")
            timer = threading.Timer(args.type_after, machine.type_text, (text,))
            timer.daemon = True
            timer.start()
        status = machine.run(max_seconds=args.max_seconds)
    elapsed = time.monotonic() - started
    failures = machine.bios.failures
    if failures:
        first = next((ln for ln in machine.log_lines if ln.startswith("BIOS service error")), "")
        print(f"xtbox: {failures} BIOS call(s) failed inside xtbox and were answered as "
              f"errors; the first: {first}", file=sys.stderr)
    if args.screen_dump:
        _screen_dump(machine, args.screen_dump)
    if args.stats:
        n = machine.cpu.instructions
        print(f"instructions: {n:,}  guest MIPS: {n / max(elapsed, 1e-9) / 1e6:.2f}  "
              f"wall: {elapsed:.2f} s", file=sys.stderr)
    return status


def _run_deterministic(machine, args: argparse.Namespace) -> int:
    """--deterministic: the keys go in, and the run ends, at moments of the machine's own
    clock (the slices end exactly there), never of the host's."""
    if args.type_text is not None:
        status = machine.run(guest_seconds=args.type_after)
        if machine.exit_status is not None or machine.stop_requested:
            return status
        machine.type_text(args.type_text.replace("\\n", "\n"))
    return machine.run(guest_seconds=args.max_seconds)


def _run_console(args: argparse.Namespace) -> int:
    """`--display tui`: the manager's own console (the same widget, keys, colours, cursor,
    host-key menu and status line) on a VM of its own in a throwaway data folder, so Ctrl+C
    goes to the guest and the host-key menu's Power off ends the run. The VM's process is
    stopped (disks flushed) when the console closes; --type, --max-seconds and --screen-dump
    work as without a display."""
    from tui.control import manager
    with tempfile.TemporaryDirectory(prefix="xtbox-run-") as home:
        os.environ["XTBOX_HOME"] = home
        name = "run"
        drives = {d: os.path.abspath(path) if (path := getattr(args, d)) else None
                  for d in ("fda", "fdb", "hda", "hdb")}
        try:
            if args.max_seconds is not None and args.max_seconds <= 0:
                raise ConfigError(f"--max-seconds {args.max_seconds}: expected a positive "
                                  "number")
            manager.create_vm(name, memory_kib=args.memory, boot=args.boot,
                              serial=args.serial or None, speed=args.speed,
                              demo=not any(drives.values()), mouse=args.mouse,
                              speaker=args.speaker, lpt1=args.lpt1, lpt2=args.lpt2, **drives)
            manager.start_vm(name)
        except (ConfigError, manager.VMError) as exc:
            print(f"xtbox: error: {exc}", file=sys.stderr)
            return 2
        timers = []
        if args.type_text is not None:
            text = args.type_text.replace("\\n", "\n")
            timers.append(threading.Timer(args.type_after, manager.type_text, (name, text)))
        if args.max_seconds is not None:
            timers.append(threading.Timer(args.max_seconds, _power_off, (name, args)))
        for timer in timers:
            timer.daemon = True
            timer.start()
        try:
            from tui.app import XtboxApp
            app = XtboxApp(console=name, console_only=True, graphics=args.graphics)
            for sig in (signal.SIGTERM, signal.SIGHUP):        # the terminal closing, kill
                signal.signal(sig, lambda *_: app.exit())
            app.run()
        finally:
            for timer in timers:
                timer.cancel()
            _power_off(name, args)
    return 0


def _power_off(name: str, args: argparse.Namespace) -> None:
    """Dump the screen if asked, then stop the VM; nothing to do once it has gone."""
    from tui.control import manager
    try:
        if args.screen_dump:
            lines = manager.screen(name)["text"]
            with open(args.screen_dump, "w", encoding="utf-8") as f:
                f.write("\n".join(line.rstrip() for line in lines) + "\n")
        manager.stop_vm(name)
    except (ConfigError, manager.VMError, OSError):
        pass
