"""`xtbox vm` end to end: the real CLI in subprocesses, real VM processes, real sockets."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path, monkeypatch):
    h = tmp_path / "home"
    monkeypatch.setenv("XTBOX_HOME", str(h))
    yield h
    # Never leave a VM process behind, whatever the test did.
    for pidfile in h.glob("vms/*/vm.pid"):
        try:
            pid = json.loads(pidfile.read_text())["pid"]
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, KeyError):
            pass


def xtbox(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"xtbox {' '.join(args)} -> {proc.returncode}\n{proc.stderr}")
    return proc


def status(name: str) -> dict:
    return json.loads(xtbox("vm", "status", name, "--json").stdout)


def test_demo_vm_snapshot_round_trip(home):
    xtbox("vm", "create", "demo", "--demo")
    xtbox("vm", "start", "demo", "--headless")
    xtbox("vm", "expect", "demo", "xtbox>")
    xtbox("vm", "type", "demo", "save alpha\\n")
    xtbox("vm", "expect", "demo", "saved")
    xtbox("vm", "snapshot", "demo", "take", "before")            # taken while running
    xtbox("vm", "type", "demo", "save beta\\nload\\n")
    xtbox("vm", "expect", "demo", "beta")
    screen = xtbox("vm", "screenshot", "demo").stdout
    assert "xtbox> load" in screen and "beta" in screen
    snaps = json.loads(xtbox("vm", "snapshot", "demo", "list", "--json").stdout)
    assert [s["name"] for s in snaps] == ["before"]

    refused = xtbox("vm", "snapshot", "demo", "restore", "before", check=False)
    assert refused.returncode == 2 and "powered off" in refused.stderr
    xtbox("vm", "stop", "demo")
    assert status("demo")["state"] == "poweroff"
    xtbox("vm", "snapshot", "demo", "restore", "before")
    xtbox("vm", "start", "demo", "--headless")
    xtbox("vm", "expect", "demo", "xtbox>")
    xtbox("vm", "type", "demo", "load\\n")
    xtbox("vm", "expect", "demo", "alpha")
    assert "beta" not in xtbox("vm", "screenshot", "demo").stdout
    xtbox("vm", "stop", "demo")
    if shutil.which("qemu-img"):
        disk = home / "vms" / "demo" / "disk-a.qcow2"
        check = subprocess.run(["qemu-img", "check", str(disk)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "before" in subprocess.run(["qemu-img", "snapshot", "-l", str(disk)],
                                          capture_output=True, text=True).stdout


def test_kill_9_is_reported_and_cleaned_up(home):
    xtbox("vm", "create", "k", "--demo")
    xtbox("vm", "start", "k", "--headless")
    xtbox("vm", "expect", "k", "xtbox>")
    xtbox("vm", "type", "k", "save before-the-crash\\n")
    xtbox("vm", "expect", "k", "saved")
    pid = status("k")["pid"]
    assert isinstance(pid, int)
    again = xtbox("vm", "start", "k", "--headless", check=False)
    assert again.returncode == 2 and "already running" in again.stderr
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while status("k")["state"] != "crashed":
        assert time.monotonic() < deadline, "the crash was never reported"
        time.sleep(0.05)
    st = status("k")
    assert "SIGKILL" in st["reason"]
    folder = home / "vms" / "k"
    assert not (folder / "control.sock").exists() and not (folder / "vm.pid").exists()
    listing = xtbox("vm", "list").stdout
    assert "crashed" in listing and "SIGKILL" in listing
    if shutil.which("qemu-img"):
        check = subprocess.run(["qemu-img", "check", str(folder / "disk-a.qcow2")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout
    xtbox("vm", "start", "k", "--headless")                       # and it boots again
    xtbox("vm", "expect", "k", "xtbox>")
    xtbox("vm", "type", "k", "load\\n")
    xtbox("vm", "expect", "k", "before-the-crash")
    xtbox("vm", "stop", "k")


def test_temporary_run_discards_its_writes(home):
    xtbox("vm", "create", "t", "--demo")
    xtbox("vm", "start", "t", "--headless", "--temporary")
    xtbox("vm", "expect", "t", "xtbox>")
    xtbox("vm", "type", "t", "save gone\\n")
    xtbox("vm", "expect", "t", "saved")
    refused = xtbox("vm", "snapshot", "t", "take", "x", check=False)
    assert refused.returncode == 2 and "temporary" in refused.stderr
    xtbox("vm", "stop", "t")
    assert not list((home / "vms" / "t").glob(".temporary-*"))
    xtbox("vm", "start", "t", "--headless")
    xtbox("vm", "expect", "t", "xtbox>")
    xtbox("vm", "type", "t", "load\\n")
    xtbox("vm", "expect", "t", "(nothing saved)")
    xtbox("vm", "stop", "t")


def test_raw_disks_are_refused_for_snapshots(home, tmp_path):
    raw = tmp_path / "c.img"
    xtbox("disk", "create", str(raw), "1M", "--format", "raw")
    xtbox("vm", "create", "r", "--demo", "--hda", str(raw))
    out = xtbox("vm", "snapshot", "r", "take", "s", check=False)
    assert out.returncode == 2
    assert "raw" in out.stderr and "xtbox disk convert" in out.stderr
    # all or none: the demo floppy got no snapshot either
    floppy = home / "vms" / "r" / "disk-a.qcow2"
    assert "s " not in xtbox("disk", "snapshot", str(floppy), "list").stdout
    assert xtbox("disk", "snapshot", str(floppy), "list").stdout.strip() in ("", "no snapshots")


def test_clones_and_delete(home):
    xtbox("vm", "create", "src", "--demo")
    xtbox("vm", "start", "src", "--headless")
    xtbox("vm", "expect", "src", "xtbox>")
    xtbox("vm", "type", "src", "save original\\n")
    xtbox("vm", "expect", "src", "saved")
    refused = xtbox("vm", "clone", "src", "copy", check=False)
    assert refused.returncode == 2 and "running" in refused.stderr
    xtbox("vm", "stop", "src")
    xtbox("vm", "clone", "src", "full")
    xtbox("vm", "clone", "src", "linked", "--linked")
    vms = {v["name"]: v for v in json.loads(xtbox("vm", "list", "--json").stdout)}
    assert set(vms) == {"src", "full", "linked"}
    assert len({vms[n]["uuid"] for n in vms}) == 3
    for name in ("full", "linked", "src"):
        xtbox("vm", "start", name, "--headless")
        xtbox("vm", "expect", name, "xtbox>")
        xtbox("vm", "type", name, "load\\n")
        xtbox("vm", "expect", name, "original")
        xtbox("vm", "type", name, f"save {name}-only\\n")
        xtbox("vm", "expect", name, "saved")
        xtbox("vm", "stop", name)
    xtbox("vm", "start", "linked", "--headless")      # the source's writes did not leak in
    xtbox("vm", "expect", "linked", "xtbox>")
    xtbox("vm", "type", "linked", "load\\n")
    xtbox("vm", "expect", "linked", "linked-only")
    xtbox("vm", "stop", "linked")
    refused = xtbox("vm", "delete", "src", check=False)
    assert refused.returncode == 2 and "linked" in refused.stderr
    xtbox("vm", "delete", "linked")
    xtbox("vm", "delete", "src")
    xtbox("vm", "delete", "full", "--keep-disks")
    assert (home / "vms" / "full" / "disk-a.qcow2").exists()
    assert json.loads(xtbox("vm", "list", "--json").stdout) == []


def test_bad_input_is_one_clear_line(home):
    cases = [
        (("vm", "create", "m", "--memory", "100"), "memory"),
        (("vm", "create", "bad/name"), "VM name"),
        (("vm", "create", "x", "--fda", "/no/such.img"), "/no/such.img"),
        (("vm", "start", "ghost"), "no VM named 'ghost'"),
        (("vm", "stop", "ghost"), "no VM named"),
    ]
    for args, needle in cases:
        out = xtbox(*args, check=False)
        assert out.returncode == 2, args
        assert needle in out.stderr and "Traceback" not in out.stderr, out.stderr
    xtbox("vm", "create", "x", "--demo")
    dup = xtbox("vm", "create", "x", "--demo", check=False)
    assert dup.returncode == 2 and "already exists" in dup.stderr
    notrun = xtbox("vm", "type", "x", "dir", check=False)
    assert notrun.returncode == 2 and "not running" in notrun.stderr
    profile = home / "vms" / "x" / "vm.toml"
    profile.write_text(profile.read_text().replace('display = "cga"', 'display = "ega"'))
    out = xtbox("vm", "start", "x", check=False)
    assert out.returncode == 2 and str(profile) in out.stderr and "display" in out.stderr
    assert "invalid" in xtbox("vm", "list").stdout
    nothing = xtbox("vm", "expect", "x", "never", check=False)
    assert nothing.returncode == 2


def test_modify_keeps_unknown_keys(home, tmp_path):
    xtbox("vm", "create", "mod", "--demo")
    profile = home / "vms" / "mod" / "vm.toml"
    profile.write_text("# mine\nfrom_the_future = true\n" + profile.read_text())
    xtbox("vm", "modify", "mod", "--memory", "256", "--display", "mda", "--notes", "hello",
          "--new-hda", "2M")
    text = profile.read_text()
    assert "# mine" in text and "from_the_future = true" in text
    v = status("mod")
    assert (v["memory_kib"], v["display"], v["notes"]) == (256, "mda", "hello")
    assert v["disks"]["hda"].endswith("disk-c.qcow2")
    xtbox("vm", "modify", "mod", "--rename", "renamed")
    assert status("renamed")["memory_kib"] == 256
    out = xtbox("vm", "expect", "renamed", "x", "--timeout", "0.1", check=False)
    assert out.returncode == 2 and "not running" in out.stderr


def test_expect_times_out_with_status_1_and_svg_screenshot(home, tmp_path):
    xtbox("vm", "create", "e", "--demo")
    xtbox("vm", "start", "e", "--headless")
    xtbox("vm", "expect", "e", "xtbox>")
    t0 = time.monotonic()
    out = xtbox("vm", "expect", "e", "never-shown", "--timeout", "0.5", check=False)
    assert out.returncode == 1 and time.monotonic() - t0 >= 0.5
    svg = tmp_path / "s.svg"
    xtbox("vm", "screenshot", "e", "--format", "svg", "-o", str(svg))
    data = svg.read_text()
    assert data.startswith("<svg") and "xtbox" in data
    xtbox("vm", "pause", "e")
    assert status("e")["live"]["state"] == "paused"
    xtbox("vm", "resume", "e")
    xtbox("vm", "reset", "e")
    xtbox("vm", "expect", "e", "xtbox demo disk")
    xtbox("vm", "stop", "e")


def _lines(sock: socket.socket, n: int, buf: list[bytes]) -> list[dict]:
    data = b"".join(buf)
    while data.count(b"\n") < n:
        chunk = sock.recv(65536)
        assert chunk, "connection closed"
        data += chunk
    lines = data.split(b"\n")
    buf[:] = [b"\n".join(lines[n:])]
    return [json.loads(line) for line in lines[:n]]


def test_control_protocol_on_a_raw_socket(home):
    xtbox("vm", "create", "p", "--demo")
    xtbox("vm", "start", "p", "--headless")
    xtbox("vm", "expect", "p", "xtbox>")
    path = home / "vms" / "p" / "control.sock"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(str(path))
        buf: list[bytes] = []
        (greeting,) = _lines(s, 1, buf)
        assert greeting["xtbox"]["vm"] == "p" and greeting["xtbox"]["version"] == 1
        s.sendall(b"this is not json\n")
        s.sendall(b'{"execute": "warp", "id": 7}\n')
        s.sendall(b'{"execute": "keys", "arguments": {"scancodes": [999]}, "id": 8}\n')
        s.sendall(b'{"execute": "status", "id": "s"}\n')
        bad, unknown, badarg, ok = _lines(s, 4, buf)
        assert bad["error"]["class"] == "BadRequest"
        assert unknown["error"]["class"] == "CommandNotFound" and unknown["id"] == 7
        assert badarg["error"]["class"] == "BadRequest" and "scancodes" in badarg["error"]["desc"]
        assert ok["id"] == "s" and ok["return"]["state"] == "running"
        s.sendall(b'{"execute": "subscribe", "id": 1}\n')
        msgs = []
        while not any(m.get("event") == "screen" for m in msgs):
            msgs += _lines(s, 1, buf)
        first = next(m for m in msgs if m.get("event") == "screen")["data"]
        assert len(first["lines"]) == 25 and first["cols"] == 80
        s.sendall(b'{"execute": "type", "arguments": {"text": "echo x\\n"}, "id": 2}\n')
        changed = None
        deadline = time.monotonic() + 10
        while changed is None:
            assert time.monotonic() < deadline
            (m,) = _lines(s, 1, buf)
            if m.get("event") == "screen" and any(
                    "x" == "".join(chr(c) for c, _a in row).strip()
                    for row in m["data"]["lines"].values()):
                changed = m["data"]
        assert 0 < len(changed["lines"]) < 25          # only the rows that changed
    xtbox("vm", "stop", "p")


def test_long_data_folder_paths(tmp_path, monkeypatch):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    monkeypatch.setenv("XTBOX_HOME", str(deep))
    try:
        xtbox("vm", "create", "long-name-vm", "--demo")
        xtbox("vm", "start", "long-name-vm", "--headless")
        xtbox("vm", "expect", "long-name-vm", "xtbox>")
        xtbox("vm", "stop", "long-name-vm")
    finally:
        for pidfile in deep.glob("vms/*/vm.pid"):
            try:
                os.kill(json.loads(pidfile.read_text())["pid"], signal.SIGKILL)
            except (OSError, ValueError, KeyError):
                pass


def test_serial_reconnect_on_request(home):
    """`xtbox vm serial-reconnect`: a TCP server lets its client go (the next one connects);
    a port with nothing behind it is refused with the reason; the status follows along."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    xtbox("vm", "create", "ser", "--demo", "--serial", f"tcp-server:127.0.0.1:{port}")
    xtbox("vm", "start", "ser", "--headless")
    xtbox("vm", "expect", "ser", "xtbox>")

    def com1() -> dict:
        return status("ser")["live"]["serial"][0]
    first = socket.create_connection(("127.0.0.1", port), timeout=10)
    deadline = time.monotonic() + 10
    while not com1()["connected"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert com1()["connected"] and "client" in com1()["detail"]
    assert "reconnecting" in xtbox("vm", "serial-reconnect", "ser", "com1").stdout
    first.settimeout(10)
    assert first.recv(16) == b""                        # let go: the client sees the end
    first.close()
    assert not com1()["connected"] and "listening" in com1()["detail"]
    with socket.create_connection(("127.0.0.1", port), timeout=10):
        deadline = time.monotonic() + 10
        while not com1()["connected"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert com1()["connected"]
    refused = xtbox("vm", "serial-reconnect", "ser", "com2", check=False)
    assert refused.returncode != 0 and "com2" in refused.stderr and "nothing" in refused.stderr
    xtbox("vm", "stop", "ser")


def test_status_shows_the_idle_share_of_a_polling_guest(home, tmp_path):
    image = tmp_path / "idle_waits.img"
    shutil.copy(ROOT / "tests" / "guests" / "idle_waits.img", image)
    xtbox("vm", "create", "waits", "--fda", str(image), "--boot", "a")
    xtbox("vm", "start", "waits", "--headless")
    xtbox("vm", "expect", "waits", "mode 1-9?")
    xtbox("vm", "type", "waits", "1")                  # the INT 16h AH=01h poll loop
    deadline = time.monotonic() + 60
    while status("waits")["live"]["idle"]["sleeps"]["poll"] < 10:
        assert time.monotonic() < deadline, status("waits")
        time.sleep(0.2)
    live = status("waits")["live"]["idle"]
    assert 0 < live["share"] <= 1 and live["polls"] > 0
    text = xtbox("vm", "status", "waits").stdout
    assert "idle " in text and "of the last second" in text and "poll " in text
    xtbox("vm", "stop", "waits")
