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
