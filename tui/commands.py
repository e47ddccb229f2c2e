"""Command-palette entries: every manager action by name, for the selected VM."""

from __future__ import annotations

from functools import partial

from textual.command import Hit, Hits, Provider

ACTIONS = [
    ("New VM", "new"), ("Edit VM settings", "edit"), ("Clone VM", "clone"),
    ("Delete VM", "delete"), ("Start VM", "start"), ("Stop VM (power off)", "stop"),
    ("Pause or resume VM", "pause"), ("Save state (suspend VM)", "save_state"),
    ("Discard saved state", "discard_state"), ("Reset VM", "reset"), ("Open console", "console"),
    ("Snapshots", "snapshots"), ("Disks", "disks"), ("Settings", "settings"),
]


class XtboxCommands(Provider):
    async def search(self, query: str) -> Hits:
        from tui.screens.manager import ManagerScreen
        screen = next((s for s in self.app.screen_stack if isinstance(s, ManagerScreen)), None)
        if screen is None:
            return
        matcher = self.matcher(query)
        for label, action in ACTIONS:
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label),
                          partial(screen.run_action_named, action), help=f"manager: {action}")
