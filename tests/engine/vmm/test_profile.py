"""vm.toml: validation errors name file, key and form; saves are atomic and keep what they
do not understand."""

from __future__ import annotations

import pytest

from engine.vmm.profile import Profile, ProfileError


def make(tmp_path, **kw) -> Profile:
    p = Profile(name="dos", folder=tmp_path / "dos", **kw)
    p.save()
    return p


def test_round_trip(tmp_path):
    p = make(tmp_path, memory_kib=256, display="mda", boot="c", notes="hello")
    p.drives["hda"] = "disk-c.qcow2"
    p.serial = ["pty", "none"]
    p.save()
    q = Profile.load(p.folder)
    assert (q.name, q.uuid, q.memory_kib, q.display, q.boot, q.notes) == \
        ("dos", p.uuid, 256, "mda", "c", "hello")
    assert q.drives["hda"] == "disk-c.qcow2" and q.drive_path("hda") == p.folder / "disk-c.qcow2"
    assert q.serial == ["pty", "none"]


def test_write_protected_drives_round_trip(tmp_path):
    p = make(tmp_path)
    assert "write_protected" not in p.path.read_text()            # absent until used
    p.write_protected = ["fdb", "fda"]
    p.save()
    assert Profile.load(p.folder).write_protected == ["fda", "fdb"]
    p.write_protected = []
    p.save()
    assert "write_protected" not in p.path.read_text()


def test_unknown_keys_and_comments_survive_a_save(tmp_path):
    p = make(tmp_path)
    text = p.path.read_text()
    p.path.write_text("# my favourite VM\nfuture_key = 42\n" + text + "\n[extras]\nx = 'y'\n")
    q = Profile.load(p.folder)
    q.memory_kib = 512
    q.save()
    saved = p.path.read_text()
    assert "# my favourite VM" in saved and "future_key = 42" in saved and "[extras]" in saved
    assert Profile.load(p.folder).memory_kib == 512


def test_save_leaves_no_temporary_files(tmp_path):
    p = make(tmp_path)
    for _ in range(3):
        p.save()
    assert sorted(f.name for f in p.folder.iterdir()) == ["vm.toml"]


@pytest.mark.parametrize(("line", "key", "expected"), [
    ("memory_kib = 700", "memory_kib", "multiple of 16"),
    ("memory_kib = 'lots'", "memory_kib", "multiple of 16"),
    ("display = 'vga'", "display", "cga or mda"),
    ("boot = 'x'", "boot", "a, c, ac or ca"),
    ("speed = 'warp'", "speed", "max or xt"),
    ("uuid = 'nope'", "uuid", "UUID"),
    ("notes = 3", "notes", "string"),
    ("write_protected = ['fdz']", "write_protected", "a list of drives"),
    ("write_protected = 'fda'", "write_protected", "a list of drives"),
    ("mouse = 'com3'", "mouse", "none, com1, com2, com1:logitech or com2:logitech"),
    ("mouse = 1", "mouse", "none, com1, com2, com1:logitech or com2:logitech"),
    ("speaker = 'beep'", "speaker", "none, bell, wav:PATH or host"),
    ("speaker = 'wav:'", "speaker", "none, bell, wav:PATH or host"),
    ("lpt1 = 'stdio'", "lpt1", "none, file:PATH (raw bytes appended), pty or tcp-server"),
    ("lpt2 = 'tcp-server:99999'", "lpt2", "none, file:PATH (raw bytes appended), pty or tcp"),
])
def test_bad_values_name_file_key_and_form(tmp_path, line, key, expected):
    p = make(tmp_path)
    key_name = line.split(" = ")[0]
    lines = [ln for ln in p.path.read_text().splitlines() if not ln.startswith(key_name + " ")]
    p.path.write_text(line + "\n" + "\n".join(lines) + "\n")
    with pytest.raises(ProfileError) as err:
        Profile.load(p.folder)
    msg = str(err.value)
    assert str(p.path) in msg and key in msg and expected in msg


def test_bad_tables_and_syntax(tmp_path):
    p = make(tmp_path)
    good = p.path.read_text()
    p.path.write_text(good + "\n[drives]\nhdz = 'x.img'\n")
    with pytest.raises(ProfileError, match="drives"):
        Profile.load(p.folder)
    p.path.write_text(good.replace("[serial]", "[serial]\ncom3 = 'pty'"))
    with pytest.raises(ProfileError, match="serial.com3"):
        Profile.load(p.folder)
    p.path.write_text("name = [unclosed")
    with pytest.raises(ProfileError, match="not valid TOML"):
        Profile.load(p.folder)
    with pytest.raises(ProfileError, match="no VM profile"):
        Profile.load(tmp_path / "missing")


def test_invalid_edit_is_refused_before_writing(tmp_path):
    p = make(tmp_path)
    before = p.path.read_bytes()
    p.memory_kib = 1000
    with pytest.raises(ProfileError):
        p.save()
    assert p.path.read_bytes() == before


@pytest.mark.parametrize("name", ["", " lead", "a/b", ".hidden", "x" * 65, "tab\tname"])
def test_bad_names(tmp_path, name):
    with pytest.raises(ProfileError, match="VM name"):
        Profile(name=name, folder=tmp_path / "v").save()


def test_peripherals_round_trip_and_absent_keys_mean_none(tmp_path):
    p = make(tmp_path, mouse="com2", speaker="wav:beeps.wav", lpt=["file:out.prn", "pty"])
    q = Profile.load(p.folder)
    assert (q.mouse, q.speaker, q.lpt) == ("com2", "wav:beeps.wav", ["file:out.prn", "pty"])
    text = "\n".join(ln for ln in p.path.read_text().splitlines()
                     if not ln.startswith(("mouse", "speaker", "lpt")))
    p.path.write_text(text + "\n")                     # a profile from before these keys
    q = Profile.load(p.folder)
    assert (q.mouse, q.speaker, q.lpt) == ("none", "none", ["none", "none"])


def test_a_mouse_on_a_port_with_a_serial_backend_names_both(tmp_path):
    p = make(tmp_path, serial=["pty", "none"])
    p.mouse = "com1"
    with pytest.raises(ProfileError) as err:
        p.save()
    assert str(p.path) in str(err.value)
    assert "mouse on com1" in str(err.value) and "'pty'" in str(err.value)
    p.mouse = "com2"
    p.save()
    assert Profile.load(p.folder).mouse == "com2"
