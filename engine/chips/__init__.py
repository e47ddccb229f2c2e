"""Standalone XT-class chips: each knows nothing of the PC; the machine wires them.

Contract (engine/chips/base.py's Chip): ``PORTS``, ``read(port, width=1)``, ``write(port, value,
width=1)``, ``tick(now)``, ``next_event(now)``, ``reset()``, ``get_state()``/``set_state()``
(plain data), output wires that are plain callables set by the machine. Time is virtual, in
PIT input clocks (``engine.chips.base.PIT_HZ`` = 1,193,182 per second). Every time-aware chip
takes ``clock=`` (a callable returning "now" during an IN/OUT); pass the machine's
instruction-derived clock so polling loops see time move.

Modules: bus (engine/bus.py) · i8259 PIC · i8253 PIT · keyboard + scancodes · i8255 XT PPI ·
crtc6845 + cga + mda + textscreen/cp437 (engine/video.py re-exports TextScreen) · ns16550
UART + serial_backend · debugport (QEMU isa-debug-exit / debugcon).

Wiring an XT (what engine/machine.py does; tests/engine/chips/test_wiring.py runs it):

    bus = PortBus()
    pic = PIC8259(0x20);            pic.intr = cpu.set_intr;  cpu.inta = pic.acknowledge
    pit = PIT8253(0x40, clock=now); pit.irq0 = pic.wire(0)
    kbd = XTKeyboard(clock=now);    kbd.irq = pic.wire(1)
    ppi = XTSystemPPI(0x60, switches=sw, keyboard=kbd, timer=pit)
    video = CGA(clock=now) or MDA(clock=now)
    com1 = UART16550(0x3F8, clock=now, backend=..., name="com1"); com1.irq = pic.wire(4)
    com2 = UART16550(0x2F8, clock=now, backend=..., name="com2"); com2.irq = pic.wire(3)
    dbg = DebugPorts(on_exit=machine_exit, sink=debug_out)
    for dev in (pic, pit, ppi, video, com1, com2, dbg): bus.attach(dev)
    cpu.io = bus
    # run loop: t_next = min(d.next_event(t) for d in (pit, kbd, com1, com2) if not None);
    #           run the CPU up to t_next; then d.tick(t_next) for each; repeat.
    #           Tick kbd/UARTs at least every few ms even without events (host input).
    screen = video.text_screen(cpu.mem)   # engine.video.TextScreen
"""
