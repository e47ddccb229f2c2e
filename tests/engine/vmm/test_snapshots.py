"""The one all-or-none snapshot routine both the VM process and the offline CLI use."""

import pytest

from disks import DiskError, create_image, open_image
from disks.qcow2 import snapshot as qs
from engine.vmm import snapshots


@pytest.fixture
def folder(tmp_path):
    return tmp_path


@pytest.fixture
def images(tmp_path):
    opened = []
    for name in ("c.qcow2", "d.qcow2"):
        create_image(tmp_path / name, size=1 << 20)
        opened.append(open_image(str(tmp_path / name)))
    yield opened
    for img in opened:
        img.close()


def names(img):
    return [s.name for s in img.snapshots]


def test_take_restore_delete_on_every_disk(folder, images):
    images[0].write(0, b"before".ljust(512, b"\0"))
    snapshots.apply_all(folder, images, "take", "s1")
    assert [names(i) for i in images] == [["s1"], ["s1"]]
    images[0].write(0, b"after".ljust(512, b"\0"))
    snapshots.apply_all(folder, images, "restore", "s1")
    assert images[0].read(0, 6) == b"before"
    snapshots.apply_all(folder, images, "delete", "s1")
    assert [names(i) for i in images] == [[], []]


def test_refusals_change_nothing(folder, images):
    qs.create_snapshot(images[1], "taken")
    with pytest.raises(snapshots.SnapshotError, match="d.qcow2: a snapshot named 'taken'"):
        snapshots.apply_all(folder, images, "take", "taken")
    assert names(images[0]) == []
    with pytest.raises(snapshots.SnapshotError, match="c.qcow2: no snapshot named 'taken'"):
        snapshots.apply_all(folder, images, "delete", "taken")
    assert names(images[1]) == ["taken"]
    with pytest.raises(snapshots.SnapshotError, match="needs a name"):
        snapshots.apply_all(folder, images, "take", " ")


def test_take_failing_half_way_leaves_no_disk_with_it(folder, images, monkeypatch):
    real = qs.create_snapshot

    def failing(img, name, *args):
        if img is images[1]:
            raise DiskError(f"{img.path}: no space left")
        return real(img, name, *args)

    monkeypatch.setattr(qs, "create_snapshot", failing)
    with pytest.raises(snapshots.SnapshotError, match="no space left.*no disk keeps it"):
        snapshots.apply_all(folder, images, "take", "s")
    assert [names(i) for i in images] == [[], []]
    assert not (folder / "snapshot-intent.json").exists()


def test_a_state_goes_to_the_first_hard_disk_and_every_disk_gets_the_clock(folder, images):
    assert snapshots.holder(images, ["a", "c"]) == 1
    assert snapshots.holder(images, ["d", "c"]) == 1
    assert snapshots.holder(images, ["b", "a"]) == 1
    snapshots.apply_all(folder, images, "take", "live", state=b"STATE" * 100, state_on=1,
                        clock_ns=42)
    listed = snapshots.describe(images)
    assert listed[0]["state_bytes"] == 500 and listed[0]["state_disk"] == images[1].path
    assert [img.snapshots[0].vm_state_size for img in images] == [0, 500]
    assert [img.snapshots[0].vm_clock_nsec for img in images] == [42, 42]
    assert snapshots.state_of(images, "live") == (b"STATE" * 100, images[1].path)


def test_restore_makes_the_state_the_vms_saved_state_even_across_a_kill(folder, images):
    from engine.vmm import savestate, snapshot_intent
    snapshots.apply_all(folder, images, "take", "live", state=b"S" * 700, state_on=0)
    snapshots.apply_all(folder, images, "restore", "live")
    assert (folder / savestate.STATE_FILE).read_bytes() == b"S" * 700
    (folder / savestate.STATE_FILE).unlink()
    # Killed after the disks were restored, before the state file: the next open of the
    # VM's disks finishes the restore, state included.
    from engine.vmm import runstate
    runstate.write_json(folder / snapshot_intent.RECORD, {
        "action": "restore", "name": "live", "disks": [img.path for img in images]})
    for img in images:
        img.close()
    assert "the machine state" in snapshot_intent.recover(folder)
    assert (folder / savestate.STATE_FILE).read_bytes() == b"S" * 700
