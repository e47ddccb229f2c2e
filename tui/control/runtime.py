"""Running VMs: start one in its own process, and drive it through its control socket."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from engine.vmm import runstate
from engine.vmm.launch import child_env, vmm_command
from tui.control.client import ControlClient, ControlError, VMNotRunning
from tui.control.vms import VMError, load, require_stopped

START_TIMEOUT = 20.0


def socket_path(name: str) -> Path:
    return load(name).folder / runstate.SOCKET


def start_vm(name: str, *, temporary: bool = False, timeout: float = START_TIMEOUT) -> int:
    """Start the VM's own process (detached: it outlives the caller) and return its pid once
    the control socket answers. A VM that fails to boot raises VMError with the reason."""
    profile = load(name)
    folder = profile.folder
    runstate.clean_stale(folder)
    running = runstate.running_pid(folder)
    if running is not None:
        raise VMError(f"VM {name!r} is already running (pid {running})")
    cmd = vmm_command(folder, *(["--temporary"] if temporary else []))
    with open(folder / runstate.LOG, "ab") as log:
        log.write(f"--- start {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
        log.flush()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True, close_fds=True, env=child_env(),
                                cwd=folder)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            if code == 3:
                raise VMError(f"VM {name!r} is already running")
            last = runstate.last_run(folder)
            reason = last.get("reason") or f"its process exited with status {code}"
            raise VMError(f"VM {name!r} did not start: {reason}")
        info = runstate.read_json(folder / runstate.PIDFILE)
        if info and isinstance(info.get("pid"), int):
            try:
                with ControlClient(folder / runstate.SOCKET, timeout=2.0):
                    return info["pid"]
            except VMNotRunning:
                pass
        time.sleep(0.02)
    proc.terminate()
    raise VMError(f"VM {name!r} did not answer within {timeout:.0f} s (see {folder / runstate.LOG})")


def connect(name: str, *, timeout: float | None = 10.0) -> ControlClient:
    profile = load(name)
    try:
        return ControlClient(profile.folder / runstate.SOCKET, timeout=timeout)
    except VMNotRunning:
        runstate.clean_stale(profile.folder)
        raise VMError(f"VM {name!r} is not running") from None


def command(vm: str, cmd: str, **arguments):
    with connect(vm) as c:
        try:
            return c.call(cmd, **arguments)
        except ControlError as exc:
            raise VMError(f"VM {vm!r}: {exc}") from None


def stop_vm(name: str, *, timeout: float = 10.0) -> None:
    """Power off and wait until the process has gone (disks flushed and unlocked)."""
    profile = load(name)
    pid = runstate.running_pid(profile.folder)
    command(name, "stop")
    _wait_gone(profile, pid, timeout)


def _wait_gone(profile, pid: int | None, timeout: float) -> None:
    name = profile.name
    deadline = time.monotonic() + timeout
    while pid is not None and runstate.pid_alive(pid):
        if time.monotonic() > deadline:
            raise VMError(f"VM {name!r} (pid {pid}) did not power off within {timeout:.0f} s")
        time.sleep(0.02)
    # The supervisor removes the socket and pid file just after the worker ends.
    while (profile.folder / runstate.PIDFILE).exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def save_vm(name: str, *, timeout: float = 20.0) -> dict:
    """Suspend: the VM writes its whole state and ends; the next start resumes it."""
    profile = load(name)
    pid = runstate.running_pid(profile.folder)
    out = command(name, "save")
    _wait_gone(profile, pid, timeout)
    return out


def discard_state(name: str) -> bool:
    """Power a saved VM off for good: its saved state is deleted (False: it had none)."""
    from engine.vmm import savestate
    profile = load(name)
    require_stopped(profile, "discarding its saved state")
    if not savestate.discard(profile.folder):
        return False
    runstate.record_end(profile.folder, "poweroff", "saved state discarded")
    return True


def pause_vm(name: str) -> None:
    command(name, "pause")


def resume_vm(name: str) -> None:
    command(name, "resume")


def reset_vm(name: str) -> None:
    command(name, "reset")


def status(name: str) -> dict:
    return command(name, "status")


def type_text(name: str, text: str) -> None:
    command(name, "type", text=text)


def mouse(name: str, dx: int, dy: int, buttons: list[str] | int | None = None) -> dict:
    """Move the VM's serial mouse (counts, +y down); ``buttons`` held from now on (None:
    unchanged). Returns the mouse's status (reports sent so far...)."""
    args: dict = {"dx": dx, "dy": dy}
    if buttons is not None:
        args["buttons"] = buttons
    return command(name, "mouse", **args)


def screen(name: str) -> dict:
    return command(name, "screen")


def screen_png(name: str) -> bytes:
    """The displayed frame as a PNG at the mode's native size (made in the VM process)."""
    import base64
    return base64.b64decode(command(name, "screen", format="png")["png"])


def expect(name: str, text: str, *, timeout: float = 10.0) -> bool:
    """Wait until ``text`` is on the guest's screen (True) or the timeout passes (False)."""
    deadline = time.monotonic() + timeout
    with connect(name) as c:
        while True:
            lines = c.call("screen")["text"]
            if any(text in line for line in lines) or text in "\n".join(lines):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
