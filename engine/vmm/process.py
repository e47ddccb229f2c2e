"""The VM process proper (the "worker"): a Machine built from a profile, run on the main
thread, with the control server beside it.

Started by the supervisor (engine/vmm/__main__.py), never directly by users. It writes
vm.pid once the control socket answers, and last-run.json when it ends by itself; if it dies
any other way the supervisor records why.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from engine.errors import ConfigError
from engine.vmm import runstate, savestate, snapshot_intent, snapshots
from engine.vmm.profile import Profile
from engine.vmm.screen_feed import screen_dict
from engine.vmm.server import CommandError, ControlServer

PAUSE_WAIT = 5.0
ECHO_DELAYS = (0.003, 0.010)  # s after input: screen samples that catch the guest's echo
# A mouse report takes 22.5-30 ms on its 1200-baud line (3-4 bytes of 7.5 ms) before the
# guest can draw its effect: samples then, not only at the key-echo moments.
MOUSE_ECHO_DELAYS = (0.010, 0.025, 0.035, 0.050)


def temporary_folder(folder: Path, pid: int) -> Path:
    return folder / f".temporary-{pid}"


class VMHost:
    """Owns one Machine and serves it; ``run()`` returns the process exit status."""

    def __init__(self, profile: Profile, *, temporary: bool = False) -> None:
        from engine.machine import Machine, MachineConfig
        self.profile = profile
        self.folder = profile.folder
        self.temporary = temporary
        self.end_reason: str | None = None
        self.machine_done = False              # machine.run() has returned
        self._snap_lock = threading.Lock()
        self._mips = (time.monotonic(), 0, 0.0)
        self.sources: dict[str, str] = {}     # temporary overlay -> the image it covers
        disks = {d: str(p) for d, p in profile.disk_paths().items()}
        for drive, path in disks.items():
            if not os.path.isfile(path):
                raise ConfigError(f"{profile.path}: drives.{drive}: {path}: no such image file")
        snapshot_intent.recover(self.folder)      # a kill's half-done snapshot, finished
        disks.update(self._folder_disks())
        if temporary:
            disks = {d: self._temporary_overlay(d, p, d in profile.write_protected)
                     for d, p in disks.items()}
        saved = self._saved_state(disks)
        self.machine = Machine(MachineConfig(
            memory_kib=profile.memory_kib, display=profile.display, boot=profile.boot,
            serial=list(profile.serial), speed=profile.speed,
            write_protected=tuple(profile.write_protected), mouse=profile.mouse,
            speaker=profile.speaker, lpt=list(profile.lpt), **disks))
        # The VM's log (its stderr, kept by the supervisor) gets what the machine said while
        # it was built (e.g. `speaker = "host"` without an audio device: said once) and on.
        for line in self.machine.log_lines:
            print(f"xtbox: {line}", file=sys.stderr)
        self.machine.on_log = lambda line: print(f"xtbox: {line}", file=sys.stderr)
        self.end_state = "poweroff"
        if saved is not None:
            self._resume_from(saved)
        handlers: dict[str, Any] = {
            "status": self.status, "pause": self.pause,
            "resume": self._simple(self.machine.resume), "stop": self.stop,
            "reset": self._simple(self.machine.reset), "keys": self.keys, "type": self.type,
            "screen": self.screen, "snapshot": self.snapshot,
            "serial-reconnect": self.serial_reconnect, "media": self.media,
            "save": self.save, "mouse": self.mouse}
        self.server = ControlServer(
            self.folder / runstate.SOCKET,
            {"version": 1, "vm": profile.name, "uuid": profile.uuid, "pid": os.getpid()},
            handlers, self.machine.screen, self.public_state)
        self.machine.on_bell = self.server.ring      # speaker = "bell": a "bell" event

    # ---- saved states ------------------------------------------------------------------------
    def _fit(self, disks: dict[str, str]) -> dict:
        p = self.profile
        return savestate.fit_of(p.memory_kib, p.display,
                                {k: v for k, v in disks.items() if k in ("hda", "hdb")},
                                mouse=p.mouse)

    def _saved_state(self, disks: dict[str, str]) -> dict | None:
        """The state this start resumes from, checked against the profile (StateError)."""
        loaded = savestate.read(self.folder)
        if loaded is None:
            return None
        if self.temporary:
            raise savestate.StateError(f"VM {self.profile.name!r} holds a saved state: start "
                                       "it normally to resume, or discard the state first")
        state, fit = loaded
        changed = savestate.misfit(fit, self._fit(disks))
        if changed:
            raise savestate.StateError(
                f"the saved state no longer fits VM {self.profile.name!r}: "
                f"{'; '.join(changed)} since it was saved (undo the change, or discard the "
                f"state with `xtbox vm discard-state {self.profile.name}`)")
        return state

    def _resume_from(self, state: dict) -> None:
        """Put the machine where it was saved; the file goes once that took (the disks move
        on from here, so the state could never be resumed twice)."""
        m = self.machine
        changed = savestate.device_misfit(state.get("devices") or {}, list(m.devices))
        if changed:
            m.close()
            raise savestate.StateError(
                f"the saved state no longer fits VM {self.profile.name!r}: "
                f"{'; '.join(changed)} since it was saved (undo the change, or discard the "
                f"state with `xtbox vm discard-state {self.profile.name}`)")
        try:
            for letter, floppy in (state.get("floppies") or {}).items():
                image = floppy.get("image")
                if image and os.path.isfile(image) and m.floppies[letter].path != image:
                    m.change_medium(letter, image, readonly=bool(floppy.get("readonly")))
            m.set_state(state)
            if (state.get("vm") or {}).get("paused"):
                m.pause()               # saved paused: it resumes paused, the screen as it was
        except (KeyError, TypeError, ValueError) as exc:
            m.close()
            raise savestate.StateError(f"{self.folder / savestate.STATE_FILE}: damaged "
                                       f"({type(exc).__name__}: {exc})") from None
        except BaseException:
            m.close()
            raise
        savestate.discard(self.folder)
        m.log("resumed from the saved state")

    def save(self, _args: dict) -> dict:
        """Suspend: the whole machine to the state file at an instruction boundary, disks
        flushed, then the process ends; the next start resumes."""
        if self.temporary:
            raise CommandError("InvalidState", "a temporary run cannot be saved: its disks "
                               "are discarded at power-off")
        was_paused = not self.machine._resume.is_set()
        with self._snap_lock, self._paused():
            self.machine.flush_disks()
            t0 = time.monotonic()
            state = self.machine.get_state()
            state["vm"] = {"paused": was_paused, "guest_ns": self.machine.clock.nanoseconds()}
            disks = {{"c": "hda", "d": "hdb"}[k]: d.path
                     for k, d in self.machine.hard_disks.items()}
            path = savestate.write(self.folder, state, self._fit(disks))
            took = time.monotonic() - t0
            self.end_reason = "state saved"
            self.end_state = "saved"
            self.server.notify()
            self.machine.stop()
        return {"path": str(path), "bytes": path.stat().st_size, "ms": round(took * 1000, 1)}

    def _folder_disks(self) -> dict[str, str]:
        """Each folder:PATH drive as a disk built from the folder now (disks/fat/folder.py:
        the folder is only read; the guest writes to an overlay in the VM's folder). A VM
        that resumes a saved state keeps the disk it was saved with: the resumed DOS holds
        that disk's FAT and directories in memory, and a disk rebuilt under it would be
        corrupted by its next write."""
        from disks import DiskError
        from disks.fat.folder import attach_folder
        if not self.temporary and savestate.exists(self.folder):
            kept = {d: str(self.profile.folder_disk(d)) for d in self.profile.folder_drives()}
            if all(os.path.isfile(p) for p in kept.values()):
                return kept
        try:
            return {drive: attach_folder(source, self.profile.folder_disk(drive),
                                         f"{self.profile.path}: drives.{drive}",
                                         lambda line: print(line, file=sys.stderr))
                    for drive, source in self.profile.folder_drives().items()}
        except DiskError as exc:
            raise ConfigError(str(exc)) from None

    def _temporary_overlay(self, drive: str, path: str, readonly: bool) -> str:
        """Every write of a temporary run lands in an overlay that vanishes at power-off (a
        write-protected image needs none: nothing can write to it)."""
        from disks import DiskError, create_image
        from engine.drives import write_protected_file
        if readonly or write_protected_file(path):
            return path
        tmp = temporary_folder(self.folder, os.getpid())
        tmp.mkdir(exist_ok=True)
        overlay = tmp / f"{drive}.qcow2"
        n = 1
        while overlay.exists():               # a diskette changed during the run
            n += 1
            overlay = tmp / f"{drive}-{n}.qcow2"
        try:
            create_image(overlay, backing=os.path.abspath(path), allow_outside_backing=True)
        except DiskError as exc:
            raise ConfigError(str(exc)) from None
        self.sources[str(overlay)] = path
        return str(overlay)

    # ---- lifecycle -------------------------------------------------------------------------
    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        self.server.start()
        runstate.write_json(self.folder / runstate.PIDFILE, {
            "pid": os.getpid(), "supervisor": os.getppid(), "t": time.time(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "temporary": self.temporary})
        try:
            status = self.machine.run()
        except Exception as exc:
            runstate.record_end(self.folder, "crashed", f"emulator error: "
                                f"{type(exc).__name__}: {exc}")
            raise
        finally:
            self.machine_done = True
            self.machine.close()
            self.server.close()
            self._cleanup()
        if self.end_reason is None:
            self.end_reason = f"the guest powered the machine off (exit status {status})"
        runstate.record_end(self.folder, self.end_state, self.end_reason)
        return 0

    def _cleanup(self) -> None:
        runstate._unlink(self.folder / runstate.PIDFILE)
        if self.temporary:
            shutil.rmtree(temporary_folder(self.folder, os.getpid()), ignore_errors=True)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.end_reason = f"powered off by {signal.Signals(signum).name}"
        self.machine.stop()

    # ---- commands --------------------------------------------------------------------------
    @staticmethod
    def _simple(action):
        def handler(_args: dict) -> dict:
            action()
            return {}
        return handler

    def public_state(self) -> dict:
        state = self.machine.state
        if state == "stopped":
            # The control server answers before machine.run() has begun (and after it has
            # returned): the VM process is up, so it is running, or ending. Reported as
            # "stopped", a VM starting up read as not running, and a snapshot restore
            # (refused for a running VM) could slip through.
            state = "stopping" if self.machine_done else "running"
        if state == "halted":
            state = "running"          # HLT waiting for an interrupt is still a running VM
        if not self.machine._resume.is_set():
            state = "paused"
        if self.end_reason is not None:
            state = "stopping"
        return {"state": state, "reason": self.end_reason}

    def status(self, _args: dict) -> dict:
        m = self.machine
        stats = m.stats()
        now, instr = time.monotonic(), stats["instructions"]
        t0, i0, mips = self._mips
        if now - t0 >= 0.25:
            mips = (instr - i0) / (now - t0) / 1e6
            self._mips = (now, instr, mips)
        serial_status = getattr(m, "serial_status", None)
        screen = m.text_screen()
        return {**self.public_state(), "name": self.profile.name, "uuid": self.profile.uuid,
                "pid": os.getpid(), "temporary": self.temporary, "instructions": instr,
                "guest_ns": stats.get("guest_ns", 0),
                "mips": round(mips, 3), "disk_reads": stats.get("disk_reads", 0),
                "disk_writes": stats.get("disk_writes", 0),
                "idle": stats.get("idle", {}),
                "serial": serial_status() if serial_status else [],
                "media": self.media_status(),
                **m.peripheral_status(),
                "screen": {"cols": screen.cols, "rows": screen.rows, "mda": screen.mda}}

    def stop(self, _args: dict) -> dict:
        self.end_reason = "powered off"
        self.server.notify()
        self.machine.stop()
        return {}

    def serial_reconnect(self, args: dict) -> dict:
        try:
            self.machine.serial_reconnect(str(args.get("port", "com1")))
        except ConfigError as exc:
            raise CommandError("BadRequest", str(exc)) from None
        return {}

    def mouse(self, args: dict) -> dict:
        """Move the serial mouse by ``dx``/``dy`` counts (+x right, +y down) and, if
        ``buttons`` is given (names or bits), hold exactly those buttons."""
        from engine.chips.serial_mouse import parse_buttons
        dx, dy = args.get("dx", 0), args.get("dy", 0)
        for key, value in (("dx", dx), ("dy", dy)):
            if isinstance(value, bool) or not isinstance(value, int) \
                    or not -32768 <= value <= 32767:
                raise CommandError("BadRequest", f"{key} {value!r}: expected counts, an "
                                   "integer from -32768 to 32767")
        buttons = args.get("buttons")
        try:
            bits = None if buttons is None else parse_buttons(buttons)
        except (ValueError, TypeError) as exc:
            raise CommandError("BadRequest", f"buttons: {exc}") from None
        try:
            self.machine.mouse_event(dx, dy, bits)
        except ConfigError as exc:
            raise CommandError("InvalidState", str(exc)) from None
        self.server.soon(*MOUSE_ECHO_DELAYS)
        return self.machine.peripheral_status()["mouse"]

    def media(self, args: dict) -> dict:
        """Change the diskette in drive A: or B: (``image`` null empties the drive)."""
        from disks import DiskError
        drive, image, readonly = args.get("drive"), args.get("image"), args.get("readonly", False)
        if drive not in ("a", "b"):
            raise CommandError("BadRequest", "drive: expected 'a' or 'b'")
        if image is not None and (not isinstance(image, str) or not image.strip()):
            raise CommandError("BadRequest", "image: expected an image path, or null to eject")
        if not isinstance(readonly, bool):
            raise CommandError("BadRequest", "readonly: expected true or false")
        path = None
        if image is not None:
            path = os.path.join(self.folder, os.path.expanduser(image))   # relative: the VM's
            if not os.path.isfile(path):
                raise CommandError("Failed", f"{path}: no such image file")
        try:
            if path is not None and self.temporary:
                path = self._temporary_overlay(f"fd{drive}", path, readonly)
            self.machine.change_medium(drive, path, readonly=readonly)
        except (ConfigError, DiskError) as exc:
            raise CommandError("Failed", str(exc)) from None
        return next(m for m in self.media_status() if m["drive"] == drive)

    def media_status(self) -> list[dict]:
        out = []
        for state in self.machine.media_status():
            if state["image"] in self.sources:
                state = {**state, "image": self.sources[state["image"]], "temporary": True}
            out.append(state)
        return out

    def keys(self, args: dict) -> dict:
        codes = args.get("scancodes")
        if not isinstance(codes, list) or not all(
                isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in codes):
            raise CommandError("BadRequest", "scancodes: expected a list of bytes (0-255)")
        self.machine.send_scancodes(codes)
        self.server.soon(*ECHO_DELAYS)
        return {"queued": len(codes)}

    def type(self, args: dict) -> dict:
        text = args.get("text")
        if not isinstance(text, str):
            raise CommandError("BadRequest", "text: expected a string")
        try:
            self.machine.type_text(text)
        except ValueError as exc:
            raise CommandError("BadRequest", f"text: {exc}") from None
        self.server.soon(*ECHO_DELAYS)
        return {"queued": len(text)}

    def screen(self, args: dict) -> dict:
        fmt = args.get("format", "data")
        if fmt not in ("data", "png"):
            raise CommandError("BadRequest", f"format {fmt!r}: expected data or png")
        screen = self.machine.screen()
        if fmt == "png":
            import base64

            from engine.screenshot import screen_png
            return {"png": base64.b64encode(screen_png(screen)).decode("ascii")}
        return {**screen_dict(screen), "text": screen.text_lines()}

    # ---- snapshots -------------------------------------------------------------------------
    def snapshot(self, args: dict) -> dict:
        """take: every disk at once, with the machine's state (paused at an instruction
        boundary, disks flushed; the VM runs on after). list, delete. Restore needs the VM
        powered off (tui/control/snapshots.py)."""
        action, name = args.get("action"), args.get("name")
        if action not in ("take", "list", "delete"):
            raise CommandError("BadRequest", "action: expected take, list or delete (restore "
                               "needs the VM powered off)")
        if self.temporary:
            raise CommandError("InvalidState", "snapshots are not available in a temporary "
                               "run: its disks are discarded at power-off")
        images, letters = self._snapshot_images()
        if action == "list":
            return {"snapshots": snapshots.describe(images)}
        if not isinstance(name, str) or not name.strip():
            raise CommandError("BadRequest", "name: expected a snapshot name")
        out: dict[str, Any] = {"name": name, "disks": [img.path for img in images]}
        with self._snap_lock, self._paused() as paused:
            self.machine.flush_disks()
            extra: dict[str, Any] = {}
            if action == "take":
                state = self.machine.get_state()
                state["vm"] = {"paused": not paused.was_running,
                               "guest_ns": self.machine.clock.nanoseconds()}
                snapshots.mark_media(state, self._left_out)
                disks = {{"c": "hda", "d": "hdb"}[k]: d.path
                         for k, d in self.machine.hard_disks.items()}
                blob = savestate.encode(state, self._fit(disks))
                on = snapshots.holder(images, letters)
                extra = {"state": blob, "state_on": on, "clock_ns": state["vm"]["guest_ns"]}
                out.update(state_bytes=len(blob), state_disk=images[on].path)
            try:
                snapshots.apply_all(self.folder, images, action, name, **extra)
            except snapshots.SnapshotError as exc:
                raise CommandError("Failed", str(exc)) from None
        return out

    def _snapshot_images(self) -> tuple[list[Any], list[str]]:
        """The VM's writable disks and their drive letters; a raw one, or none at all, is
        refused naming the way out (a snapshot is of the disks: the state rides on them)."""
        from disks.qcow2.image import Qcow2Image
        images, letters, self._left_out = [], [], []
        for letter, drive in sorted(self.machine.drives.items()):
            if drive.readonly:
                continue
            if not isinstance(drive.image, Qcow2Image):
                if snapshots.raw_medium(letter):
                    self._left_out.append(f"{letter.upper()}:")
                    continue
                raise CommandError("Failed", str(snapshots.raw_refusal(f"{letter.upper()}:",
                                                                       drive.path)))
            images.append(drive.image)
            letters.append(letter)
        if not images:
            raise CommandError("Failed", str(snapshots.no_disk_refusal(self.profile.name,
                                                                        self._left_out)))
        return images, letters

    def pause(self, args: dict) -> dict:
        """Answered once the machine has stopped at an instruction boundary, so what the
        client reads next (the screen, the status, a snapshot) is the paused machine's, not
        a moment of a halted guest's last sleep."""
        self.machine.pause()
        deadline = time.monotonic() + PAUSE_WAIT
        while self.machine.state not in ("paused", "stopped"):
            if time.monotonic() > deadline:
                raise CommandError("Failed", "the VM did not pause in time")
            time.sleep(0.002)
        return {}

    def _paused(self):
        host = self

        class Paused:
            def __enter__(self) -> Paused:
                self.was_running = host.machine._resume.is_set()
                host.machine.pause()
                deadline = time.monotonic() + PAUSE_WAIT
                while host.machine.state not in ("paused", "stopped"):
                    if time.monotonic() > deadline:
                        host.machine.resume()
                        raise CommandError("Failed", "the VM did not pause in time")
                    time.sleep(0.002)
                return self

            def __exit__(self, *exc: object) -> None:
                if self.was_running:
                    host.machine.resume()

        return Paused()


def main(folder: str, *, temporary: bool = False) -> int:
    path = Path(folder).resolve()
    try:
        profile = Profile.load(path)
        host = VMHost(profile, temporary=temporary)
    except ConfigError as exc:
        runstate.record_end(path, "poweroff", f"failed to start: {exc}")
        print(f"xtbox: error: {exc}", file=sys.stderr)
        return 2
    return host.run()
