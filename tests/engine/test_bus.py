"""PortBus: table dispatch, floating-bus reads, word splitting, overlap errors."""

import pytest

from engine.bus import PortBus, PortConflictError


class Recorder:
    """A byte device that remembers what it saw and answers reads from a dict."""

    def __init__(self, name, ports, values=None, word_io=False):
        self.name = name
        self.PORTS = ports
        self.values = values or {}
        self.log = []
        self.WORD_IO = word_io

    def read(self, port, width=1):
        self.log.append(("r", port, width))
        return self.values.get(port, 0x5A if width == 1 else 0x5A5A)

    def write(self, port, value, width=1):
        self.log.append(("w", port, value, width))


def test_unmapped_ports_float_high_and_swallow_writes():
    bus = PortBus()
    assert bus.port_read(0x123, 1) == 0xFF
    assert bus.port_read(0x123, 2) == 0xFFFF
    bus.port_write(0x123, 0x55, 1)  # no error, nothing happens
    assert bus.owner(0x123) is None


def test_attach_dispatches_by_port_and_uses_declared_ports():
    bus = PortBus()
    a = Recorder("a", [(0x20, 0x21)], {0x20: 0x11, 0x21: 0x22})
    bus.attach(a)
    assert bus.port_read(0x20) == 0x11
    assert bus.port_read(0x21) == 0x22
    bus.port_write(0x21, 0x1FF)
    assert a.log[-1] == ("w", 0x21, 0xFF, 1)
    assert bus.owner(0x21) == "a"
    assert bus.port_read(0x22) == 0xFF


def test_word_access_to_byte_device_is_two_byte_accesses():
    bus = PortBus()
    a = Recorder("a", [(0x60, 0x61)], {0x60: 0x34, 0x61: 0x12})
    bus.attach(a)
    assert bus.port_read(0x60, 2) == 0x1234
    assert a.log == [("r", 0x60, 1), ("r", 0x61, 1)]
    a.log.clear()
    bus.port_write(0x60, 0xBEEF, 2)
    assert a.log == [("w", 0x60, 0xEF, 1), ("w", 0x61, 0xBE, 1)]


def test_word_access_straddling_mapped_and_unmapped_ports():
    bus = PortBus()
    bus.attach(Recorder("a", [(0x3F, 0x3F)], {0x3F: 0x12}))
    assert bus.port_read(0x3F, 2) == 0xFF12
    assert bus.port_read(0x3E, 2) == 0x12FF


def test_word_access_wraps_at_port_ffff():
    bus = PortBus()
    bus.attach(Recorder("a", [(0x0, 0x0)], {0: 0x77}))
    assert bus.port_read(0xFFFF, 2) == 0x77FF


def test_word_io_device_gets_one_word_access():
    bus = PortBus()
    a = Recorder("a", [(0xF4, 0xF5)], {0xF4: 0xCAFE}, word_io=True)
    bus.attach(a)
    assert bus.port_read(0xF4, 2) == 0xCAFE
    bus.port_write(0xF4, 0x1234, 2)
    assert a.log == [("r", 0xF4, 2), ("w", 0xF4, 0x1234, 2)]
    a.log.clear()
    bus.port_write(0xF5, 0x1234, 2)  # straddles into an unowned port: split
    assert a.log == [("w", 0xF5, 0x34, 1)]


def test_overlap_names_both_devices_and_the_port():
    bus = PortBus()
    bus.attach(Recorder("com1", [(0x3F8, 0x3FF)]))
    with pytest.raises(PortConflictError) as err:
        bus.attach(Recorder("mystery", [(0x3F0, 0x3F8)]))
    msg = str(err.value)
    assert "com1" in msg and "mystery" in msg and "0x03f8" in msg
    # The failed attach left nothing behind.
    assert bus.owner(0x3F0) is None


def test_attach_handlers_and_detach():
    bus = PortBus()
    seen = []
    bus.attach_handlers("page", [(0x80, 0x8F)], read=lambda p, w=1: p & 0xF,
                        write=lambda p, v, w=1: seen.append((p, v)))
    assert bus.port_read(0x83) == 3
    bus.port_write(0x81, 9)
    assert seen == [(0x81, 9)]
    bus.detach("page")
    assert bus.port_read(0x83) == 0xFF
    bus.attach(Recorder("again", [(0x80, 0x80)]))  # port free again
    with pytest.raises(KeyError):
        bus.detach("page")


def test_bad_ranges_and_missing_ports_are_clear_errors():
    bus = PortBus()
    with pytest.raises(ValueError, match="0x10000"):
        bus.attach(Recorder("x", [(0xFFFF, 0x10000)]))
    with pytest.raises(ValueError, match="no PORTS"):
        bus.attach(Recorder("x", []))


def test_read_values_are_masked_to_width():
    bus = PortBus()
    bus.attach(Recorder("a", [(0x10, 0x11)], {0x10: 0x1FF, 0x11: 0x2AB}))
    assert bus.port_read(0x10) == 0xFF
    assert bus.port_read(0x10, 2) == 0xABFF
