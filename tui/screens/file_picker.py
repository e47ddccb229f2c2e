"""Pick an image file: a directory tree showing folders and disk images, and a path field.

Typing a path and pressing Enter picks a file, or moves the tree to a folder; choosing a file
in the tree picks it. "All files" shows files of any name (images are often named freely).
With ``empty_label`` (a diskette drive's "Eject") a button answers EMPTY: no file at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DirectoryTree, Input, Label

from tui.paths import shown

EMPTY = ""         # the answer of the empty_label button: the drive is to hold nothing
IMAGE_SUFFIXES = {".img", ".ima", ".qcow2", ".qcow", ".raw", ".vfd", ".flp", ".dsk", ".hdd",
                  ".bin"}


class ImageTree(DirectoryTree):
    """Folders, and the files that look like disk images (or every file)."""

    show_all = False

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        out = []
        for path in paths:
            if path.name.startswith("."):
                continue
            try:
                if path.is_dir() or self.show_all or path.suffix.lower() in IMAGE_SUFFIXES:
                    out.append(path)
            except OSError:
                continue
        return out


class FilePickerScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, start: str | Path | None = None, *,
                 empty_label: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.empty_label = empty_label
        start_path = Path(start).expanduser() if start else Path.cwd()
        if start_path.is_file():
            start_path = start_path.parent
        self.start = start_path if start_path.is_dir() else Path.home()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label(self.title_text, classes="question")
            yield Input(shown(self.start), id="picker-path",
                        placeholder="a file to pick, or a folder to show")
            yield Label("", id="picker-error", classes="error")
            yield ImageTree(self.start, id="picker-tree")
            with Horizontal(classes="buttons"):
                yield Checkbox("All files", id="picker-all")
                yield Button("Pick", variant="primary", id="picker-pick")
                if self.empty_label:
                    yield Button(self.empty_label, id="picker-empty")
                yield Button("Cancel", id="picker-cancel")

    def on_mount(self) -> None:
        self.query_one(ImageTree).focus()

    @on(Input.Submitted, "#picker-path")
    @on(Button.Pressed, "#picker-pick")
    async def pick_typed(self) -> None:
        text = self.query_one("#picker-path", Input).value.strip()
        path = Path(text).expanduser()
        if path.is_file():
            self.dismiss(str(path.resolve()))
        elif path.is_dir():
            # A new tree rather than a new root: a load of the old folder still under way
            # cannot then add its entries to the new one.
            old = self.query_one(ImageTree)
            tree = ImageTree(path, id="picker-tree")
            tree.show_all = old.show_all
            await old.remove()
            await self.mount(tree, after=self.query_one("#picker-error"))
            self.query_one("#picker-error", Label).update("")
        else:
            self.query_one("#picker-error", Label).update(
                f"{text or '(empty)'}: no such file or folder")

    @on(DirectoryTree.FileSelected)
    def pick_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(str(Path(event.path).resolve()))

    @on(DirectoryTree.DirectorySelected)
    def show_folder(self, event: DirectoryTree.DirectorySelected) -> None:
        self.query_one("#picker-path", Input).value = shown(event.path)

    @on(Checkbox.Changed, "#picker-all")
    def toggle_all(self, event: Checkbox.Changed) -> None:
        tree = self.query_one(ImageTree)
        tree.show_all = event.value
        tree.reload()

    @on(Button.Pressed, "#picker-empty")
    def pick_empty(self) -> None:
        self.dismiss(EMPTY)

    @on(Button.Pressed, "#picker-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
