"""QEMU isa-debug-exit and debugcon semantics."""

from engine.bus import PortBus
from engine.chips.debugport import DebugPorts


def test_exit_code_is_value_shifted_with_low_bit_set():
    codes = []
    dbg = DebugPorts(on_exit=codes.append)
    dbg.write(0xF4, 0x00)
    dbg.write(0xF4, 0x10)
    assert codes == [1, 0x21]
    assert dbg.exit_code == 0x21


def test_word_exit_write_through_bus_keeps_16_bits():
    codes = []
    bus = PortBus()
    bus.attach(DebugPorts(on_exit=codes.append))
    bus.port_write(0xF4, 0x0102, 2)
    assert codes == [(0x0102 << 1) | 1]


def test_console_bytes_go_to_sink_and_read_identifies_device():
    out = bytearray()
    dbg = DebugPorts(sink=out.extend)
    bus = PortBus()
    bus.attach(dbg)
    for ch in b"hi\n":
        bus.port_write(0xE9, ch)
    assert bytes(out) == b"hi\n"
    assert bus.port_read(0xE9) == 0xE9
    assert bus.port_read(0xF4) == 0xFF


def test_unconnected_callbacks_are_harmless_and_ports_relocate():
    dbg = DebugPorts(exit_port=0x501, console_port=0x402)
    dbg.write(0x501, 3)
    dbg.write(0x402, 65)
    assert dbg.exit_code == 7
    assert dbg.PORTS == [(0x501, 0x502), (0x402, 0x402)]


def test_state_round_trip():
    dbg = DebugPorts()
    dbg.write(0xF4, 5)
    other = DebugPorts()
    other.set_state(dbg.get_state())
    assert other.exit_code == 11
    other.reset()
    assert other.exit_code is None
