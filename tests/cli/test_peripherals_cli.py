"""Mouse, speaker and printer ports through the real CLI and VM processes: `xtbox vm
create/modify --mouse/--speaker/--lpt1/--lpt2`, `xtbox vm mouse`, `vm status`, and a saved
state that keeps the mouse."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.cli.test_vm_cli import ROOT, home, status, xtbox  # noqa: F401
from tui.control import manager

MOUSE_LAB = ROOT / "tests" / "guests" / "mouse_lab.img"


@pytest.mark.parametrize(("option", "value", "expected"), [
    ("--mouse", "com3", "mouse 'com3': expected none, com1, com2, com1:logitech or "
     "com2:logitech"),
    ("--speaker", "beep", "speaker 'beep': not a form xtbox knows; accepted: none, bell, "
     "wav:PATH or host"),
    ("--lpt1", "stdio", "lpt1: printer backend 'stdio': a stdio is not a printer; accepted: "
     "none, file:PATH"),
    ("--lpt2", "tcp-server:0", "lpt2: printer backend 'tcp-server:0'"),
])
def test_bad_values_get_one_error_naming_value_and_forms(home, option, value, expected):  # noqa: F811
    out = xtbox("vm", "create", "bad", "--demo", option, value, check=False)
    assert out.returncode == 2 and expected in out.stderr, out.stderr
    assert out.stderr.count("\n") == 1
    assert not (home / "vms" / "bad" / "vm.toml").exists()


def test_settings_in_the_profile_and_a_mouse_port_with_a_backend_refused(home):  # noqa: F811
    xtbox("vm", "create", "p", "--demo", "--mouse", "com1", "--speaker", "bell",
          "--lpt1", "file:out.prn")
    text = (home / "vms" / "p" / "vm.toml").read_text()
    assert 'mouse = "com1"' in text and 'speaker = "bell"' in text
    assert 'lpt1 = "file:out.prn"' in text and 'lpt2 = "none"' in text
    refused = xtbox("vm", "modify", "p", "--serial", "pty", check=False)
    assert refused.returncode == 2
    assert "mouse on com1" in refused.stderr and "'pty'" in refused.stderr
    xtbox("vm", "modify", "p", "--mouse", "com2", "--serial", "pty", "--speaker", "none",
          "--lpt2", "pty")
    info = status("p")
    assert (info["mouse"], info["speaker"], info["lpt"], info["serial"]) == \
        ("com2", "none", ["file:out.prn", "pty"], ["pty", "none"])
    text = xtbox("vm", "status", "p").stdout
    assert "mouse: com2" in text and "lpt2: pty" in text and "speaker" not in text


def test_vm_mouse_moves_what_the_guest_reads_and_status_counts_it(home):  # noqa: F811
    image = home.parent / "mouse_lab.img"
    shutil.copy(MOUSE_LAB, image)
    xtbox("vm", "create", "m", "--fda", str(image), "--mouse", "com1:logitech", "--lpt1",
          "file:out.prn", "--speaker", "wav:beeps.wav")
    xtbox("vm", "start", "m", "--headless")
    xtbox("vm", "expect", "m", "mouse: M3", "--timeout", "30")
    xtbox("vm", "mouse", "m", "10", "-5", "--buttons", "left")
    xtbox("vm", "expect", "m", "X=+00010 Y=-00005 B=L..", "--timeout", "30")
    xtbox("vm", "mouse", "m", "300", "200", "--buttons", "right,middle")
    xtbox("vm", "expect", "m", "X=+00310 Y=+00195 B=.RM", "--timeout", "30")
    xtbox("vm", "mouse", "m", "0", "0")                        # no --buttons: none held
    xtbox("vm", "expect", "m", "X=+00310 Y=+00195 B=...", "--timeout", "30")
    bad = xtbox("vm", "mouse", "m", "1", "1", "--buttons", "left,thumb", check=False)
    assert bad.returncode == 2 and "'thumb' is not a button" in bad.stderr
    live = status("m")["live"]
    assert live["mouse"]["port"] == "com1" and live["mouse"]["resets"] == 1
    assert live["mouse"]["reports"] >= 4
    assert live["speaker"]["spec"] == "wav:beeps.wav"
    assert live["printers"][0] == {**live["printers"][0], "port": "lpt1",
                                   "spec": "file:out.prn", "connected": True}
    text = xtbox("vm", "status", "m").stdout
    assert "mouse: com1 Microsoft serial mouse" in text and "1 driver reset(s)" in text
    assert "lpt1: file:out.prn connected" in text and "speaker: wav:beeps.wav" in text
    assert (home / "vms" / "m" / "out.prn").exists()           # relative: the VM's folder

    # Suspended and resumed, the mouse is still powered and the guest still reading it.
    xtbox("vm", "save", "m")
    xtbox("vm", "modify", "m", "--mouse", "none")
    refused = xtbox("vm", "start", "m", "--headless", check=False)
    assert refused.returncode == 2 and "mouse com1:logitech -> none" in refused.stderr
    xtbox("vm", "modify", "m", "--mouse", "com1")              # another kind of mouse
    refused = xtbox("vm", "start", "m", "--headless", check=False)
    assert refused.returncode == 2 and "mouse com1:logitech -> com1" in refused.stderr
    xtbox("vm", "modify", "m", "--mouse", "com1:logitech")
    xtbox("vm", "start", "m", "--headless")
    xtbox("vm", "mouse", "m", "-310", "-195")
    xtbox("vm", "expect", "m", "X=+00000 Y=+00000 B=...", "--timeout", "30")
    assert status("m")["live"]["mouse"]["resets"] == 1         # not detected afresh
    xtbox("vm", "stop", "m")


def test_vm_mouse_on_a_vm_without_one_says_so(home):  # noqa: F811
    xtbox("vm", "create", "d", "--demo")
    xtbox("vm", "start", "d", "--headless")
    out = xtbox("vm", "mouse", "d", "1", "1", check=False)
    assert out.returncode == 2 and "this VM has no mouse" in out.stderr
    assert json.loads(xtbox("vm", "status", "d", "--json").stdout)["live"]["mouse"] == \
        {"port": "none", "spec": "none"}
    manager.stop_vm("d")
