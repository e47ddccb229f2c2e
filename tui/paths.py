"""Paths as a person reads them: the home folder shown as ``~`` (fields accept it back, since
every path a user types goes through ``expanduser``)."""

from __future__ import annotations

import os
from pathlib import Path


def shown(path: str | os.PathLike) -> str:
    text = str(path)
    home = str(Path.home())
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home):]
    return text
