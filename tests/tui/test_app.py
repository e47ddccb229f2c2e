"""The app's flows, driven by Pilot against real VM processes and real profiles."""

from __future__ import annotations

import re

from tests.tui.conftest import wait_for
from tui.app import XtboxApp
from tui.control import manager
from tui.widgets.console_view import ConsoleView

SIZE = (100, 32)


def screen_name(app) -> str:
    return type(app.screen).__name__


async def open_new_form(pilot, app):
    """From the manager: New (the wizard's first page)."""
    await pilot.pause(0.3)
    await pilot.press("n")
    await wait_for(pilot, lambda: screen_name(app) == "VMFormScreen")
    return app.screen


async def wait_listed(pilot, app, count: int) -> None:
    """Until the manager lists `count` VMs."""
    await wait_for(pilot, lambda: len(getattr(app.screen, "vms", [])) == count)


async def test_demo_from_first_start_to_a_guest_answer(home):
    app = XtboxApp()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "ManagerScreen")
        await pilot.pause(0.3)
        assert "No VMs yet" in str(app.screen.query_one("#welcome").render())
        await pilot.press("enter")                          # one keystroke: demo VM, booted
        await wait_for(pilot, lambda: screen_name(app) == "ConsoleScreen"
                       and len(app.screen.query(ConsoleView)) > 0)  # pushed, composed
        view = app.screen.query_one(ConsoleView)
        await wait_for(pilot, lambda: any("xtbox>" in ln for ln in view.text_lines()))
        await pilot.press(*"echo Hello", "space", *"TUI", "enter")
        await wait_for(pilot, lambda: "Hello TUI" in view.text_lines())
        lines = view.text_lines()
        assert lines[lines.index("Hello TUI") - 1].endswith("echo Hello TUI")
        await pilot.press("ctrl+right_square_bracket")      # the host key: the console menu
        await wait_for(pilot, lambda: screen_name(app) == "ConsoleMenu")
        await pilot.press("enter")                          # "back to the manager"
        await wait_for(pilot, lambda: screen_name(app) == "ManagerScreen")
        assert manager.vm_info("demo").state == "running"   # the VM keeps running
        await wait_for(pilot, lambda: app.screen.vms and app.screen.vms[0].state == "running")
        await pilot.press("x")                              # stop, confirmed
        await pilot.press("y")
        await wait_for(pilot, lambda: manager.vm_info("demo").state == "poweroff")


async def test_new_vm_form_validates_inline(home, tmp_path):
    app = XtboxApp()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_form(pilot, app)
        form.query_one("#name").value = "bad/name"
        form.query_one("#memory").value = "1000"
        form.query_one("#hda").value = str(tmp_path / "missing.img")
        form.query_one("#com1_kind").value = "tcp-server"
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert screen_name(app) == "VMFormScreen"
        assert "VM name" in str(form.query_one("#name_error").render())
        assert "multiple of 16" in str(form.query_one("#memory_error").render())
        assert "no such image" in str(form.query_one("#hda_error").render())
        assert "needs" in str(form.query_one("#com1_error").render())
        assert manager.list_vms() == []
        form.query_one("#name").value = "mine"
        form.query_one("#memory").value = "512"
        form.query_one("#hda").value = ""
        form.query_one("#new_hda").value = "2M"
        form.query_one("#com1_kind").value = "none"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerScreen")
        vm = manager.vm_info("mine")
        assert vm.memory_kib == 512 and vm.disks["hda"].endswith("disk-c.qcow2")
        await wait_for(pilot, lambda: [v.name for v in app.screen.vms] == ["mine"])
        await pilot.press("e")                               # edit: the same form, filled in
        await wait_for(pilot, lambda: screen_name(app) == "VMFormScreen")
        assert app.screen.query_one("#memory").value == "512"
        app.screen.query_one("#memory").value = "256"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerScreen")
        assert manager.vm_info("mine").memory_kib == 256


async def test_clone_and_delete_with_confirmation(home):
    manager.create_vm("one", demo=True)
    app = XtboxApp()
    async with app.run_test(size=SIZE) as pilot:
        await wait_listed(pilot, app, 1)
        await pilot.press("c")
        await wait_for(pilot, lambda: screen_name(app) == "PromptScreen")
        await pilot.press("enter")                          # the suggested name, one-copy
        await wait_for(pilot, lambda: len(manager.list_vms()) == 2)
        await pilot.press("delete")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("n")                              # no: nothing happens
        await pilot.pause(0.2)
        assert len(manager.list_vms()) == 2
        await pilot.press("delete")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: len(manager.list_vms()) == 1)


async def test_snapshots_take_restore_delete(home):
    manager.create_vm("snap", demo=True)
    app = XtboxApp()
    async with app.run_test(size=SIZE) as pilot:
        await wait_listed(pilot, app, 1)
        await pilot.press("S")
        await wait_for(pilot, lambda: screen_name(app) == "SnapshotsScreen")
        await pilot.press("t")
        await wait_for(pilot, lambda: screen_name(app) == "PromptScreen")
        app.screen.query_one("#answer").value = "first"
        await pilot.press("enter")
        await wait_for(pilot, lambda: [s["name"] for s in app.screen.snaps] == ["first"])
        manager.start_vm("snap")
        await pilot.press("r")                              # refused while running
        await pilot.pause(0.2)
        assert screen_name(app) == "SnapshotsScreen"
        assert any("powered off" in n.message for n in app._notifications)
        manager.stop_vm("snap")
        await pilot.press("r")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: any("Restore snapshot: done" in n.message
                                          for n in app._notifications))
        await pilot.press("delete")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen_name(app) == "SnapshotsScreen"
                       and app.screen.snaps == [])
        assert manager.list_snapshots("snap") == []


async def test_snapshot_screen_marks_machine_states(home):
    manager.create_vm("live", demo=True)
    manager.start_vm("live")
    assert manager.expect("live", "xtbox>", timeout=30)
    app = XtboxApp()
    async with app.run_test(size=SIZE) as pilot:
        await wait_listed(pilot, app, 1)
        await pilot.press("S")
        await wait_for(pilot, lambda: screen_name(app) == "SnapshotsScreen")
        await pilot.press("t")                              # taken while running
        await wait_for(pilot, lambda: screen_name(app) == "PromptScreen")
        app.screen.query_one("#answer").value = "running"
        await pilot.press("enter")
        await wait_for(pilot, lambda: [s["name"] for s in app.screen.snaps] == ["running"])
        assert any("with the machine state" in n.message for n in app._notifications)
        manager.stop_vm("live")
        await pilot.press("t")                              # taken powered off
        await wait_for(pilot, lambda: screen_name(app) == "PromptScreen")
        app.screen.query_one("#answer").value = "off"
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.screen.snaps) == 2)
        await pilot.pause(0.1)
        table = app.screen.query_one("#snaps")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0][0] == "running" and re.fullmatch(r"machine state \d+ KiB", rows[0][2])
        assert rows[1][0] == "off" and rows[1][2] == "disks only"
        await pilot.press("r")                              # the cursor is on "running"
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: any("Start resumes it" in n.message
                                          for n in app._notifications))
        assert manager.vm_info("live").state == "saved"


async def test_disks_and_settings(home, tmp_path):
    manager.create_vm("d", demo=True)
    app = XtboxApp()
    async with app.run_test(size=SIZE) as pilot:
        await wait_listed(pilot, app, 1)
        await pilot.press("d")
        await wait_for(pilot, lambda: screen_name(app) == "DisksScreen" and app.screen.disks)
        names = [d["path"].rsplit("/", 1)[-1] for d in app.screen.disks]
        assert names[0] == "disk-a.qcow2" and any(n.startswith("demo-") for n in names)
        assert app.screen.disks[0]["used_by"] == ["d"]
        await pilot.press("k")
        await wait_for(pilot, lambda: any("no errors" in n.message for n in app._notifications))
        await pilot.press("v")                              # convert, with progress
        await wait_for(pilot, lambda: screen_name(app) == "PromptScreen")
        target = tmp_path / "flat.img"
        app.screen.query_one("#answer").value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: target.exists() and any(
            "converted" in n.message for n in app._notifications))
        assert target.stat().st_size == 1_474_560
        await pilot.press("escape")
        await pilot.press("comma")
        await wait_for(pilot, lambda: screen_name(app) == "SettingsScreen")
        app.screen.query_one("#memory").value = "99"
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert "multiple of 16" in str(app.screen.query_one("#memory_error").render())
        app.screen.query_one("#memory").value = "256"
        app.screen.query_one("#host_key").value = "f12"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerScreen")
    from tui.settings import Settings
    s = Settings.load()
    assert (s.host_key, s.default_memory_kib) == ("f12", 256)


async def test_a_crashed_vm_shows_its_reason(home):
    import os
    import signal
    manager.create_vm("crashy", demo=True)
    pid = manager.start_vm("crashy")
    app = XtboxApp()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(getattr(app.screen, "vms", [])) == 1
                       and app.screen.vms[0].state == "running")
        os.kill(pid, signal.SIGKILL)
        await wait_for(pilot, lambda: app.screen.vms[0].state == "crashed")
        assert "SIGKILL" in str(app.screen.query_one("#details").render())
        note = [n for n in app._notifications if n.title == "VM crashed"]
        assert len(note) == 1 and "crashy crashed" in note[0].message
        assert "SIGKILL" in note[0].message and note[0].severity == "error"


async def test_file_picker_fills_a_drive_field(home, tmp_path):
    from tui.screens.file_picker import ImageTree
    images = tmp_path / "images"
    images.mkdir()
    (images / "dos.img").write_bytes(bytes(368640))
    (images / "notes.txt").write_text("not an image")
    app = XtboxApp()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_form(pilot, app)
        form.query_one("#name").value = "picked"
        await pilot.press("ctrl+n")                         # the wizard's Disks page
        await wait_for(pilot, lambda: form.step == 1)
        await pilot.click("#browse_fda")
        await wait_for(pilot, lambda: screen_name(app) == "FilePickerScreen")
        picker = app.screen
        path_field = picker.query_one("#picker-path")
        path_field.value = str(images / "missing")
        await pilot.click("#picker-pick")
        await wait_for(pilot, lambda: "no such file or folder" in str(
            picker.query_one("#picker-error").render()))
        path_field.value = str(images)
        path_field.focus()
        await pilot.press("enter")                          # a folder: the tree shows it

        def listed() -> list[str]:
            return [str(n.label) for n in picker.query_one(ImageTree).root.children]
        try:
            await wait_for(pilot, lambda: listed() == ["dos.img"])
        except AssertionError:
            raise AssertionError(f"the picker lists {listed()} for "
                                 f"{picker.query_one(ImageTree).path}") from None
        tree = picker.query_one(ImageTree)
        tree.focus()
        tree.move_cursor(tree.root.children[0])
        await pilot.pause(0.1)
        await pilot.press("enter")                          # the image, chosen in the tree
        await wait_for(pilot, lambda: screen_name(app) == "VMFormScreen")
        assert form.query_one("#fda").value == str((images / "dos.img").resolve())
        form.query_one("#hdb").focus()
        await pilot.press("ctrl+o")                         # Browse for the focused field
        await wait_for(pilot, lambda: screen_name(app) == "FilePickerScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "VMFormScreen")
        assert form.query_one("#hdb").value == ""
        form.query_one("#name").value = "picked"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerScreen")
    assert manager.vm_info("picked").profile.drives["fda"] == str((images / "dos.img").resolve())


async def test_lifecycle_bindings_palette_and_live_state(home):
    manager.create_vm("a", demo=True)
    manager.create_vm("b", demo=True)
    app = XtboxApp()

    def state(name: str) -> str | None:
        return next((v.state for v in app.screen.vms if v.name == name), None)

    async with app.run_test(size=SIZE) as pilot:
        await wait_listed(pilot, app, 2)
        assert app.screen.selected_name() == "a"
        await pilot.press("s")                              # Start
        await wait_for(pilot, lambda: state("a") == "running")
        await pilot.press("p")                              # Pause ...
        await wait_for(pilot, lambda: state("a") == "paused")
        await pilot.press("p")                              # ... and resume
        await wait_for(pilot, lambda: state("a") == "running")
        manager.expect("a", "xtbox>")
        manager.type_text("a", "echo before saving\n")
        manager.expect("a", "before saving")
        await pilot.press("v")                              # Save state: suspended
        await wait_for(pilot, lambda: state("a") == "saved")
        await pilot.press("s")                              # Start resumes it
        await wait_for(pilot, lambda: state("a") == "running")
        assert "before saving" in "\n".join(manager.screen("a")["text"])
        manager.type_text("a", "echo before the reset\n")
        manager.expect("a", "before the reset")
        await pilot.press("r")                              # Reset: the guest starts over
        await wait_for(pilot, lambda: "before the reset" not in "\n".join(
            manager.screen("a")["text"]))
        assert not [n for n in app._notifications if n.severity == "error"]
        manager.start_vm("b")                               # from outside: shown live
        await wait_for(pilot, lambda: state("b") == "running")
        manager.stop_vm("b")
        await wait_for(pilot, lambda: state("b") == "poweroff")
        await pilot.press("ctrl+p")                         # the command palette
        await pilot.pause(0.2)
        await pilot.press(*"Settings")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "SettingsScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerScreen")
        await pilot.press("x", "y")                         # Stop, confirmed
        await wait_for(pilot, lambda: state("a") == "poweroff")
        await pilot.press("q")                              # Quit
        await pilot.pause(0.3)
        assert not app.is_running


async def test_console_menu_paste_and_screenshots(home, tmp_path, monkeypatch):
    from textual import events
    monkeypatch.chdir(tmp_path)
    manager.create_vm("con", demo=True)
    manager.start_vm("con")
    app = XtboxApp(console="con")

    async def menu(choice: str) -> None:
        from tui.screens.console_menu import CHOICES
        await pilot.press("ctrl+right_square_bracket")
        await wait_for(pilot, lambda: screen_name(app) == "ConsoleMenu")
        keys = [key for key, _text in CHOICES]
        await pilot.press(*["down"] * keys.index(choice), "enter")
        await wait_for(pilot, lambda: screen_name(app) != "ConsoleMenu")

    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "ConsoleScreen"
                       and len(app.screen.query(ConsoleView)) > 0)  # pushed, composed
        view = app.screen.query_one(ConsoleView)
        await wait_for(pilot, lambda: any("xtbox>" in ln for ln in view.text_lines()))
        view.post_message(events.Paste("echo pasted, all of it\n"))   # bracketed paste
        await wait_for(pilot, lambda: "pasted, all of it" in view.text_lines())
        await menu("pause")
        await wait_for(pilot, lambda: manager.vm_info("con").state == "paused")
        await menu("resume")
        await wait_for(pilot, lambda: manager.vm_info("con").state == "running")
        await menu("copy")
        assert "pasted, all of it" in app.clipboard
        await menu("text")
        await menu("svg")
        await wait_for(pilot, lambda: len(list(tmp_path.glob("con-*"))) == 2)
        text = next(tmp_path.glob("con-*.txt")).read_text()
        assert "pasted, all of it" in text
        assert next(tmp_path.glob("con-*.svg")).read_text().lstrip().startswith("<svg")
        await menu("cad")                                   # Ctrl+Alt+Del: the PC restarts
        await wait_for(pilot, lambda: "pasted, all of it" not in view.text_lines())
        await wait_for(pilot, lambda: any("xtbox>" in ln for ln in view.text_lines()))
        await menu("leave")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerScreen")
        assert manager.vm_info("con").state == "running"


async def test_disk_manager_creates_images_and_overlays(home, tmp_path):
    from disks import open_image
    manager.create_vm("d", demo=True)
    app = XtboxApp()

    async def answer(text: str) -> None:
        await wait_for(pilot, lambda: screen_name(app) == "PromptScreen")
        app.screen.query_one("#answer").value = text
        await pilot.press("enter")

    async with app.run_test(size=SIZE) as pilot:
        await wait_listed(pilot, app, 1)
        await pilot.press("d")
        await wait_for(pilot, lambda: screen_name(app) == "DisksScreen" and app.screen.disks)
        await pilot.press("n")                              # New: a path, then a size
        await answer(str(tmp_path / "bad.qcow2"))
        await answer("12 parsecs")
        await wait_for(pilot, lambda: any(n.severity == "error" and "12 parsecs" in n.message
                                          for n in app._notifications))
        assert not (tmp_path / "bad.qcow2").exists()
        await pilot.press("n")
        await answer(str(tmp_path / "new.qcow2"))
        await answer("2M")
        await wait_for(pilot, lambda: any("created" in n.message and "new.qcow2" in n.message
                                          for n in app._notifications))
        with open_image(tmp_path / "new.qcow2") as img:
            assert img.size == 2 * 1024 * 1024
        await pilot.press("o")                              # Overlay on the selected disk
        await answer(str(tmp_path / "top.qcow2"))
        await wait_for(pilot, lambda: any("created overlay" in n.message
                                          for n in app._notifications))
        with open_image(tmp_path / "top.qcow2", allow_outside_backing=True) as img:
            assert img.size == 1_474_560                    # the demo floppy's size


async def test_serial_ports_in_the_form(home):
    manager.create_vm("ser", demo=True)
    app = XtboxApp()
    async with app.run_test(size=SIZE) as pilot:
        await wait_listed(pilot, app, 1)
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "VMFormScreen")
        form = app.screen
        form.query_one("#com1_kind").value = "tcp-server"
        form.query_one("#com1_param").value = "99999"
        form.query_one("#com2_kind").value = "url"
        form.query_one("#com2_param").value = "gopher://old"
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert "'tcp-server:99999'" in str(form.query_one("#com1_error").render())
        assert "'gopher://old'" in str(form.query_one("#com2_error").render())
        assert manager.vm_info("ser").profile.serial == ["none", "none"]
        form.query_one("#com1_param").value = "127.0.0.1:4555"
        form.query_one("#com2_param").value = "/dev/ttyUSB0"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerScreen")
    assert manager.vm_info("ser").profile.serial == ["tcp-server:127.0.0.1:4555", "/dev/ttyUSB0"]


async def test_new_vm_wizard_pages(home):
    app = XtboxApp()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_form(pilot, app)
        step = form.query_one("#step")
        assert "Step 1 of 3" in str(step.render())
        await pilot.click("#next")                          # no name yet: the page stays
        await pilot.pause(0.1)
        assert form.step == 0 and "VM name" in str(form.query_one("#name_error").render())
        form.query_one("#name").value = "wiz"
        await pilot.click("#next")
        await wait_for(pilot, lambda: form.step == 1)
        assert "Step 2 of 3: Disks" in str(step.render())
        form.query_one("#new_hda").value = "lots"
        await pilot.click("#next")                          # a bad size keeps us here
        await pilot.pause(0.1)
        assert form.step == 1 and "lots" in str(form.query_one("#new_hda_error").render())
        form.query_one("#new_hda").value = "2M"
        await pilot.click("#next")
        await wait_for(pilot, lambda: form.step == 2)
        await pilot.click("#back")
        await wait_for(pilot, lambda: form.step == 1)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: form.step == 2)
        form.query_one("#com1_kind").value = "pty"
        await pilot.click("#save")                          # Create
        await wait_for(pilot, lambda: screen_name(app) == "ManagerScreen")
    vm = manager.vm_info("wiz")
    assert vm.disks["hda"].endswith(".qcow2") and vm.profile.serial == ["pty", "none"]


async def test_console_menu_changes_and_ejects_a_floppy(home, tmp_path):
    manager.create_vm("fl", demo=True)
    manager.start_vm("fl")
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(737_280))
    app = XtboxApp(console="fl")

    def in_b() -> str | None:
        return next(m["image"] for m in manager.status("fl")["media"] if m["drive"] == "b")

    async def open_floppy_b() -> None:
        from tui.screens.console_menu import CHOICES
        await pilot.press("ctrl+right_square_bracket")
        await wait_for(pilot, lambda: screen_name(app) == "ConsoleMenu")
        keys = [key for key, _text in CHOICES]
        await pilot.press(*["down"] * keys.index("floppy-b"), "enter")
        await wait_for(pilot, lambda: screen_name(app) == "FilePickerScreen")

    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "ConsoleScreen")
        await wait_for(pilot, lambda: app.screen.media.get("b", "?") is None)   # polled: empty
        await open_floppy_b()
        app.screen.query_one("#picker-path").value = str(disk)
        await pilot.click("#picker-pick")
        await wait_for(pilot, lambda: in_b() == str(disk))
        await wait_for(pilot, lambda: screen_name(app) == "ConsoleScreen"
                       and app.screen.media.get("b") == str(disk))
        await pilot.press("ctrl+right_square_bracket")
        await wait_for(pilot, lambda: screen_name(app) == "ConsoleMenu")
        menu = app.screen.query_one("#menu")
        labels = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
        assert "Change floppy B: (now disk.img)…" in labels
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "ConsoleScreen")
        await open_floppy_b()
        await pilot.click("#picker-empty")                 # Eject
        await wait_for(pilot, lambda: in_b() is None)
    assert "fdb" not in (manager.load("fl").folder / "vm.toml").read_text()   # live only


async def test_details_list_the_mouse_speaker_and_printer_ports(home, tmp_path):
    manager.create_vm("periph", demo=True, mouse="com1", speaker="bell",
                      lpt1=f"file:{tmp_path / 'print.txt'}")
    app = XtboxApp()
    async with app.run_test(size=SIZE) as pilot:
        await wait_listed(pilot, app, 1)
        await pilot.pause(0.2)
        text = str(app.screen.query_one("#details").render())
        assert "COM1: mouse" in text and "COM2: none" in text
        assert f"LPT1: file:{tmp_path / 'print.txt'}" in text and "LPT2" not in text
        assert "Speaker: bell" in text
