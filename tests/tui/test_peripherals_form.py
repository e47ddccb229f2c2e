"""The wizard and the editor: mouse, speaker and printer-port fields, validated inline in the
profile's words, saved to the profile."""

from __future__ import annotations

from tests.tui.conftest import wait_for
from tui.app import XtboxApp
from tui.control import manager

SIZE = (100, 32)


def screen_name(app) -> str:
    return type(app.screen).__name__


def error(form, key: str) -> str:
    return str(form.query_one(f"#{key}_error").render())


async def test_peripheral_fields_in_the_editor(home):
    manager.create_vm("per", demo=True, serial=["none", "pty"])
    app = XtboxApp()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(getattr(app.screen, "vms", [])) == 1)
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "VMFormScreen")
        form = app.screen
        assert form.query_one("#mouse").value == "none"
        form.query_one("#mouse").value = "com2"               # COM2 has a pty: refused
        form.query_one("#speaker_kind").value = "wav"          # without a path
        form.query_one("#lpt1_kind").value = "tcp-server"
        form.query_one("#lpt1_param").value = "99999"
        form.query_one("#lpt2_kind").value = "file"
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert screen_name(app) == "VMFormScreen"
        assert "mouse on com2" in error(form, "mouse") and "'pty'" in error(form, "mouse")
        assert "WAV file needs its path" in error(form, "speaker")
        assert "'tcp-server:99999'" in error(form, "lpt1")
        assert "needs a path" in error(form, "lpt2")
        assert manager.vm_info("per").profile.mouse == "none"   # nothing written
        form.query_one("#mouse").value = "com1"
        form.query_one("#speaker_param").value = "beeps.wav"
        form.query_one("#lpt1_param").value = "127.0.0.1:4556"
        form.query_one("#lpt2_param").value = "out.prn"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerScreen")
    p = manager.vm_info("per").profile
    assert (p.mouse, p.speaker, p.lpt) == ("com1", "wav:beeps.wav",
                                           ["tcp-server:127.0.0.1:4556", "file:out.prn"])


async def test_peripheral_fields_in_the_wizard(home):
    app = XtboxApp()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "ManagerScreen")
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "VMFormScreen")
        form = app.screen
        form.query_one("#name").value = "wiz"
        form.query_one("#fda").value = ""
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: form.step == 1)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: form.step == 2)
        assert "mouse" in str(form.query_one("#step").render()).lower()
        form.query_one("#mouse").value = "com1"
        form.query_one("#speaker_kind").value = "bell"
        form.query_one("#lpt1_kind").value = "pty"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerScreen")
    p = manager.vm_info("wiz").profile
    assert (p.mouse, p.speaker, p.lpt) == ("com1", "bell", ["pty", "none"])
