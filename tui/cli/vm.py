"""`xtbox vm …`: VM profiles and running VMs, in the spirit of VBoxManage.

Everything goes through tui.control.manager, exactly as the TUI does; a running VM is reached
only through its control socket. Exit status: 0 done, 1 `expect` timed out, 2 an error
(printed as one line naming what was wrong).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from functools import wraps

from disks import DiskError, parse_size

DRIVE_OPTS = ("fda", "fdb", "hda", "hdb")


def _errors(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    @wraps(func)
    def wrapper(args: argparse.Namespace) -> int:
        from engine.errors import ConfigError
        try:
            return func(args) or 0
        except (ConfigError, DiskError) as exc:
            print(f"xtbox: error: {exc}", file=sys.stderr)
            return 2
    return wrapper


def _settings(p: argparse.ArgumentParser, *, creating: bool) -> None:
    p.add_argument("--memory", type=int, metavar="KIB", help="conventional memory, 64-640 KiB"
                   + (" (default 640)" if creating else ""))
    p.add_argument("--display", choices=("cga", "mda"))
    p.add_argument("--boot", choices=("a", "c", "ac", "ca"), help="boot order")
    for d in DRIVE_OPTS:
        p.add_argument(f"--{d}", metavar="IMG", help=f"attach IMG as {d}" +
                       ("" if creating else " ('none' detaches)"))
    for d in ("hda", "hdb"):
        p.add_argument(f"--new-{d}", metavar="SIZE", help=f"create a new qcow2 disk of SIZE "
                       f"(10M, 2G...) in the VM's folder as {d}")
    p.add_argument("--fat", action="store_true", help="format the new disks for DOS (an MBR "
                   "and a FAT partition, as `xtbox disk create --fat`)")
    p.add_argument("--serial", action="append", metavar="SPEC",
                   help="COM1, then COM2 (repeat): none, stdio, file:PATH, pty, "
                   "tcp-server:HOST:PORT, a pyserial URL or a device path")
    p.add_argument("--mouse", metavar="PORT", help="a Microsoft serial mouse on com1 or com2 "
                   "(that port's serial backend must be none), com1:logitech or com2:logitech "
                   "for Logitech's 3-button one, or none")
    p.add_argument("--speaker", metavar="SPEC", help="PC speaker: none, bell (the terminal "
                   "bell), wav:PATH or host (the host's audio device)")
    for n in (1, 2):
        p.add_argument(f"--lpt{n}", metavar="SPEC", help=f"printer port LPT{n}: none, "
                       "file:PATH, pty or tcp-server:[HOST:]PORT")
    p.add_argument("--speed", choices=("max", "xt"))
    p.add_argument("--notes")


def register(sub: argparse._SubParsersAction) -> None:
    vm = sub.add_parser("vm", help="VMs: create, start, control, snapshot")
    vsub = vm.add_subparsers(dest="vm_command", metavar="ACTION", required=True)

    def add(name: str, handler, help: str, *, needs_name: bool = True) -> argparse.ArgumentParser:
        p = vsub.add_parser(name, help=help)
        if needs_name:
            p.add_argument("name")
        p.set_defaults(handler=_errors(handler))
        return p

    p = add("list", _list, "list VMs and their state", needs_name=False)
    p.add_argument("--json", action="store_true")
    p = add("create", _create, "create a VM")
    _settings(p, creating=True)
    p.add_argument("--demo", action="store_true", help="boot a fresh overlay of the demo disk")
    p = add("modify", _modify, "change a powered-off VM's settings")
    _settings(p, creating=False)
    p.add_argument("--rename", metavar="NEW", help="rename the VM")
    p = add("clone", _clone, "copy a powered-off VM")
    p.add_argument("new_name", metavar="NEW")
    p.add_argument("--linked", action="store_true", help="share the disks: the source's "
                   "current disks become a read-only base, both VMs get qcow2 overlays")
    p = add("delete", _delete, "delete a powered-off VM and its disks")
    p.add_argument("--keep-disks", action="store_true")
    p = add("start", _start, "start a VM in its own process")
    p.add_argument("--headless", action="store_true", help="do not open a console")
    p.add_argument("--temporary", action="store_true",
                   help="send every disk write to a throwaway overlay, discarded at power-off")
    for name, help in (("stop", "power off (disks flushed)"), ("pause", "pause the CPU"),
                       ("resume", "resume a paused VM"), ("reset", "press the reset button")):
        add(name, _simple, help)
    add("save", _save, "suspend: save the whole machine state and stop; start resumes it")
    add("discard-state", _discard_state, "power a saved VM off for good (its state deleted)")
    p = add("serial-reconnect", _serial_reconnect,
            "reopen a COM port's host device (a TCP server lets its client go)")
    p.add_argument("port", nargs="?", default="com1", choices=("com1", "com2"))
    p = add("media", _media, "change or eject a diskette (live when running, else in the "
            "profile)")
    p.add_argument("drive", metavar="a:|b:")
    p.add_argument("image", nargs="?", metavar="IMAGE")
    p.add_argument("--eject", action="store_true", help="empty the drive")
    p.add_argument("--read-only", action="store_true",
                   help="write-protect the diskette (the guest gets 'write protected')")
    p.add_argument("--save", action="store_true",
                   help="running VM: keep the change in its profile too")
    p = add("mouse", _mouse, "move the VM's serial mouse by DX DY counts (+DY is down) "
            "and hold --buttons (none held without it)")
    p.add_argument("dx", type=int, metavar="DX")
    p.add_argument("dy", type=int, metavar="DY")
    p.add_argument("--buttons", default="", metavar="LIST",
                   help="buttons held: left, right, middle, comma-separated")
    p = add("status", _status, "state, speed, disk activity, serial ports, diskettes")
    p.add_argument("--json", action="store_true")
    p = add("screenshot", _screenshot, "the guest's screen (text, SVG or PNG)")
    p.add_argument("--format", choices=("text", "svg", "png"), default="text")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    p = add("type", _type, "type text on the guest's keyboard (\\n is Enter)")
    p.add_argument("text")
    p = add("expect", _expect, "wait until TEXT is on the guest's screen (exit 1 if not)")
    p.add_argument("text")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S")
    p = add("snapshot", _snapshot, "VM snapshots (every disk at once)")
    p.add_argument("action", choices=("take", "list", "restore", "delete"))
    p.add_argument("snapshot", nargs="?", metavar="SNAP")
    p.add_argument("--json", action="store_true")


def _m():
    from tui.control import manager
    return manager


def _drive_changes(args: argparse.Namespace, *, creating: bool) -> dict:
    out = {}
    for key, attr in (("memory_kib", "memory"), ("display", "display"), ("boot", "boot"),
                      ("speed", "speed"), ("notes", "notes"), ("serial", "serial"),
                      ("mouse", "mouse"), ("speaker", "speaker"), ("lpt1", "lpt1"),
                      ("lpt2", "lpt2")):
        value = getattr(args, attr)
        if value is not None:
            out[key] = value
    for d in DRIVE_OPTS:
        value = getattr(args, d)
        if value is not None:
            out[d] = None if (value.lower() == "none" and not creating) else value
    return out


def _new_disks(args: argparse.Namespace) -> None:
    for d in ("hda", "hdb"):
        size = getattr(args, f"new_{d}")
        if size is not None:
            if getattr(args, d):
                raise _m().VMError(f"--new-{d} and --{d} both name drive {d}: choose one")
            path = _m().create_disk(args.name, d, size=parse_size(size), fat=args.fat)
            print(f"created {path}")


def _list(args: argparse.Namespace) -> int:
    vms = _m().list_vms()
    if args.json:
        print(json.dumps([_info_dict(v) for v in vms], indent=1))
        return 0
    if not vms:
        print("no VMs yet; try: xtbox vm create demo --demo")
        return 0
    print(f"{'NAME':<20} {'STATE':<9} {'MEMORY':>7} {'SNAPS':>5}  DISKS")
    for v in vms:
        mem = f"{v.memory_kib}K" if v.memory_kib else "-"
        disks = " ".join(f"{d}={p}" for d, p in v.disks.items()) or "-"
        print(f"{v.name:<20} {v.state:<9} {mem:>7} {v.snapshots:>5}  {disks}")
        if v.state in ("crashed", "invalid") and v.reason:
            print(f"{'':<20} {v.reason}")
    return 0


def _info_dict(v) -> dict:
    p = v.profile
    return {"name": v.name, "uuid": v.uuid, "state": v.state, "reason": v.reason,
            "pid": v.pid, "memory_kib": v.memory_kib, "display": v.display,
            "boot": p.boot if p else None, "speed": p.speed if p else None,
            "disks": v.disks, "serial": p.serial if p else None,
            "mouse": p.mouse if p else None, "speaker": p.speaker if p else None,
            "lpt": p.lpt if p else None, "snapshots": v.snapshots,
            "temporary": v.temporary, "notes": p.notes if p else None, "folder": str(v.folder)}


def _create(args: argparse.Namespace) -> int:
    kw = _drive_changes(args, creating=True)
    profile = _m().create_vm(args.name, demo=args.demo, **kw)
    try:
        _new_disks(args)
    except BaseException:
        _m().delete_vm(args.name)
        raise
    if (args.new_hda or args.new_hdb) and args.boot is None and not (args.fda or args.demo):
        _m().modify_vm(args.name, boot="c")
    print(f"created VM {profile.name!r} in {profile.folder}")
    return 0


def _modify(args: argparse.Namespace) -> int:
    changes = _drive_changes(args, creating=False)
    if not changes and not args.rename and not (args.new_hda or args.new_hdb):
        raise _m().VMError("nothing to change; see `xtbox vm modify --help`")
    if changes or args.rename:
        _m().modify_vm(args.name, new_name=args.rename, **changes)
    if args.rename:
        args.name = args.rename
    _new_disks(args)
    return 0


def _clone(args: argparse.Namespace) -> int:
    profile = _m().clone_vm(args.name, args.new_name, linked=args.linked)
    print(f"cloned {args.name!r} to {profile.name!r} ({'linked' if args.linked else 'full'})")
    return 0


def _delete(args: argparse.Namespace) -> int:
    _m().delete_vm(args.name, keep_disks=args.keep_disks)
    return 0


def _start(args: argparse.Namespace) -> int:
    pid = _m().start_vm(args.name, temporary=args.temporary)
    print(f"VM {args.name!r} started (pid {pid})" + (", temporary" if args.temporary else ""))
    if not args.headless and sys.stdin.isatty() and sys.stdout.isatty():
        try:
            from tui.app import run_app
        except ImportError:
            return 0
        return run_app(console=args.name) or 0
    return 0


def _save(args: argparse.Namespace) -> int:
    out = _m().save_vm(args.name)
    print(f"{args.name}: state saved ({out['bytes']:,} bytes in {out['ms']:.0f} ms); "
          f"`xtbox vm start {args.name}` resumes it")
    return 0


def _discard_state(args: argparse.Namespace) -> int:
    if not _m().discard_state(args.name):
        raise _m().VMError(f"VM {args.name!r} has no saved state")
    print(f"{args.name}: saved state discarded; the next start boots afresh")
    return 0


def _serial_reconnect(args: argparse.Namespace) -> int:
    _m().command(args.name, "serial-reconnect", port=args.port)
    print(f"{args.name}: {args.port} reconnecting")
    return 0


def _media(args: argparse.Namespace) -> int:
    if args.eject == (args.image is not None):
        raise _m().VMError("give an IMAGE to insert, or --eject (not both)")
    if args.eject and args.read_only:
        raise _m().VMError("--read-only applies to an IMAGE being inserted, not to --eject")
    out = _m().change_media(args.name, args.drive, args.image, readonly=args.read_only,
                            save=args.save)
    from tui.control.media import parse_drive
    letter = parse_drive(args.drive).upper()
    if args.eject:
        what = "empty"
    else:
        what = out.get("image") or args.image
        details = [d for d in (out.get("format"), "write-protected" if args.read_only
                               or out.get("readonly") else None) if d]
        what += f" ({', '.join(details)})" if details else ""
    where = ("now" if not out["saved"] else "now and in its profile") if out["running"] \
        else "in its profile (powered off)"
    print(f"{args.name}: {letter}: {what} {where}")
    return 0


def _mouse(args: argparse.Namespace) -> int:
    names = [b.strip() for b in args.buttons.split(",") if b.strip()]
    for b in names:
        if b.lower() not in ("left", "right", "middle"):
            raise _m().VMError(f"--buttons {args.buttons!r}: {b!r} is not a button; expected "
                               "left, right and/or middle, comma-separated")
    _m().mouse(args.name, args.dx, args.dy, names)
    return 0


def _simple(args: argparse.Namespace) -> int:
    m = _m()
    {"stop": m.stop_vm, "pause": m.pause_vm, "resume": m.resume_vm,
     "reset": m.reset_vm}[args.vm_command](args.name)
    return 0


def _status(args: argparse.Namespace) -> int:
    info = _m().vm_info(args.name)
    out = _info_dict(info)
    if info.running:
        try:
            out["live"] = _m().status(args.name)
        except _m().VMError:
            pass
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"{info.name}: {info.state}" + (f" ({info.reason})" if info.reason else ""))
    live = out.get("live")
    if live:
        print(f"  pid {live['pid']}  {live['mips']:.2f} MIPS  instructions {live['instructions']:,}"
              f"  disk reads {live['disk_reads']}  writes {live['disk_writes']}")
        idle = live.get("idle")
        if idle:
            waits = ", ".join(f"{kind} {n:,}" for kind, n in idle["sleeps"].items() if n)
            print(f"  idle {idle['share']:.0%} of the last second"
                  + (f" (sleeps: {waits})" if waits else ""))
        for medium in live.get("media", []):
            print(f"  {medium['drive'].upper()}: " + (
                f"{medium['image']} ({medium['format']}"
                + (", write-protected)" if medium["readonly"] else ")")
                if medium.get("image") else "empty"))
        for port in live.get("serial", []):
            print(f"  {port.get('port')}: {port.get('spec')} "
                  f"{'connected' if port.get('connected') else 'disconnected'}"
                  + (f" {port['detail']}" if port.get("detail") else "")
                  + (f"; {port['held']:,} guest bytes held for the next client"
                     if port.get("held") else "")
                  + (f"; {port['discarded']:,} guest bytes dropped while no client was "
                     "connected" if port.get("discarded") else "")
                  + (f"; {port['dropped']:,} host bytes dropped" if port.get("dropped") else ""))
    for line in peripheral_lines(live, info.profile):
        print(f"  {line}")
    return 0


def peripheral_lines(live: dict | None, profile) -> list[str]:
    """Mouse, speaker and printer ports: live figures when running, else the profile's."""
    if live and "mouse" in live:
        mouse, speaker = live["mouse"], live["speaker"]
        lines = []
        if mouse["port"] != "none":
            lines.append(f"mouse: {mouse['port']} {mouse.get('detail', '')}; "
                         f"{mouse.get('resets', 0)} driver reset(s), "
                         f"{mouse.get('reports', 0):,} reports")
        if speaker["spec"] != "none":
            lines.append(f"speaker: {speaker['spec']}"
                         + ("" if speaker.get("available", True) else " (no audio device: "
                            "silent)") + (" sounding" if speaker.get("sounding") else ""))
        for lpt in live.get("printers", []):
            if lpt["spec"] != "none":
                lines.append(f"{lpt['port']}: {lpt['spec']} "
                             f"{'connected' if lpt.get('connected') else 'disconnected'}"
                             + (f" {lpt['detail']}" if lpt.get("detail") else "")
                             + f"; {lpt.get('printed', 0):,} bytes printed")
        return lines
    if profile is None:
        return []
    lines = [f"{key}: {value}" for key, value in (("mouse", profile.mouse),
                                                  ("speaker", profile.speaker),
                                                  ("lpt1", profile.lpt[0]),
                                                  ("lpt2", profile.lpt[1]))
             if value != "none"]
    return lines


def _screenshot(args: argparse.Namespace) -> int:
    if args.format == "png":
        data = _m().screen_png(args.name)
        if args.output:
            with open(args.output, "wb") as f:
                f.write(data)
        elif sys.stdout.isatty():
            print("xtbox: error: a PNG is binary: give -o FILE or redirect stdout",
                  file=sys.stderr)
            return 2
        else:
            sys.stdout.buffer.write(data)
        return 0
    screen = _m().screen(args.name)
    if screen.get("graphics") and args.format == "svg":
        print(f"xtbox: error: {args.name} shows a graphics mode ({screen['width']}x"
              f"{screen['height']}): use --format png (or text: the characters drawn with "
              "the BIOS font)", file=sys.stderr)
        return 2
    if args.format == "svg":
        from tui.screen_render import screen_svg
        data = screen_svg(screen, title=f"xtbox — {args.name}")
    else:
        data = "\n".join(line.rstrip() for line in screen["text"]) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(data)
    else:
        sys.stdout.write(data)
    return 0


def _type(args: argparse.Namespace) -> int:
    _m().type_text(args.name, args.text.replace("\\n", "\n"))
    return 0


def _expect(args: argparse.Namespace) -> int:
    if _m().expect(args.name, args.text, timeout=args.timeout):
        return 0
    print(f"xtbox: {args.text!r} did not appear on {args.name!r} within {args.timeout:g} s",
          file=sys.stderr)
    return 1


def _snapshot(args: argparse.Namespace) -> int:
    m = _m()
    if args.action == "list":
        snaps = m.list_snapshots(args.name)
        if args.json:
            print(json.dumps(snaps, indent=1))
        elif not snaps:
            print(f"VM {args.name!r} has no snapshots")
        for s in snaps if not args.json else ():
            print(f"{s['name']:<24} {s['time']}  {m.state_label(s)}")
        return 0
    if not args.snapshot:
        raise m.VMError(f"snapshot {args.action} needs a snapshot name")
    if args.action == "take":
        out = m.take_snapshot(args.name, args.snapshot) or {}
        if out.get("state_bytes"):
            print(f"snapshot {args.snapshot}: disks and {m.state_label(out)} "
                  f"(kept on {out['state_disk']})")
        return 0
    {"restore": m.restore_snapshot,
     "delete": m.delete_snapshot}[args.action](args.name, args.snapshot)
    if args.action == "restore" and m.vm_info(args.name).state == "saved":
        print(f"snapshot {args.snapshot} restored with its machine state: `xtbox vm start "
              f"{args.name}` resumes it")
    return 0
