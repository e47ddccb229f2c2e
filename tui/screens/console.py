"""The console: the guest's screen, the keyboard routed to the guest, a status line.

The console fits the terminal: a framed screen over a status line where there is room (82x28
for 80x25), and where there is not, the frame and then the status line give way, and with
fewer lines than the guest has rows the view follows the cursor (``fit``). Every guest column
stays visible from 80 columns on. The status line can be forced on or off from the menu.

Every key goes to the guest except the host key (Ctrl+] by default, configurable in
Settings), which opens the console menu: back to the manager (the VM keeps running), keys the
terminal cannot deliver (Ctrl+Alt+Del, Ctrl+Break, Pause, PrtSc, SysRq, any combination),
pause, reset, copy, screenshot, release or capture the mouse. Alt+key from terminals that send Alt as an ESC prefix is read
as Alt while the console is shown (tui/alt_prefix.py). Screen updates come
from a thread worker subscribed to the VM's control socket; the VM sends at most 30 a second,
each holding only the rows that changed, so a guest scrolling flat out cannot flood the UI.

On a VM with a serial mouse the terminal's mouse is the guest's while captured (tui/mouse.py:
the pointer's cell over the view, as counts such that a sweep across the view crosses the
guest's screen; left, right and middle buttons). On a VM whose speaker is ``bell`` each beep
the VM reports rings the terminal's bell while this console is the screen shown.
"""

from __future__ import annotations

import queue
import time

from textual import events, on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from engine.errors import ConfigError
from tui import alt_prefix, kitty
from tui.control import manager
from tui.keys import KeyRouter
from tui.mouse import BUTTON_BITS, MouseMapper, MouseQueue
from tui.widgets.console_view import ConsoleView
from tui.widgets.graphics_view import SCALES, GraphicsView


def status_line(vm: str, st: dict, mouse_port: str | None, captured: bool, host_key: str,
                width: int) -> str:
    """The console's status line, fitted to ``width``: state and speed first, the menu key
    always; COM ports that have something on them (the mouse's as ``COM1 mouse``), the
    speaker (``spk bell``) and printer ports; when it does not fit, disk activity and then
    the idle share give way, and then the ports' end (cut with an ellipsis)."""
    ports = []
    for p in st.get("serial", []):
        if p.get("port") == mouse_port:
            ports.append(f"{mouse_port.upper()} mouse" + ("" if captured else " released"))
        elif p.get("spec", "none") != "none":
            ports.append(f"{p.get('port', '').upper()} {'on' if p.get('connected') else 'off'}")
    speaker = st.get("speaker") or {}
    if speaker.get("spec", "none") != "none":
        ports.append(f"spk {speaker['spec'].split(':', 1)[0]}"
                     + ("" if speaker.get("available", True) else " off"))
    for lpt in st.get("printers", []):
        if lpt.get("spec", "none") != "none":
            ports.append(f"{lpt['port'].upper()} {'on' if lpt.get('connected') else 'off'}")
    idle = st.get("idle", {}).get("share")
    optional = {"idle": f"idle {idle:.0%}" if idle is not None else "",
                "disk": f"disk r/w {st['disk_reads']}/{st['disk_writes']}"}
    head = f" {vm}: {st['state']}  {st['mips']:.2f} MIPS"
    tail = f"   [{host_key}: menu]"
    for drop in ((), ("disk",), ("disk", "idle")):
        parts = [head, *(v for k, v in optional.items() if v and k not in drop), *ports]
        body = "  ".join(parts)
        if len(body) + len(tail) <= width:
            break
    room = max(len(head), width - len(tail))
    if len(body) > room:
        body = body[:room - 1] + "…"
    return body + tail


def host_ends(serial: list[dict]) -> dict[str, str]:
    """Where to reach each COM port whose host end xtbox made up (a pty's path, a TCP
    server's address), by port: the user needs it to connect, and a VM of `xtbox run
    --display tui` lives in a throwaway data folder that `xtbox vm status` cannot see."""
    ends = {}
    for p in serial:
        kind = p.get("spec", "none").split(":", 1)[0]
        if kind in ("pty", "tcp-server") and p.get("detail"):
            ends[p["port"]] = f"pty {p['detail']}" if kind == "pty" else p["detail"]
    return ends


class ScreenUpdate(Message):
    def __init__(self, data: dict) -> None:
        super().__init__()
        self.data = data


class Bell(Message):
    """The guest beeped (a VM whose speaker is ``bell``)."""


class VMGone(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class ConsoleScreen(Screen):
    AUTO_FOCUS = "ConsoleView"

    def __init__(self, name: str) -> None:
        super().__init__()
        self.vm = name
        self.client = None
        self.state = "running"
        self.status_text = ""
        self.router = KeyRouter()
        self.outbox: queue.SimpleQueue = queue.SimpleQueue()
        self.kitty_pushed = False
        self.escapes = alt_prefix.EscapeJoiner()
        self.media: dict[str, str | None] = {}   # drive letter -> image, from the status poll
        self.status_wanted: bool | None = None      # None: shown when there is room
        self.mouse_port: str | None = None          # com1/com2 once the status says so
        self.mouse_captured = True                  # the terminal's mouse drives the guest's
        self.host_ends: dict[str, str] = {}        # com1 -> "pty /dev/pts/3", from the poll
        self.announced: set[str] = set()            # the ports whose host end was said
        self.mouse_map = MouseMapper()
        self.mouse_queue = MouseQueue()
        self.bells = 0                              # beeps rung on the terminal

    def compose(self) -> ComposeResult:
        yield ConsoleView(id="console")
        yield GraphicsView(scale=self.graphics_scale, id="graphics",
                           renderer=getattr(self.app, "graphics_renderer", "halfblocks"))
        yield Static("", id="status")

    def on_mount(self) -> None:
        self.fit()
        self.sender()
        self.subscribe()
        self.poll_status()
        self.set_interval(1.0, self.poll_status)

    @property
    def graphics_scale(self) -> str:
        return getattr(getattr(self.app, "settings", None), "graphics_scale", "fit")

    @property
    def host_key(self) -> str:
        return getattr(self.app, "settings", None).host_key if hasattr(self.app, "settings") \
            else "ctrl+right_square_bracket"

    # ---- screen feed -----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="feed")
    def subscribe(self) -> None:
        try:
            client = manager.connect(self.vm, timeout=None)
        except ConfigError as exc:
            self.post_message(VMGone(str(exc)))
            return
        self.client = client
        worker = get_current_worker()
        try:
            for event in client.subscribe(("screen", "state", "bell"),
                                          stop=lambda: worker.is_cancelled):
                if event["event"] == "screen":
                    self.post_message(ScreenUpdate(event["data"]))
                elif event["event"] == "state":
                    self.state = event["data"]["state"]
                elif event["event"] == "bell":
                    self.post_message(Bell())
        finally:
            client.close()
        if not worker.is_cancelled:
            self.post_message(VMGone(f"VM {self.vm} powered off"))

    @on(ScreenUpdate)
    def apply_update(self, message: ScreenUpdate) -> None:
        graphics = bool(message.data.get("graphics"))
        text_view, graphics_view = self.query_one(ConsoleView), self.query_one(GraphicsView)
        if graphics_view.display != graphics:          # the mode switched text <-> graphics
            graphics_view.display, text_view.display = graphics, not graphics
        if graphics:
            graphics_view.apply(message.data)
            return
        shape = (text_view.cols, text_view.rows)
        text_view.apply(message.data)
        if (text_view.cols, text_view.rows) != shape:
            self.fit()

    @on(Bell)
    def ring(self) -> None:
        if self.app.screen is self:            # the console shows this VM
            self.bells += 1
            self.app.bell()

    def on_resize(self, event: events.Resize) -> None:
        self.fit()
        self.mouse_map.reset()

    def fit(self) -> None:
        """Size the console for the terminal (see the module docstring): the status line when
        the guest's rows fit beside it (or as forced from the menu), the frame when it fits
        too, and otherwise as many guest rows as there are lines left."""
        view = self.query_one(ConsoleView)
        status = self.query_one("#status", Static)
        width, height = self.size
        if not width or not height:
            return
        cols, rows = view.cols * view.scale, view.rows
        shown = self.status_wanted if self.status_wanted is not None else height > rows
        lines = max(1, height - (1 if shown else 0))
        framed = width >= cols + 2 and lines >= rows + 2
        edge = 2 if framed else 0
        view.set_class(framed, "framed")
        view.styles.width = cols + edge
        view.styles.height = min(rows, lines - edge) + edge
        status.display = shown

    @on(VMGone)
    def vm_gone(self, message: VMGone) -> None:
        if getattr(self.app, "console_only", False):      # `xtbox run --display tui`: done
            self.app.exit()
            return
        self.notify(message.reason, title=self.vm)
        if self.app.screen is self:
            self.app.pop_screen()

    @work(thread=True, exclusive=True, group="status")
    def poll_status(self) -> None:
        try:
            st = manager.status(self.vm)
        except ConfigError:
            return
        self.media = {m["drive"]: m.get("image") for m in st.get("media", [])}
        self.host_ends = host_ends(st.get("serial", []))
        new = {port: end for port, end in self.host_ends.items() if port not in self.announced}
        if new:                                    # said once, as QEMU prints a pty's path
            self.announced |= new.keys()
            self.app.call_from_thread(
                self.notify, "\n".join(f"{port.upper()}: {end}" for port, end in new.items()),
                title="Serial ports", timeout=15)
        port = (st.get("mouse") or {}).get("port", "none")
        self.mouse_port = None if port == "none" else port
        text = status_line(self.vm, st, self.mouse_port, self.mouse_captured,
                           self.host_key.replace("right_square_bracket", "]"),
                           self.size.width or 80)
        self.app.call_from_thread(self.query_one("#status", Static).update, text)

    # ---- keyboard --------------------------------------------------------------------------
    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        if event.key == self.host_key:
            self.open_menu()
            return
        if self.router.releases:               # the kitty protocol: no ESC prefixes to join
            self._key(event.key, event.character)
            return
        for key, character in self.escapes.feed(event):
            self._key(key, character)
        if self.escapes.held is not None:
            self.set_timer(2 * alt_prefix.JOIN_WINDOW, self._flush_escape)

    def _flush_escape(self) -> None:
        for key, character in self.escapes.flush():
            self._key(key, character)

    def _key(self, key: str, character: str | None) -> None:
        codes = self.router.codes(key, character)
        if codes:
            self.send("keys", scancodes=codes)

    # ---- mouse -----------------------------------------------------------------------------
    def _mouse_view(self):
        graphics = self.query_one(GraphicsView)
        return graphics if graphics.display else self.query_one(ConsoleView)

    def _mouse_wanted(self) -> bool:
        return self.mouse_port is not None and self.mouse_captured

    def _mouse_to_guest(self, event: events.MouseEvent, buttons: int | None = None) -> None:
        """The pointer's cell over the view showing the guest -> counts (tui/mouse.py)."""
        view = self._mouse_view()
        region = view.content_region
        width = region.width
        if view is self.query_one(GraphicsView):
            width = min(width, max(1, view.target()[0]))     # the picture, not its margin
        sx = event.screen_x if event.screen_x is not None else event.x
        sy = event.screen_y if event.screen_y is not None else event.y
        dx, dy = self.mouse_map.move(sx - region.x, sy - region.y, width, region.height)
        if self.mouse_queue.add(dx, dy, buttons):
            self.send("mouse")

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._mouse_wanted():
            event.stop()
            self._mouse_to_guest(event)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if self._mouse_wanted() and event.button in BUTTON_BITS:
            event.stop()
            self._mouse_to_guest(event, self.mouse_queue.buttons | BUTTON_BITS[event.button])

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._mouse_wanted() and event.button in BUTTON_BITS:
            event.stop()
            self._mouse_to_guest(event, self.mouse_queue.buttons & ~BUTTON_BITS[event.button])

    def _release_buttons(self) -> None:
        """Leaving the console (menu, manager) or releasing the mouse lets go of buttons the
        guest holds, as keys are let go; the next pointer position is a fresh origin."""
        self.mouse_map.reset()
        if self.mouse_port is not None and self.mouse_queue.buttons:
            if self.mouse_queue.add(0, 0, 0):
                self.send("mouse")

    def toggle_mouse(self) -> None:
        if self.mouse_port is None:
            self.notify("This VM has no mouse (set Mouse to COM1 or COM2 in its settings)")
            return
        self.mouse_captured = not self.mouse_captured
        self._release_buttons()
        self._terminal_mouse(not self.mouse_captured)
        self.notify("Mouse captured: it drives the guest's" if self.mouse_captured else
                    "Mouse released: it is the terminal's again (select and copy text)")

    def _terminal_mouse(self, give_back: bool) -> None:
        """Give the terminal its mouse back (text selection) or take it again, through the
        driver's own switch where it has one (a real terminal; not the test driver)."""
        driver = getattr(self.app, "_driver", None)
        switch = getattr(driver, "_disable_mouse_support" if give_back else
                         "_enable_mouse_support", None)
        if switch is not None:
            switch()

    def on_screen_resume(self) -> None:
        if not self.mouse_captured:
            self._terminal_mouse(True)          # still released: the terminal keeps it
        alt_prefix.install()
        alt_prefix.ACTIVE = True
        if not self.kitty_pushed:
            self.kitty_pushed = True
            kitty.push_release_events(self.app)

    def on_screen_suspend(self) -> None:
        self._leave_keyboard()
        self._release_buttons()
        if not self.mouse_captured:
            self._terminal_mouse(False)         # the manager and menus keep their mouse

    def _leave_keyboard(self) -> None:
        alt_prefix.ACTIVE = False
        self._flush_escape()
        self._pop_kitty()
        if codes := self.router.release_all():
            self.send("keys", scancodes=codes)

    def _pop_kitty(self) -> None:
        if self.kitty_pushed:
            self.kitty_pushed = False
            kitty.pop_release_events(self.app)

    def on_paste(self, event: events.Paste) -> None:
        """Bracketed paste: typed at the guest's pace by the VM's keyboard queue."""
        event.stop()
        text = event.text.replace("\r\n", "\n")
        self.send("type", text=text)

    def send(self, command: str, **arguments) -> None:
        """Queue a command for the VM; the sender keeps one connection, so keys go out in
        order and without a connect per key."""
        self.outbox.put((command, arguments))

    @work(thread=True, exclusive=True, group="send")
    def sender(self) -> None:
        worker = get_current_worker()
        client = None
        while not worker.is_cancelled:
            try:
                item = self.outbox.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is None:
                break
            command, arguments = item
            if command == "mouse":
                arguments = self.mouse_queue.take()
                if arguments is None:
                    continue
            try:
                if client is None:
                    client = manager.connect(self.vm)
                client.call(command, **arguments)
            except (ConfigError, OSError) as exc:
                if client is not None:
                    client.close()
                    client = None
                self.app.call_from_thread(self.notify, str(exc), severity="error")
        if client is not None:
            client.close()

    # ---- the host-key menu -----------------------------------------------------------------
    def open_menu(self) -> None:
        from tui.screens.console_menu import ConsoleMenu
        mouse = None if self.mouse_port is None else self.mouse_captured
        self.app.push_screen(ConsoleMenu(self.vm, self.media, mouse=mouse,
                                         ports=self.host_ends), self.menu_choice)

    def menu_choice(self, choice: str | None) -> None:
        from tui import keys
        view = self.query_one(ConsoleView)
        special = {"cad": keys.CTRL_ALT_DEL, "break": keys.CTRL_BREAK, "pausekey": keys.PAUSE,
                   "prtsc": keys.PRINT_SCREEN, "sysrq": keys.SYSRQ}
        if choice == "leave":
            self.app.pop_screen()
        elif choice == "poweroff":
            self.send("stop")
        elif choice in special:
            self.send("keys", scancodes=special[choice])
        elif choice == "sendkeys":
            self.ask_keys()
        elif choice == "status":
            self.status_wanted = not self.query_one("#status", Static).display
            self.fit()
        elif choice in ("pause", "resume", "reset"):
            self.send(choice)
        elif choice == "copy":
            self.app.copy_to_clipboard("\n".join(view.text_lines()))
            self.notify("Screen copied as text")
        elif choice in ("text", "svg"):
            self.save_screenshot(choice)
        elif choice == "png":
            self.save_png()
        elif choice == "scale":
            graphics = self.query_one(GraphicsView)
            graphics.set_scale(SCALES[(SCALES.index(graphics.scale) + 1) % len(SCALES)]
                               if graphics.scale in SCALES else "fit")
            self.notify(f"Graphics scale: {graphics.scale}")
        elif choice in ("floppy-a", "floppy-b"):
            from tui.screens.console_menu import change_floppy
            change_floppy(self, self.vm, choice[-1], self.media.get(choice[-1]))
        elif choice == "mouse":
            self.toggle_mouse()
        elif choice in ("com1", "com2"):
            self.send("serial-reconnect", port=choice)
            self.notify(f"{choice.upper()}: reconnecting")

    def ask_keys(self) -> None:
        from tui.keys import combo_to_scancodes
        from tui.screens.prompt import PromptScreen

        def check(text: str) -> str | None:
            try:
                combo_to_scancodes(text)
            except ValueError as exc:
                return str(exc)
            return None

        def chosen(text: str | None) -> None:
            if text:
                self.send("keys", scancodes=combo_to_scancodes(text))
        self.app.push_screen(PromptScreen("Keys to send (names joined by +, e.g. ctrl+alt+f1 "
                                          "alt+x):", check=check), chosen)

    def save_screenshot(self, fmt: str) -> None:
        from pathlib import Path
        view = self.query_one(ConsoleView)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = Path.cwd() / f"{self.vm}-{stamp}.{'txt' if fmt == 'text' else 'svg'}"
        if fmt == "text":
            path.write_text("\n".join(view.text_lines()) + "\n", encoding="utf-8")
        else:
            from tui.screen_render import screen_svg
            data = {"cols": view.cols, "rows": view.rows, "mda": view.mda, "blink": view.blink,
                    "lines": {str(r): row for r, row in enumerate(view.cells)}}
            path.write_text(screen_svg(data, title=f"xtbox — {self.vm}"), encoding="utf-8")
        self.notify(f"Screenshot saved to {path}")

    @work(thread=True, group="png")
    def save_png(self) -> None:
        """The VM renders the frame at its native size (text modes with the 8x8/9x14 font)."""
        from pathlib import Path
        path = Path.cwd() / f"{self.vm}-{time.strftime('%Y%m%d-%H%M%S')}.png"
        try:
            path.write_bytes(manager.screen_png(self.vm))
        except (ConfigError, OSError) as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.notify, f"Screenshot saved to {path}")

    def on_unmount(self) -> None:
        if not self.mouse_captured:
            self._terminal_mouse(False)
        self.outbox.put(None)
        self._pop_kitty()
        if self.client is not None:
            self.client.close()
