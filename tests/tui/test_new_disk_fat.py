"""The New VM wizard's "New disk for C:" is formatted for DOS unless the box is cleared."""

from __future__ import annotations

import pytest

from disks import ImageFormatError
from disks.fat.image import open_volume
from tests.tui.conftest import home, wait_for  # noqa: F401 (home: the fixture)
from tests.tui.test_app import SIZE, open_new_form, screen_name
from tui.app import XtboxApp
from tui.control import manager


@pytest.mark.parametrize("formatted", [True, False])
async def test_new_disk_for_c_is_formatted_for_dos_by_default(home, formatted):  # noqa: F811
    app = XtboxApp()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_form(pilot, app)
        form.query_one("#name").value = "dosvm"
        form.query_one("#new_hda").value = "20M"
        box = form.query_one("#new_hda_fat")
        assert box.value is True                            # on by default
        box.value = formatted
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerScreen")
    disk = manager.vm_info("dosvm").disks["hda"]
    if formatted:
        with open_volume(disk) as vol:
            assert vol.bpb.fat_bits == 16 and vol.located == "partition 1 (FAT16 (<32M))"
            assert vol.free_bytes == vol.total_bytes
    else:
        with pytest.raises(ImageFormatError):
            with open_volume(disk):
                pass
