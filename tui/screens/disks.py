"""The disk manager: every image xtbox knows of (VM drives, their backing chains, shared
bases), with format, sizes, chain and users; create, overlay, check and convert, long work in
a worker with a progress bar."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, ProgressBar

from disks import DiskError, create_image, format_size, parse_size
from engine.errors import ConfigError
from tui.control import manager


def _users(d: dict) -> str:
    """The VMs using a disk; one a running VM holds for writing is marked "in use" (what the
    screen shows of it is read without its lock)."""
    users = ", ".join(d["used_by"]) or "-"
    return f"{users} (in use)" if d.get("in_use") else users


class DisksScreen(Screen):
    BINDINGS = [Binding("n", "new", "New disk"), Binding("o", "overlay", "Overlay"),
                Binding("k", "check", "Check"), Binding("v", "convert", "Convert"),
                Binding("escape", "back", "Back")]

    def __init__(self) -> None:
        super().__init__()
        self.disks: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Label("Virtual disks", classes="title")
        yield DataTable(id="disks", cursor_type="row")
        yield Label("", id="detail")
        yield ProgressBar(id="progress", show_eta=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Image", "Format", "Size", "On disk", "Backing",
                                              "Used by")
        self.query_one(ProgressBar).display = False
        self.reload()

    @work(thread=True, exclusive=True)
    def reload(self) -> None:
        try:
            disks = manager.list_disks()
        except ConfigError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.show, disks)

    def show(self, disks: list[dict]) -> None:
        self.disks = disks
        table = self.query_one(DataTable)
        table.clear()
        for d in disks:
            table.add_row(Path(d["path"]).name, d["format"] or "?",
                          format_size(d["virtual_size"]) if d["virtual_size"] else "-",
                          format_size(d["file_size"]) if d["file_size"] is not None else "-",
                          " -> ".join(Path(b).name for b in d["backing"]) or "-",
                          _users(d))
        if not disks:
            self.query_one("#detail", Label).update("No disks yet: press n to create one.")

    def selected(self) -> dict | None:
        table = self.query_one(DataTable)
        if not self.disks or table.cursor_row >= len(self.disks):
            self.notify("No disk selected", severity="warning")
            return None
        return self.disks[table.cursor_row]

    def _ask(self, question: str, value: str, then) -> None:
        from tui.screens.prompt import PromptScreen
        self.app.push_screen(PromptScreen(question, value), lambda v: v and then(v))

    def action_new(self) -> None:
        def with_path(path: str) -> None:
            self._ask("Size (360K, 1.44M, 10M, 2G):", "10M",
                      lambda size: self.run_job("Create", self._create, path, size))
        self._ask("Path of the new qcow2 image:", str(Path.cwd() / "disk.qcow2"), with_path)

    def _create(self, path: str, size: str, progress) -> str:
        create_image(path, parse_size(size))
        return f"created {path}"

    def action_overlay(self) -> None:
        d = self.selected()
        if d is None:
            return
        base = Path(d["path"])
        self._ask(f"Path of the new overlay on {base.name}:",
                  str(base.with_name(base.stem + "-overlay.qcow2")),
                  lambda path: self.run_job("Overlay", self._overlay, path, str(base)))

    def _overlay(self, path: str, base: str, progress) -> str:
        create_image(path, backing=base, allow_outside_backing=True)
        return f"created overlay {path}"

    def action_check(self) -> None:
        if (d := self.selected()) is not None:
            self.run_job("Check", self._check, d["path"])

    def _check(self, path: str, progress) -> str:
        from disks.ops import check_image
        r = check_image(path)
        if r.clean:
            return f"{Path(path).name}: no errors, no leaks"
        return (f"{Path(path).name}: {len(r.corruptions)} error(s), {len(r.leaks)} leaked "
                f"cluster(s); repair with `xtbox disk check --repair {path}`")

    def action_convert(self) -> None:
        d = self.selected()
        if d is None:
            return
        src = Path(d["path"])
        target = "raw" if d["format"] == "qcow2" else "qcow2"
        self._ask(f"Convert {src.name} to {target} at:",
                  str(src.with_name(f"{src.stem}-copy.{'img' if target == 'raw' else 'qcow2'}")),
                  lambda dst: self.run_job("Convert", self._convert, str(src), dst, target))

    def _convert(self, src: str, dst: str, fmt: str, progress) -> str:
        from disks.ops import convert
        convert(src, dst, fmt=fmt, progress=progress, allow_outside_backing=True)
        return f"converted to {dst}"

    @work(thread=True, exclusive=True, group="job")
    def run_job(self, label: str, func, *args) -> None:
        bar = self.query_one(ProgressBar)

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(bar.update, total=total, progress=done)

        self.app.call_from_thread(setattr, bar, "display", True)
        try:
            message = func(*args, progress)
            self.app.call_from_thread(self.notify, message, title=label)
        except (DiskError, ConfigError, OSError) as exc:
            self.app.call_from_thread(self.notify, str(exc), title=label, severity="error",
                                      timeout=8)
        finally:
            self.app.call_from_thread(setattr, bar, "display", False)
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)
