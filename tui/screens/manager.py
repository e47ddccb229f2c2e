"""The main screen: the VM list, the selected VM's details, and every action on a binding.

The list is refreshed from a thread worker every second (VM processes are asked over their
sockets, which must never block the UI), so VMs started or stopped from the CLI show up live.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from engine.errors import ConfigError
from engine.peripherals import mouse_port
from tui.control import manager

WELCOME = ("No VMs yet.\n\nPress [b]Enter[/b] to create the built-in demo VM and boot it, "
           "or [b]n[/b] to create your own.")


class ManagerScreen(Screen):
    BINDINGS = [
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("c", "clone", "Clone"),
        Binding("delete", "delete", "Delete"),
        Binding("s", "start", "Start"),
        Binding("x", "stop", "Stop"),
        Binding("p", "pause", "Pause/Resume"),
        Binding("v", "save_state", "Save state"),
        Binding("r", "reset", "Reset"),
        Binding("enter", "console", "Console", priority=True),
        Binding("S", "snapshots", "Snapshots"),
        Binding("d", "disks", "Disks"),
        Binding("comma", "settings", "Settings"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.vms: list[manager.VMInfo] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="list-pane"):
                yield DataTable(id="vms", cursor_type="row", zebra_stripes=True)
                yield Static(WELCOME, id="welcome")
            yield Static("", id="details")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#vms", DataTable)
        table.add_columns("Name", "State", "Memory", "Disks", "Snapshots")
        self.refresh_vms()
        self.set_interval(1.0, self.refresh_vms)

    # ---- the list --------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="list")
    def refresh_vms(self) -> None:
        try:
            vms = manager.list_vms()
        except ConfigError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.show_vms, vms)

    def show_vms(self, vms: list[manager.VMInfo]) -> None:
        table = self.query_one("#vms", DataTable)
        selected = self.selected_name()
        before = {v.name: v.state for v in self.vms}
        for v in vms:
            if v.state == "crashed" and before.get(v.name, "crashed") != "crashed":
                self.notify(f"{v.name} crashed: {v.reason or 'no reason recorded'}",
                            title="VM crashed", severity="error", timeout=15)
        self.vms = vms
        table.clear()
        for v in vms:
            disks = " ".join({"fda": "A:", "fdb": "B:", "hda": "C:", "hdb": "D:"}[d]
                             for d in v.disks) or "-"
            table.add_row(v.name, v.state, f"{v.memory_kib} KiB" if v.memory_kib else "-",
                          disks, str(v.snapshots), key=v.name)
        names = [v.name for v in vms]
        if selected in names:
            table.move_cursor(row=names.index(selected))
        self.query_one("#welcome").display = not vms
        table.display = bool(vms)
        self.show_details()

    def selected(self) -> manager.VMInfo | None:
        table = self.query_one("#vms", DataTable)
        if not self.vms or table.cursor_row is None or table.cursor_row >= len(self.vms):
            return None
        return self.vms[table.cursor_row]

    def selected_name(self) -> str | None:
        v = self.selected()
        return v.name if v else None

    @on(DataTable.RowHighlighted)
    def show_details(self) -> None:
        v = self.selected()
        details = self.query_one("#details", Static)
        if v is None:
            details.update("")
            return
        p = v.profile
        lines = [f"[b]{v.name}[/b]", f"State: {v.state}"]
        if v.reason:
            lines.append(f"Reason: {v.reason}")
        if p is not None:
            lines += [f"Memory: {p.memory_kib} KiB", f"Display: {p.display.upper()}",
                      f"Boot order: {' then '.join(c.upper() + ':' for c in p.boot)}",
                      f"Speed: {p.speed}"]
            for d, path in p.disk_paths().items():
                letter = {"fda": "A:", "fdb": "B:", "hda": "C:", "hdb": "D:"}[d]
                lines.append(f"{letter} {path.name}")
            for d, folder in p.folder_drives().items():
                lines.append(f"{'C:' if d == 'hda' else 'D:'} folder {folder}")
            for port, spec in zip(("COM1", "COM2"), p.serial, strict=True):
                lines.append(f"{port}: {'mouse' if mouse_port(p.mouse) == port.lower() else spec}")
            for port, spec in zip(("LPT1", "LPT2"), p.lpt, strict=True):
                if spec != "none":
                    lines.append(f"{port}: {spec}")
            if p.speaker != "none":
                lines.append(f"Speaker: {p.speaker}")
            lines.append(f"Snapshots: {v.snapshots}")
            if p.notes:
                lines += ["", p.notes]
        details.update("\n".join(lines))

    # ---- actions ---------------------------------------------------------------------------
    def _need(self) -> manager.VMInfo | None:
        v = self.selected()
        if v is None:
            self.notify("No VM selected", severity="warning")
        return v

    @work(thread=True, group="action")
    def run_action(self, label: str, func, *args, then=None, **kwargs) -> None:
        try:
            result = func(*args, **kwargs)
        except ConfigError as exc:
            self.app.call_from_thread(self.notify, str(exc), title=label, severity="error",
                                      timeout=8)
            return
        self.app.call_from_thread(self.refresh_vms)
        if then is not None:
            self.app.call_from_thread(then, result)

    def action_console(self) -> None:
        if not self.vms:
            self.create_demo()
            return
        v = self._need()
        if v is None:
            return
        if v.running:
            self.app.open_console(v.name)
        else:
            self.run_action("Start", manager.start_vm, v.name,
                            then=lambda _pid: self.app.open_console(v.name))

    def create_demo(self) -> None:
        def create_and_start() -> str:
            name = "demo"
            n = 1
            existing = {v.name for v in manager.list_vms()}
            while name in existing:
                n += 1
                name = f"demo-{n}"
            manager.create_vm(name, demo=True)
            manager.start_vm(name)
            return name
        self.run_action("Demo VM", create_and_start, then=self.app.open_console)

    def action_new(self) -> None:
        from tui.screens.vm_form import VMFormScreen
        self.app.push_screen(VMFormScreen(None), lambda _r: self.refresh_vms())

    def action_edit(self) -> None:
        from tui.screens.vm_form import VMFormScreen
        v = self._need()
        if v is None or v.profile is None:
            return
        self.app.push_screen(VMFormScreen(v.profile), lambda _r: self.refresh_vms())

    def action_clone(self) -> None:
        from tui.screens.prompt import PromptScreen
        v = self._need()
        if v is None:
            return

        def done(new: str | None) -> None:
            if new:
                self.run_action("Clone", manager.clone_vm, v.name, new)
        self.app.push_screen(PromptScreen(f"Name of the copy of {v.name}:", f"{v.name}-copy"),
                             done)

    def action_delete(self) -> None:
        from tui.screens.confirm import ConfirmScreen
        v = self._need()
        if v is None:
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.run_action("Delete", manager.delete_vm, v.name)
        self.app.push_screen(ConfirmScreen(f"Delete VM {v.name} and its disks?", "Delete"),
                             done)

    def action_start(self) -> None:
        if (v := self._need()) is not None:
            self.run_action("Start", manager.start_vm, v.name)

    def action_stop(self) -> None:
        from tui.screens.confirm import ConfirmScreen
        v = self._need()
        if v is None:
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.run_action("Stop", manager.stop_vm, v.name)
        self.app.push_screen(ConfirmScreen(f"Power off {v.name}?", "Power off"), done)

    def action_pause(self) -> None:
        if (v := self._need()) is not None:
            func = manager.resume_vm if v.state == "paused" else manager.pause_vm
            self.run_action("Pause/Resume", func, v.name)

    def action_save_state(self) -> None:
        """Suspend the VM: its whole state to disk; Start resumes it."""
        if (v := self._need()) is not None:
            self.run_action("Save state", manager.save_vm, v.name)

    def action_discard_state(self) -> None:
        from tui.screens.confirm import ConfirmScreen
        v = self._need()
        if v is None:
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.run_action("Discard saved state", manager.discard_state, v.name)
        self.app.push_screen(ConfirmScreen(f"Discard the saved state of {v.name}? It then "
                                           "boots afresh.", "Discard"), done)

    def action_reset(self) -> None:
        if (v := self._need()) is not None:
            self.run_action("Reset", manager.reset_vm, v.name)

    def action_snapshots(self) -> None:
        from tui.screens.snapshots import SnapshotsScreen
        if (v := self._need()) is not None:
            self.app.push_screen(SnapshotsScreen(v.name), lambda _r: self.refresh_vms())

    def action_disks(self) -> None:
        from tui.screens.disks import DisksScreen
        self.app.push_screen(DisksScreen())

    def action_settings(self) -> None:
        from tui.screens.settings import SettingsScreen
        self.app.push_screen(SettingsScreen())

    def run_action_named(self, action: str) -> None:
        """For the command palette: the same actions the bindings run."""
        getattr(self, f"action_{action}")()
