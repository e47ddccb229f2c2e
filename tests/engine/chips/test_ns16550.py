"""8250/16550A UART: registers, divisor, FIFOs and triggers, IIR priorities, loopback, pacing."""

import pickle

from engine.bus import PortBus
from engine.chips.ns16550 import UART16550
from engine.chips.serial_backend import LoopbackBackend, MemoryBackend, NullBackend

B = 0x3F8
RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR = range(B, B + 8)
FCR = IIR
THR = RBR


class Clock:
    def __init__(self):
        self.t = 0

    def __call__(self):
        return self.t


def make(backend=None, **kw):
    clk = Clock()
    u = UART16550(backend=backend, clock=clk, **kw)
    wire = []
    u.irq = wire.append
    return u, clk, wire


def set_baud(u, divisor, lcr=0x03):
    u.write(LCR, 0x80)
    u.write(RBR, divisor & 0xFF)
    u.write(IER, divisor >> 8)
    u.write(LCR, lcr)


def advance(u, clk, dt):
    clk.t += dt
    u.tick(clk.t)


def test_divisor_latch_and_line_settings_reach_backend():
    be = MemoryBackend()
    u, _, _ = make(be)
    set_baud(u, 0x0180, lcr=0x1F)  # 300 baud, 8 data, 2 stop, even parity
    assert be.line == (300, 8, "E", 2)
    u.write(LCR, 0x80)
    assert (u.read(RBR), u.read(IER)) == (0x80, 0x01)
    u.write(LCR, 0x0A)  # 7 bits, odd parity, 1 stop
    assert be.line == (300, 7, "O", 1)
    assert u.read(LCR) == 0x0A


def test_scratch_register_and_reset_values():
    u, _, _ = make()
    u.write(SCR, 0xA5)
    assert u.read(SCR) == 0xA5
    assert u.read(IIR) == 0x01  # no interrupt, FIFOs off
    assert u.read(LSR) == 0x60
    assert u.read(IER) == 0 and u.read(MCR) == 0


def test_transmit_is_paced_by_baud_and_shows_busy():
    be = MemoryBackend()
    u, clk, _ = make(be)
    set_baud(u, 12)  # 9600 8N1: 10 bits -> ~1243 PIT clocks per char
    per_char = u.char_time()
    assert 1200 < per_char < 1300
    u.write(RBR, ord("A"))
    assert u.read(LSR) & 0x60 == 0x20  # THR empty again (moved to shift register), TEMT clear
    u.write(RBR, ord("B"))
    assert u.read(LSR) & 0x60 == 0x00  # both full
    advance(u, clk, per_char)
    assert be.output == b"A" and u.read(LSR) & 0x60 == 0x20
    advance(u, clk, per_char)
    assert be.output == b"AB" and u.read(LSR) & 0x60 == 0x60
    assert u.next_event(clk.t) is None


def test_busy_backend_backs_up_instead_of_losing_bytes():
    be = MemoryBackend(capacity=3)
    u, clk, _ = make(be, paced=False)
    u.write(FCR, 0x07)
    sent = b"0123456789"
    for ch in sent:
        u.write(RBR, ch)
    for _ in range(5):
        advance(u, clk, 10)
    assert be.output == b"012"
    assert not u.read(LSR) & 0x40  # transmitter still busy
    got = be.drain()
    for _ in range(50):
        advance(u, clk, 10)
        got += be.drain()
    assert got == sent and u.read(LSR) & 0x60 == 0x60


def test_receive_non_fifo_data_ready_and_rda_interrupt():
    be = MemoryBackend()
    u, clk, wire = make(be, paced=False)
    u.write(IER, 0x01)
    u.write(MCR, 0x08)  # OUT2 connects INTR to the bus
    be.feed(b"hi")
    advance(u, clk, 1)
    assert u.read(LSR) & 1 and wire[-1] is True
    assert u.read(IIR) == 0x04
    assert u.read(RBR) == ord("h")
    advance(u, clk, 1)
    assert u.read(RBR) == ord("i")
    assert wire[-1] is False and u.read(IIR) == 0x01


def test_out2_gates_the_interrupt_line():
    be = MemoryBackend()
    u, clk, wire = make(be, paced=False)
    u.write(IER, 0x01)
    be.feed(b"x")
    advance(u, clk, 1)
    assert u.read(IIR) == 0x04 and wire == []
    u.write(MCR, 0x08)
    assert wire == [True]


def test_fifo_trigger_levels():
    for fcr, trigger in ((0x01, 1), (0x41, 4), (0x81, 8), (0xC1, 14)):
        be = MemoryBackend()
        u, clk, _ = make(be, paced=False)
        u.write(FCR, fcr | 0x06)
        u.write(IER, 0x01)
        be.feed(bytes(range(trigger - 1)))
        advance(u, clk, 1)
        assert u.read(IIR) & 0x0F != 0x04 or trigger == 1
        be.feed(b"\xff")
        advance(u, clk, 1)
        assert u.read(IIR) == 0xC4, (fcr, trigger)


def test_rx_fifo_holds_16_and_host_input_is_never_lost():
    be = MemoryBackend()
    u, clk, _ = make(be)
    u.write(FCR, 0xC7)
    set_baud(u, 1)  # 115200 baud
    data = bytes(range(256)) * 40
    be.feed(data)
    advance(u, clk, 1)  # the first character starts arriving now
    advance(u, clk, 10**6)
    assert len(u.rx) == 16  # FIFO full, the rest waits on the host side
    got = bytearray()
    while len(got) < len(data):
        while u.read(LSR) & 1:
            got.append(u.read(RBR))
        advance(u, clk, 100)
    assert bytes(got) == data
    assert not u.read(LSR) & 0x02  # no overrun


def test_receive_pacing_one_char_per_char_time():
    be = MemoryBackend()
    u, clk, _ = make(be)
    u.write(FCR, 0x01)
    be.feed(b"abcd")
    u.tick(0)
    per_char = u.char_time()
    assert len(u.rx) == 1
    advance(u, clk, per_char * 2)
    assert len(u.rx) == 3
    assert u.next_event(clk.t) is None       # no interrupt wanted: nobody waits for 'd'
    u.write(IER, 0x01)
    assert u.next_event(clk.t) == per_char * 3


def test_a_halted_guest_is_woken_once_per_fifo_load_not_per_character():
    be = MemoryBackend()
    u, clk, _ = make(be)
    u.write(FCR, 0x81)                       # FIFO, trigger level 8
    u.write(IER, 0x03)
    be.feed(bytes(100))
    u.tick(0)
    per_char = u.char_time()
    assert u.next_event(0) == per_char * 7   # the 8th character reaches the trigger level
    for b in range(16):
        u.write(THR, b)
    start = u.tx_done
    assert u.next_event(0) == per_char * 7   # still the receiver first
    u.write(IER, 0x02)
    assert u.next_event(0) == start + 14 * per_char  # the FIFO's last byte enters the TSR


def test_character_timeout_interrupt():
    be = MemoryBackend()
    u, clk, wire = make(be)
    u.write(FCR, 0xC1)  # trigger 14
    u.write(IER, 0x01)
    u.write(MCR, 0x08)
    be.feed(b"ab")
    u.tick(0)
    advance(u, clk, u.char_time())
    assert len(u.rx) == 2 and u.read(IIR) == 0xC1
    deadline = u.next_event(clk.t)
    assert deadline == u.char_time() + 4 * u.char_time()
    clk.t = deadline
    u.tick(clk.t)
    assert u.read(IIR) == 0xCC and wire[-1]
    u.read(RBR)  # reading resets the timer
    assert u.read(IIR) == 0xC1 and not wire[-1]


def test_thre_interrupt_set_on_enable_and_cleared_by_iir_read():
    u, clk, wire = make(paced=False)
    u.write(MCR, 0x08)
    u.write(IER, 0x02)
    assert wire == [True]
    assert u.read(IIR) == 0x02
    assert u.read(IIR) == 0x01 and wire[-1] is False
    u.write(RBR, 0x41)  # THR empties again into the shift register -> THRE again
    assert u.read(IIR) == 0x02


def test_iir_priority_order():
    u, clk, wire = make(paced=False)
    u.write(MCR, 0x18)  # loopback + OUT2
    u.write(IER, 0x0F)
    u.write(MCR, 0x1A)  # loopback RTS -> CTS: a modem-status delta
    u.write(LCR, 0x43)  # break while looped back: a break character with BI
    u.write(RBR, 0x55)  # THR empties into the shift register: THRE pending
    assert wire[-1] is True
    assert u.read(IIR) == 0x06  # line status first
    lsr = u.read(LSR)
    assert lsr & 0x11 == 0x11 and u.read(LSR) & 0x10 == 0  # BI cleared by the read
    assert u.read(IIR) == 0x04  # then received data
    assert u.read(RBR) == 0x00  # the break character; the looped-back 0x55 waited
    assert u.read(IIR) == 0x04 and u.read(RBR) == 0x55
    assert u.read(IIR) == 0x02  # then THR empty (cleared by this read)
    assert u.read(IIR) == 0x00  # then modem status
    msr = u.read(MSR)
    assert msr & 0x01 and msr & 0x10  # DCTS, CTS
    assert u.read(IIR) == 0x01
    assert wire[-1] is False


def test_break_into_full_receiver_is_an_overrun():
    u, clk, _ = make(paced=False)
    u.write(MCR, 0x10)
    u.write(RBR, 0x41)
    advance(u, clk, 1)
    u.write(IER, 0x04)
    u.write(LCR, 0x43)
    assert u.read(IIR) == 0x06
    assert u.read(LSR) & 0x03 == 0x03
    assert u.read(LSR) & 0x02 == 0 and u.read(RBR) == 0x41


def test_loopback_wires_outputs_to_inputs_and_isolates_backend():
    be = MemoryBackend()
    u, clk, _ = make(be, paced=False)
    u.write(MCR, 0x1F)
    assert (be.dtr, be.rts) == (False, False)
    assert u.read(MSR) & 0xF0 == 0xF0
    u.write(MCR, 0x10)
    msr = u.read(MSR)
    assert msr & 0xF0 == 0 and msr & 0x0F == 0x0F  # DCTS DDSR DDCD and RI's trailing edge
    u.write(RBR, 0x5A)
    advance(u, clk, 1)
    assert u.read(RBR) == 0x5A and be.output == b""


def test_ri_trailing_edge_sets_teri():
    u, _, _ = make()
    u.write(MCR, 0x14)  # loopback, OUT1 -> RI
    u.read(MSR)
    u.write(MCR, 0x10)
    assert u.read(MSR) & 0x0F == 0x04


def test_modem_outputs_and_inputs_with_backend():
    be = MemoryBackend()
    be.modem = (False, False, False, False)
    u, clk, wire = make(be)
    u.write(MCR, 0x0B)
    assert (be.dtr, be.rts) == (True, True)
    u.write(IER, 0x08)
    be.modem = (True, True, True, True)
    advance(u, clk, 1)
    assert u.read(IIR) == 0x00 and wire[-1]
    assert u.read(MSR) == 0xFB
    assert u.read(MSR) == 0xF0


def test_loopback_backend_plug():
    be = LoopbackBackend()
    u, clk, _ = make(be, paced=False)
    u.write(MCR, 0x03)
    assert u.read(MSR) & 0xB0 == 0xB0  # CTS, DSR, DCD from RTS/DTR
    for ch in b"ping":
        u.write(RBR, ch)
        advance(u, clk, 1)
        advance(u, clk, 1)
    got = bytearray()
    u.write(FCR, 0)
    for _ in range(8):
        advance(u, clk, 1)
        if u.read(LSR) & 1:
            got.append(u.read(RBR))
    assert bytes(got) == b"ping"


def test_fifo_control_clears_and_8250_has_no_fifo():
    be = MemoryBackend()
    u, clk, _ = make(be, paced=False)
    u.write(FCR, 0x01)
    be.feed(b"abc")
    advance(u, clk, 1)
    assert len(u.rx) == 3
    u.write(FCR, 0x03)
    assert len(u.rx) == 0
    old, _, _ = make(paced=False, fifo=False)
    old.write(FCR, 0xC7)
    assert old.read(IIR) == 0x01 and not old.fifo_enabled


def test_null_backend_discards_and_uart_via_bus_at_com2():
    bus = PortBus()
    u = UART16550(0x2F8, name="com2", backend=NullBackend(), paced=False)
    bus.attach(u)
    bus.port_write(0x2F8, 0x41)
    u.tick(1)
    assert bus.port_read(0x2FD) == 0x60
    assert bus.owner(0x2FF) == "com2" and bus.owner(0x3F8) is None


def test_state_round_trip_mid_transfer():
    be = MemoryBackend()
    u, clk, wire = make(be)
    u.write(FCR, 0x87)
    u.write(IER, 0x03)
    u.write(MCR, 0x0B)
    set_baud(u, 6)
    be.feed(b"incoming data")
    u.tick(0)
    for ch in b"outgoing":
        u.write(RBR, ch)
    advance(u, clk, u.char_time() * 3)
    state = pickle.loads(pickle.dumps(u.get_state()))
    be2 = MemoryBackend()
    other = UART16550(backend=be2, clock=clk)
    w2 = []
    other.irq = w2.append
    other.set_state(state)
    assert other.get_state() == u.get_state()
    assert be2.line == be.line and (be2.dtr, be2.rts) == (True, True)
    assert w2 == ([True] if u.irq_level else [])
    for _ in range(40):
        advance(u, clk, 500)
        other.tick(clk.t)
    assert be2.output == be.output[len(be.output) - len(be2.output):]
    rx_a = [u.read(RBR) for _ in range(8)]
    rx_b = [other.read(RBR) for _ in range(8)]
    assert rx_a == rx_b
