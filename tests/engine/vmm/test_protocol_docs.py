"""The control protocol's command list is one list: what the server serves must be in
protocol.COMMANDS (the server refuses otherwise), and every command there is described in the
protocol module's docstring and in the README's protocol section."""

import re
from pathlib import Path

import pytest

from engine.vmm import protocol
from engine.vmm.server import ControlServer

README = Path(__file__).resolve().parents[3] / "README.md"


@pytest.mark.parametrize("command", protocol.COMMANDS)
def test_every_command_is_documented(command):
    assert f"``{command}``" in protocol.__doc__
    section = README.read_text().split("### Control protocol", 1)[1].split("\n## ", 1)[0]
    assert re.search(rf"`{re.escape(command)}[` ]", section), f"README omits {command!r}"


def test_server_refuses_an_undocumented_command(tmp_path):
    with pytest.raises(ValueError, match="warp"):
        ControlServer(tmp_path / "s.sock", {}, {"status": dict, "warp": dict}, dict, dict)
