"""The chips wired together the way a machine does it, driven by a tiny event loop.

This is the contract check between the chips and engine/machine.py: interrupt wires, the PPI's
collaborators, the port bus, and `next_event`/`tick` scheduling compose into working timer
and keyboard interrupts, with a Python stand-in for the CPU and the BIOS handlers.
"""

from engine.bus import PortBus
from engine.chips.base import PIT_HZ
from engine.chips.debugport import DebugPorts
from engine.chips.i8253 import PIT8253
from engine.chips.i8255 import XTSystemPPI
from engine.chips.i8259 import PIC8259
from engine.chips.keyboard import XTKeyboard
from engine.chips.ns16550 import UART16550
from engine.chips.scancodes import text_to_scancodes
from engine.chips.serial_backend import MemoryBackend


class Board:
    def __init__(self):
        self.now = 0
        clock = lambda: self.now  # noqa: E731
        self.intr = False
        self.bus = PortBus()
        self.pic = PIC8259()
        self.pit = PIT8253(clock=clock)
        self.kbd = XTKeyboard(clock=clock)
        self.ppi = XTSystemPPI(keyboard=self.kbd, timer=self.pit)
        self.com1 = UART16550(0x3F8, clock=clock, backend=MemoryBackend(), name="com1")
        self.exit_codes = []
        self.debug = DebugPorts(on_exit=self.exit_codes.append)
        self.pic.intr = self._set_intr
        self.pit.irq0 = self.pic.wire(0)
        self.kbd.irq = self.pic.wire(1)
        self.com1.irq = self.pic.wire(4)
        for dev in (self.pic, self.pit, self.ppi, self.com1, self.debug):
            self.bus.attach(dev)
        self.timed = (self.pit, self.kbd, self.com1)
        self.ticks = 0
        self.keys = []
        self.serial_in = bytearray()

    def _set_intr(self, level):
        self.intr = level

    # The "BIOS": what POST and the INT 8/9 handlers do with the hardware.
    def post(self):
        out = self.bus.port_write
        out(0x20, 0x13)
        out(0x21, 0x08)
        out(0x21, 0x09)
        out(0x21, 0x00)
        out(0x43, 0x36)
        out(0x40, 0x00)
        out(0x40, 0x00)

    def int8(self):
        self.ticks += 1
        self.bus.port_write(0x20, 0x20)

    def int9(self):
        code = self.bus.port_read(0x60)
        b = self.bus.port_read(0x61)
        self.bus.port_write(0x61, b | 0x80)
        self.bus.port_write(0x61, b)
        self.keys.append(code)
        self.bus.port_write(0x20, 0x20)

    def int12(self):
        while not self.bus.port_read(0x3FA) & 1:  # loop until IIR says nothing pending
            if self.bus.port_read(0x3FD) & 1:
                self.serial_in.append(self.bus.port_read(0x3F8))
        self.bus.port_write(0x20, 0x20)

    def run_until(self, end):
        while self.now < end:
            events = [e for d in self.timed if (e := d.next_event(self.now)) is not None]
            self.now = min([end] + events)
            for dev in self.timed:
                dev.tick(self.now)
            while self.intr:
                vector = self.pic.acknowledge()
                {0x08: self.int8, 0x09: self.int9, 0x0C: self.int12}[vector]()
                self.now += 100  # the handler's running time


def test_timer_interrupt_rate_is_18_2_hz():
    board = Board()
    board.post()
    board.run_until(PIT_HZ * 2)
    assert board.ticks in (36, 37)


def test_typed_text_arrives_through_int9_alongside_the_timer():
    board = Board()
    board.post()
    text = "DIR C:\\ /W\n" * 50
    board.kbd.type_text(text)
    board.run_until(PIT_HZ * 5)
    assert board.keys == text_to_scancodes(text)
    assert board.ticks >= 90


def test_serial_interrupt_reaches_the_pic_when_out2_set():
    board = Board()
    board.post()
    out = board.bus.port_write
    out(0x3F9, 0x01)  # IER: received data
    out(0x3FC, 0x08)  # OUT2
    board.com1.backend.feed(b"hello, guest")
    board.run_until(PIT_HZ // 10)
    assert bytes(board.serial_in) == b"hello, guest"
    assert board.pic.isr == 0


def test_debug_exit_through_bus():
    board = Board()
    board.bus.port_write(0xF4, 0x2A)
    assert board.exit_codes == [0x55]
