"""A VM's snapshots: list (each marked with the machine state it holds, or "disks only"),
take, restore, delete — each confirmed, restore refused (with the reason) while the VM runs."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from engine.errors import ConfigError
from tui.control import manager


class SnapshotsScreen(Screen):
    BINDINGS = [Binding("t", "take", "Take"), Binding("r", "restore", "Restore"),
                Binding("delete", "delete", "Delete"), Binding("escape", "back", "Back")]

    def __init__(self, vm: str) -> None:
        super().__init__()
        self.vm = vm
        self.snaps: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Label(f"Snapshots of {self.vm}", classes="title")
        yield DataTable(id="snaps", cursor_type="row")
        yield Label("", id="message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Name", "Taken", "Holds")
        self.reload()

    @work(thread=True, exclusive=True)
    def reload(self) -> None:
        try:
            snaps = manager.list_snapshots(self.vm)
            message = "" if snaps else "No snapshots yet: press t to take one."
        except ConfigError as exc:
            snaps, message = [], str(exc)
        self.app.call_from_thread(self.show, snaps, message)

    def show(self, snaps: list[dict], message: str) -> None:
        self.snaps = snaps
        table = self.query_one(DataTable)
        table.clear()
        for s in snaps:
            table.add_row(s["name"], s["time"], manager.state_label(s), key=s["name"])
        self.query_one("#message", Label).update(message)

    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.snaps or table.cursor_row >= len(self.snaps):
            self.notify("No snapshot selected", severity="warning")
            return None
        return self.snaps[table.cursor_row]["name"]

    @work(thread=True)
    def run(self, label: str, func, *args) -> None:
        try:
            out = func(self.vm, *args)
            done = f"{label}: done"
            if isinstance(out, dict) and out.get("state_bytes"):
                done += f", with the {manager.state_label(out)}"
            elif func is manager.restore_snapshot and manager.vm_info(self.vm).state == "saved":
                done += ": Start resumes it at that moment"
            self.app.call_from_thread(self.notify, done)
        except ConfigError as exc:
            self.app.call_from_thread(self.notify, str(exc), title=label, severity="error",
                                      timeout=8)
        self.reload()

    def action_take(self) -> None:
        import time

        from tui.screens.prompt import PromptScreen
        existing = {s["name"] for s in self.snaps}

        def check(name: str) -> str | None:
            return f"a snapshot named {name!r} exists" if name in existing else None

        def done(name: str | None) -> None:
            if name:
                self.run("Take snapshot", manager.take_snapshot, name)
        self.app.push_screen(PromptScreen("Name of the new snapshot:",
                                          time.strftime("snap-%Y%m%d-%H%M%S"), check), done)

    def _confirmed(self, question: str, yes: str, label: str, func) -> None:
        from tui.screens.confirm import ConfirmScreen
        name = self.selected()
        if name is None:
            return
        self.app.push_screen(ConfirmScreen(question.format(name=name, vm=self.vm), yes),
                             lambda ok: ok and self.run(label, func, name))

    def action_restore(self) -> None:
        info = manager.vm_info(self.vm)
        if info.running:
            self.notify(f"{self.vm} is {info.state}: restoring needs it powered off (its disks "
                        "would change under the running guest)", severity="error", timeout=8)
            return
        self._confirmed("Restore {vm} to snapshot {name}? Changes since are lost.", "Restore",
                        "Restore snapshot", manager.restore_snapshot)

    def action_delete(self) -> None:
        self._confirmed("Delete snapshot {name} of {vm}?", "Delete", "Delete snapshot",
                        manager.delete_snapshot)

    def action_back(self) -> None:
        self.dismiss(None)
