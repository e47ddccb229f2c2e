"""`xtbox vm media` on a powered-off VM edits its profile; bad input is one clear line. (The
live change, through a running VM process, is in tests/guests/test_floppy_media.py.)"""

from __future__ import annotations

from tests.cli.test_vm_cli import home, xtbox  # noqa: F401  (the fixture and the CLI runner)


def floppy(path, size=368_640):
    path.write_bytes(bytes(size))
    return path


def test_media_on_a_stopped_vm_edits_its_profile(home, tmp_path):  # noqa: F811
    boot = floppy(tmp_path / "boot.img")
    xtbox("vm", "create", "off", "--fda", str(boot))
    profile = home / "vms" / "off" / "vm.toml"
    other = floppy(tmp_path / "other.img", 163_840)                  # 160K: accepted now
    out = xtbox("vm", "media", "off", "B:", str(other), "--read-only").stdout
    assert "in its profile (powered off)" in out
    text = profile.read_text()
    assert f'fdb = "{other}"' in text and 'write_protected = ["fdb"]' in text
    xtbox("vm", "media", "off", "b:", str(other))                    # writable again
    assert "write_protected" not in profile.read_text()
    xtbox("vm", "media", "off", "b", "--eject")
    assert "fdb" not in profile.read_text()


def test_media_bad_input_is_one_clear_line(home, tmp_path):  # noqa: F811
    boot = floppy(tmp_path / "boot.img")
    xtbox("vm", "create", "off", "--fda", str(boot))
    odd = floppy(tmp_path / "odd.img", 400_000)
    cases = [
        (["c:", str(boot)], "expected a: or b:"),
        (["a:"], "give an IMAGE to insert, or --eject"),
        (["a:", str(boot), "--eject"], "give an IMAGE to insert, or --eject"),
        (["a:", "--eject", "--read-only"], "--read-only applies to an IMAGE"),
        (["a:", str(tmp_path / "none.img")], "none.img: no such image file"),
        (["a:", str(odd)], "odd.img: a floppy image of 400,000 bytes matches no floppy"),
    ]
    for args, expected in cases:
        r = xtbox("vm", "media", "off", *args, check=False)
        assert r.returncode == 2 and expected in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1
    r = xtbox("vm", "create", "bad", "--fda", str(odd), check=False)  # the same rule at create
    assert r.returncode == 2 and "2.88M" in r.stderr
