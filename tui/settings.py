"""The TUI's own settings (settings.toml in the data folder): host key, theme, defaults for
new VMs. Unknown keys are kept; a bad value falls back to its default with a warning."""

from __future__ import annotations

from dataclasses import dataclass

import tomlkit

from engine.vmm import home
from engine.vmm.profile import atomic_write

DEFAULT_HOST_KEY = "ctrl+right_square_bracket"


@dataclass
class Settings:
    host_key: str = DEFAULT_HOST_KEY
    theme: str = "textual-dark"
    default_memory_kib: int = 640
    default_display: str = "cga"
    graphics_scale: str = "fit"          # the console's graphics: fit, or 1-8 x 80 cells
    graphics_renderer: str = "auto"      # auto (detected), halfblocks or kitty (tui/pixels.py)
    warnings: tuple[str, ...] = ()

    @classmethod
    def load(cls) -> Settings:
        path = home.settings_path()
        s = cls()
        warnings = []
        try:
            data = tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
        except FileNotFoundError:
            return s
        except Exception as exc:
            return cls(warnings=(f"{path}: ignored, not valid TOML ({exc})",))
        for key, kind in (("host_key", str), ("theme", str), ("default_memory_kib", int),
                          ("default_display", str), ("graphics_scale", str),
                          ("graphics_renderer", str)):
            if key in data:
                if isinstance(data[key], kind):
                    setattr(s, key, data[key])
                else:
                    warnings.append(f"{path}: {key}: got {data[key]!r}, expected {kind.__name__}")
        if s.graphics_scale != "fit" and not (s.graphics_scale.isdigit()
                                              and 1 <= int(s.graphics_scale) <= 8):
            warnings.append(f"{path}: graphics_scale: got {s.graphics_scale!r}, expected fit "
                            "or 1-8")
            s.graphics_scale = "fit"
        if s.graphics_renderer not in ("auto", "halfblocks", "kitty"):
            warnings.append(f"{path}: graphics_renderer: got {s.graphics_renderer!r}, expected "
                            "auto, halfblocks or kitty")
            s.graphics_renderer = "auto"
        s.warnings = tuple(warnings)
        return s

    def save(self) -> None:
        path = home.settings_path()
        try:
            doc = tomlkit.parse(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, Exception):
            doc = tomlkit.document()
        for key in ("host_key", "theme", "default_memory_kib", "default_display",
                    "graphics_scale", "graphics_renderer"):
            doc[key] = getattr(self, key)
        atomic_write(path, tomlkit.dumps(doc).encode())
