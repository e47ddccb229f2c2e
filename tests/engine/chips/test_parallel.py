"""The parallel printer adapter: registers, the STROBE/BUSY/ACK handshake, back-pressure."""

from engine.chips.parallel import ACK_TIME, BUSY_TIME, ParallelPort
from engine.chips.serial_backend import MemoryBackend, NullBackend

BASE = 0x378


def make(backend=None):
    t = [0]
    lpt = ParallelPort(BASE, backend=backend if backend is not None else MemoryBackend(),
                       clock=lambda: t[0])
    irqs = []
    lpt.irq = irqs.append
    return lpt, t, irqs


def strobe(lpt, byte):
    lpt.write(BASE, byte)
    lpt.write(BASE + 2, 0x0D)
    lpt.write(BASE + 2, 0x0C)


def test_idle_printer_reads_ready_selected_no_error():
    lpt, _, _ = make()
    assert lpt.read(BASE + 1) == 0xDF
    assert lpt.read(BASE + 2) == 0xEC           # /INIT high, SELECT IN, bits 5-7 read 1
    lpt.write(BASE, 0x5A)
    assert lpt.read(BASE) == 0x5A               # the data latch reads back


def test_handshake_busy_then_ack_then_ready():
    backend = MemoryBackend()
    lpt, t, irqs = make(backend)
    strobe(lpt, ord("A"))
    assert backend.output == b"A"
    seen = []
    for clock in range(0, BUSY_TIME + ACK_TIME + 3):
        t[0] = clock
        s = lpt.read(BASE + 1)
        seen.append((bool(s & 0x80), bool(s & 0x40)))
    assert seen[0] == (False, True)                       # busy, no ack yet
    assert (False, False) in seen                         # the /ACK pulse, still busy
    assert seen[-1] == (True, True)                       # ready again
    assert irqs == []                                     # IRQ enable (bit 4) is off


def test_ack_interrupts_when_enabled():
    lpt, t, irqs = make()
    lpt.write(BASE, 0x41)
    lpt.write(BASE + 2, 0x1D)
    lpt.write(BASE + 2, 0x1C)
    assert lpt.next_event(0) == BUSY_TIME + ACK_TIME
    t[0] = 100
    lpt.tick(100)
    assert irqs == [True, False]
    assert lpt.next_event(100) is None


def test_full_backend_keeps_the_printer_busy_and_loses_nothing():
    backend = MemoryBackend(capacity=2)
    lpt, t, _ = make(backend)
    for i, ch in enumerate(b"xyz"):
        t[0] += 1000
        assert lpt.read(BASE + 1) & 0x80 or i == 2
        strobe(lpt, ch)
    t[0] += 1000
    assert not lpt.read(BASE + 1) & 0x80                 # the third byte waits
    strobe(lpt, ord("!"))                                # a strobe while busy is ignored
    assert backend.drain() == b"xy"
    t[0] += 1000
    lpt.tick(t[0])
    t[0] += 1000
    assert lpt.read(BASE + 1) & 0x80
    assert backend.drain() == b"z"
    assert lpt.printed == 3


def test_no_printer_floats_high_and_strobes_go_nowhere():
    lpt, _, _ = make(NullBackend())
    assert lpt.read(BASE + 1) == 0x7F
    strobe(lpt, 0x41)
    assert lpt.printed == 0


def test_init_pulse_resets_the_printer():
    lpt, t, _ = make()
    lpt.write(BASE + 2, 0x08)
    assert not lpt.read(BASE + 1) & 0x80
    t[0] = 1000
    assert lpt.read(BASE + 1) == 0xDF
