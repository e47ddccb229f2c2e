"""printer_lab (our guest) prints through INT 17h and through the ports."""

from tests.guests.harness import GuestRun


def test_printing_through_int17_and_the_ports_reaches_the_file(tmp_path):
    out = tmp_path / "printer.out"
    with GuestRun(tmp_path, "printer_lab", steady=True, lpt=[f"file:{out}", "none"]) as g:
        status = g.wait_end(40)
    assert "all checks passed" in g.text, g.text
    assert status == 1
    assert out.read_bytes() == b"HELLO VIA INT17\r\nAND VIA PORTS\r\n"
    assert g.machine.printers[0].printed == 32 and g.machine.printers[1].printed == 0


def test_xtbox_run_lpt1_prints_to_a_file_and_refuses_a_serial_only_form(tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).parent.parent.parent
    image, out = tmp_path / "lab.img", tmp_path / "printer.out"
    shutil.copy(Path(__file__).with_name("printer_lab.img"), image)
    r = subprocess.run([sys.executable, "-m", "tui.cli", "run", "--fda", str(image),
                        "--lpt1", f"file:{out}", "--max-seconds", "30"],
                       cwd=root, capture_output=True, text=True, timeout=90)
    assert "all checks passed" in r.stdout, r.stdout + r.stderr
    assert out.read_bytes() == b"HELLO VIA INT17\r\nAND VIA PORTS\r\n"
    r = subprocess.run([sys.executable, "-m", "tui.cli", "run", "--lpt1", "stdio"],
                       cwd=root, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "printer backend 'stdio'" in r.stderr
