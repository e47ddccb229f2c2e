"""Attribute decoding for the console: CGA colours/blink, MDA underline/reverse/invisible."""

from engine.chips.attributes import CGA_PALETTE, decode_attr


def test_cga_foreground_background_and_blink():
    s = decode_attr(0x1E)
    assert (s.fg, s.bg, s.blink) == (14, 1, False)
    s = decode_attr(0x9E)
    assert (s.fg, s.bg, s.blink) == (14, 1, True)
    s = decode_attr(0x9E, blink_enabled=False)
    assert (s.fg, s.bg, s.blink) == (14, 9, False)  # bright background instead


def test_cga_palette_has_16_distinct_colours_with_brown():
    assert len(set(CGA_PALETTE)) == 16 and CGA_PALETTE[6] == "#aa5500"


def test_mda_attributes():
    assert decode_attr(0x07, mda=True)[:2] == (7, 0)
    assert decode_attr(0x0F, mda=True).fg == 15
    assert decode_attr(0x01, mda=True).underline
    assert decode_attr(0x09, mda=True).underline and decode_attr(0x09, mda=True).fg == 15
    assert decode_attr(0x70, mda=True)[:2] == (0, 7)
    for a in (0x00, 0x08, 0x80, 0x88):
        assert decode_attr(a, mda=True).invisible
    assert decode_attr(0x87, mda=True).blink
    assert not decode_attr(0x07, mda=True).invisible
