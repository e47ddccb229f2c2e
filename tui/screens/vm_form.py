"""The new-VM wizard and the settings editor: one form, every field validated inline.

Errors appear under the field they concern, in the words of the profile's own validation
(engine/vmm/profile.py), and nothing is written until every field is valid.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, TextArea

from disks import DiskError, parse_size
from engine.errors import ConfigError
from engine.peripherals import check_mouse_port_free, check_printer, check_speaker
from engine.vmm.profile import DRIVES, Profile, check_memory, check_name, check_serial_spec
from tui.control import manager

SERIAL_KINDS = [("not connected", "none"), ("pseudo-terminal (pty)", "pty"),
                ("log file", "file"), ("TCP server", "tcp-server"),
                ("host device or pyserial URL", "url")]
MOUSE_CHOICES = [("no mouse", "none"), ("Microsoft mouse on COM1", "com1"),
                 ("Microsoft mouse on COM2", "com2"),
                 ("Logitech 3-button mouse on COM1", "com1:logitech"),
                 ("Logitech 3-button mouse on COM2", "com2:logitech")]
SPEAKER_KINDS = [("silent", "none"), ("terminal bell for beeps", "bell"),
                 ("record to a WAV file", "wav"), ("host audio device", "host")]
PRINTER_KINDS = [("not connected", "none"), ("append to a file", "file"),
                 ("pseudo-terminal (pty)", "pty"), ("TCP server", "tcp-server")]
DRIVE_LABELS = {"fda": "Floppy A:", "fdb": "Floppy B:", "hda": "Hard disk C:",
                "hdb": "Hard disk D:"}


def split_spec(spec: str) -> tuple[str, str]:
    if spec in ("none", "pty", ""):
        return (spec or "none"), ""
    if spec.startswith("file:"):
        return "file", spec[5:]
    if spec.startswith("tcp-server:"):
        return "tcp-server", spec[11:]
    return "url", spec


def join_spec(kind: str, param: str) -> str:
    return {"none": "none", "pty": "pty", "file": f"file:{param}",
            "tcp-server": f"tcp-server:{param}", "url": param}[kind]


STEPS = [  # the new-VM wizard's pages: (container id, title, fields validated on Next)
    ("step-basics", "Name and hardware", ("name", "memory")),
    ("step-disks", "Disks", (*DRIVES, "new_hda", "overlay_hda")),
    ("step-more", "Ports, mouse, speaker and notes",
     ("com1", "com2", "mouse", "speaker", "lpt1", "lpt2")),
]
CHECKED = tuple(f for _container, _title, fields in STEPS for f in fields)  # have an error line


class VMFormScreen(Screen[str | None]):
    """One form in two uses: for a new VM a wizard of three pages (Next validates the page;
    Ctrl+S creates at once, from any page, with every field checked), for an existing VM the
    settings editor with everything on one page."""

    BINDINGS = [Binding("ctrl+s", "save", "Save"), Binding("ctrl+o", "browse", "Browse"),
                Binding("ctrl+n", "next", "Next page"), Binding("ctrl+b", "back", "Back"),
                Binding("escape", "cancel", "Cancel")]
    PICKABLE = (*DRIVES, "overlay_hda")

    def __init__(self, profile: Profile | None) -> None:
        super().__init__()
        self.profile = profile
        self.step = 0

    def on_mount(self) -> None:
        if self.profile is None:
            self.show_step(0)

    # ---- the wizard's pages ----------------------------------------------------------------
    def show_step(self, step: int) -> None:
        self.step = step
        for i, (container, _title, _fields) in enumerate(STEPS):
            self.query_one(f"#{container}").display = i == step
        title = STEPS[step][1]
        self.query_one("#step", Label).update(f"Step {step + 1} of {len(STEPS)}: {title}")
        self.query_one("#back", Button).disabled = step == 0
        self.query_one("#next", Button).display = step < len(STEPS) - 1
        self.query_one("#save", Button).variant = "primary" if step == len(STEPS) - 1 \
            else "default"
        first = self.query_one(f"#{STEPS[step][0]}").query("Input, Select").first()
        first.focus()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("next", "back") and self.profile is not None:
            return False                       # the settings editor has no pages
        return True

    def action_next(self) -> None:
        if self.profile is not None or self.step >= len(STEPS) - 1:
            return
        errors = self.check()[1]
        if any(f in errors for f in STEPS[self.step][2]):
            self.notify("Fix the fields marked on this page first", severity="warning")
            return
        self.show_step(self.step + 1)

    def action_back(self) -> None:
        if self.profile is None and self.step > 0:
            self.show_step(self.step - 1)

    @on(Button.Pressed, "#next")
    def next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#back")
    def back_pressed(self) -> None:
        self.action_back()

    def compose(self) -> ComposeResult:
        p = self.profile
        settings = getattr(self.app, "settings", None)
        memory = p.memory_kib if p else (settings.default_memory_kib if settings else 640)
        display = p.display if p else (settings.default_display if settings else "cga")
        title = f"Settings of {p.name}" if p else "New VM"
        wizard = p is None
        with VerticalScroll(id="form"):
            yield Label(title, classes="title")
            if wizard:
                yield Label("", id="step")
            with Vertical(id="step-basics", classes="step"):
                yield from self.field("name", "Name", Input(p.name if p else "", id="name",
                                                             placeholder="e.g. dos622"))
                yield from self.field("memory", "Memory (KiB)", Input(str(memory), id="memory"))
                yield from self.field("display", "Display", Select(
                    [("CGA (colour)", "cga"), ("MDA (monochrome)", "mda")], value=display,
                    allow_blank=False, id="display"))
                yield from self.field("boot", "Boot order", Select(
                    [("A: then C:", "ac"), ("C: then A:", "ca"), ("A: only", "a"),
                     ("C: only", "c")], value=p.boot if p else "ac", allow_blank=False,
                    id="boot"))
                yield from self.field("speed", "Speed", Select(
                    [("as fast as possible", "max"), ("a 4.77 MHz XT", "xt")],
                    value=p.speed if p else "max", allow_blank=False, id="speed"))
            with Vertical(id="step-disks", classes="step"):
                for d in DRIVES:
                    value = (p.drives.get(d) or "") if p else ""
                    yield from self.field(d, f"{DRIVE_LABELS[d]} image", Input(
                        value, id=d, placeholder="path to a raw or qcow2 image (empty: none)"),
                        browse=True)
                yield from self.field("new_hda", "New disk for C:", Input(
                    "", id="new_hda",
                    placeholder="size: 10M, 2G... (a new qcow2 disk)"),
                    extra=Checkbox("formatted for DOS", True, id="new_hda_fat",
                                   tooltip="an MBR and a FAT partition: DOS can use it at "
                                   "once, with no FDISK or FORMAT"))
                yield from self.field("overlay_hda", "Overlay for C: on", Input(
                    "", id="overlay_hda", placeholder="base image (a qcow2 overlay is created)"),
                    browse=True)
            with Vertical(id="step-more", classes="step"):
                for i, port in enumerate(("com1", "com2")):
                    kind, param = split_spec(p.serial[i] if p else "none")
                    with Horizontal(classes="serial"):
                        yield Label(port.upper(), classes="label")
                        yield Select(SERIAL_KINDS, value=kind, allow_blank=False,
                                     id=f"{port}_kind")
                        yield Input(param, id=f"{port}_param",
                                    placeholder="path / HOST:PORT / URL or device")
                    yield Label("", id=f"{port}_error", classes="error")
                yield from self.field("mouse", "Mouse", Select(
                    MOUSE_CHOICES, value=p.mouse if p else "none", allow_blank=False,
                    id="mouse"))
                speaker = p.speaker if p else "none"
                kind, param = ("wav", speaker[4:]) if speaker.startswith("wav:") else (speaker, "")
                with Horizontal(classes="serial"):
                    yield Label("Speaker", classes="label")
                    yield Select(SPEAKER_KINDS, value=kind, allow_blank=False, id="speaker_kind")
                    yield Input(param, id="speaker_param", placeholder="WAV file path")
                yield Label("", id="speaker_error", classes="error")
                for i, port in enumerate(("lpt1", "lpt2")):
                    kind, param = split_spec(p.lpt[i] if p else "none")
                    with Horizontal(classes="serial"):
                        yield Label(port.upper(), classes="label")
                        yield Select(PRINTER_KINDS, value=kind, allow_blank=False,
                                     id=f"{port}_kind")
                        yield Input(param, id=f"{port}_param", placeholder="path / HOST:PORT")
                    yield Label("", id=f"{port}_error", classes="error")
                yield Label("Notes", classes="label")
                yield TextArea(p.notes if p else "", id="notes")
        with Horizontal(classes="buttons", id="form-buttons"):   # always in view
            if wizard:
                yield Button("< Back", id="back")
                yield Button("Next >", variant="primary", id="next")
                yield Button("Create", id="save")
            else:
                yield Button("Save", variant="primary", id="save")
            yield Button("Cancel", id="cancel")
        yield Footer()

    def field(self, key: str, label: str, widget, browse: bool = False,
              extra=None) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label(label, classes="label")
            yield widget
            if browse:
                yield Button("Browse…", id=f"browse_{key}", classes="browse")
            if extra is not None:
                yield extra
        yield Label("", id=f"{key}_error", classes="error")

    # ---- the file picker -------------------------------------------------------------------
    def browse(self, key: str) -> None:
        from tui.screens.file_picker import FilePickerScreen
        field = self.query_one(f"#{key}", Input)
        start = field.value.strip() or None
        if start and self.profile is not None and not Path(start).is_absolute():
            start = str(self.profile.folder / start)
        label = DRIVE_LABELS.get(key, "the base image of C:")

        def picked(path: str | None) -> None:
            if path:
                field.value = path
                self.check()           # the picked file's own error line clears
        self.app.push_screen(FilePickerScreen(f"Image for {label}", start), picked)

    @on(Button.Pressed, ".browse")
    def browse_pressed(self, event: Button.Pressed) -> None:
        self.browse(event.button.id.removeprefix("browse_"))

    def action_browse(self) -> None:
        focused = self.focused
        key = focused.id if focused is not None else None
        if key not in self.PICKABLE:
            self.notify("Browse works on an image field (A:, B:, C:, D: or the overlay base)",
                        severity="warning")
            return
        self.browse(key)

    # ---- validation ------------------------------------------------------------------------
    def value(self, key: str) -> str:
        return self.query_one(f"#{key}", Input).value.strip()

    def validate(self) -> dict | None:
        """The profile's values, or None after showing what is wrong."""
        out, errors = self.check()
        if errors and self.profile is None:
            # the wizard: show the first page that needs fixing
            first = next(i for i, (_c, _t, fields) in enumerate(STEPS)
                         if any(f in errors for f in fields))
            self.show_step(first)
        return None if errors else out

    def check(self) -> tuple[dict, dict[str, str]]:
        """Validate every field and show the errors under them: (values, errors by field)."""
        errors: dict[str, str] = {}
        out: dict = {}
        name = self.value("name")
        try:
            out["name"] = check_name(name)
        except ConfigError as exc:
            errors["name"] = str(exc)
        try:
            out["memory_kib"] = check_memory(int(self.value("memory")))
        except (ValueError, ConfigError):
            errors["memory"] = "expected KiB, a multiple of 16 from 64 to 640"
        for key in ("display", "boot", "speed"):
            out[key] = self.query_one(f"#{key}", Select).value
        for d in DRIVES:
            path = self.value(d)
            out[d] = path or None
            if path and not self._exists(path):
                errors[d] = f"{path}: no such image file"
        size = self.value("new_hda")
        if size:
            try:
                out["new_hda"] = parse_size(size)
            except (DiskError, ValueError) as exc:
                errors["new_hda"] = str(exc)
        base = self.value("overlay_hda")
        if base:
            out["overlay_hda"] = base
            if not self._exists(base):
                errors["overlay_hda"] = f"{base}: no such image file"
        if (size or base) and out.get("hda"):
            errors["hda"] = "leave C: empty to create a new disk or an overlay for it"
        if size and base:
            errors["new_hda"] = "choose a new disk or an overlay, not both"
        serial = []
        for port in ("com1", "com2"):
            kind = self.query_one(f"#{port}_kind", Select).value
            spec = join_spec(kind, self.value(f"{port}_param"))
            try:
                if kind in ("file", "tcp-server", "url") and not self.value(f"{port}_param"):
                    raise ConfigError("this kind needs a path, HOST:PORT, URL or device")
                check_serial_spec(spec)
            except ConfigError as exc:
                errors[port] = str(exc)
            serial.append(spec)
        out["serial"] = serial
        self._check_peripherals(out, errors)
        out["notes"] = self.query_one("#notes", TextArea).text
        for key in CHECKED:
            self.query_one(f"#{key}_error", Label).update(errors.get(key, ""))
        return out, errors

    def _check_peripherals(self, out: dict, errors: dict[str, str]) -> None:
        """Mouse, speaker, LPT1/LPT2, in the words of the profile's checks."""
        out["mouse"] = self.query_one("#mouse", Select).value
        try:
            check_mouse_port_free(out["mouse"], out["serial"])
        except ConfigError as exc:
            errors["mouse"] = str(exc)
        kind, param = self.query_one("#speaker_kind", Select).value, self.value("speaker_param")
        out["speaker"] = f"wav:{param}" if kind == "wav" else kind
        try:
            if kind == "wav" and not param:
                raise ConfigError("a WAV file needs its path")
            check_speaker(out["speaker"])
        except ConfigError as exc:
            errors["speaker"] = str(exc)
        for port in ("lpt1", "lpt2"):
            kind, param = self.query_one(f"#{port}_kind", Select).value, self.value(f"{port}_param")
            out[port] = join_spec(kind, param)
            try:
                if kind in ("file", "tcp-server") and not param:
                    raise ConfigError("this kind needs a path or HOST:PORT")
                check_printer(out[port])
            except ConfigError as exc:
                errors[port] = str(exc)

    def _exists(self, path: str) -> bool:
        p = Path(path).expanduser()
        if not p.is_absolute() and self.profile is not None:
            p = self.profile.folder / p
        return p.is_file()

    # ---- saving ----------------------------------------------------------------------------
    def action_save(self) -> None:
        values = self.validate()
        if values is None:
            self.notify("Some fields need fixing", severity="warning")
            return
        new_hda, base = values.pop("new_hda", None), values.pop("overlay_hda", None)
        fat = self.query_one("#new_hda_fat", Checkbox).value
        name = values.pop("name")
        try:
            if self.profile is None:
                manager.create_vm(name, **values)
            else:
                drives = {d: values.pop(d) for d in DRIVES}
                for d, path in drives.items():
                    if path != (self.profile.drives.get(d) or None):
                        values[d] = path
                manager.modify_vm(self.profile.name, new_name=name, **values)
            if new_hda or base:
                manager.create_disk(name, "hda", size=new_hda, backing=base,
                                    fat=fat and not base)
        except ConfigError as exc:
            self.query_one("#name_error", Label).update(str(exc))
            self.notify(str(exc), severity="error", timeout=8)
            return
        self.notify(f"Saved {name}")
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        self.action_cancel()
