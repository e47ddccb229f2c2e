"""National 8250/16550A UART with FIFOs, paced in virtual time, talking to a backend.

Registers (offset from ``base``): 0 RBR/THR (DLL when LCR.DLAB), 1 IER (DLM), 2 IIR/FCR,
3 LCR, 4 MCR, 5 LSR, 6 MSR, 7 SCR. Interrupts follow the datasheet's priorities, which real
drivers depend on when they loop on IIR: line status (OE/PE/FE/BI) > received data (FIFO at
trigger level) or character timeout (FIFO holds data and nothing moved for 4 character times)
> THR empty > modem status (delta bits). Reading IIR while it shows THR-empty clears that
source, as does writing THR; reading LSR clears the error bits; reading MSR clears the deltas.
On the PC the INTR pin reaches the bus only through MCR OUT2 (``out2_gates_irq=True``).

Timing: a character takes (start + data + parity + stop bits) x divisor x 16 / 1.8432 MHz,
converted to PIT clocks. Transmitted bytes leave the shift register after that time and go to
``backend.write``; when the backend refuses (busy) the byte stays in the shift register and the
FIFO backs up, so the guest sees LSR.THRE/TEMT clear instead of bytes vanishing. Received bytes
enter the RX FIFO at most one per character time and only while it has room: input from the
host is never dropped (so, unlike the chip, an overrun never happens; a driver sees its data
late instead of lost). ``paced=False`` moves bytes without character delays.

MCR loopback (bit 4) wires TX to RX and RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD internally,
the outputs to the backend go inactive, and a break (LCR bit 6) is received as a break
character (LSR.BI, a line-status interrupt), as on the 16550A.

API:
    uart = UART16550(base=0x3F8, backend=None, clock=None, fifo=True, paced=True,
                     out2_gates_irq=True, name="com1")
    uart.irq = pic.wire(4)          # level of the (OUT2-gated) interrupt line
    uart.backend = MemoryBackend()  # may be swapped at run time (attach/detach a peer)
    uart.tick(now) ; uart.next_event(now) ; reset() ; get_state() ; set_state()
``fifo=False`` gives an 8250/16450: 1-byte buffers, FCR ignored, IIR bits 7-6 zero.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from engine.chips.base import PIT_HZ, Chip, Clock, Wire, _no_wire
from engine.chips.serial_backend import NullBackend, SerialBackend

UART_HZ = 115_200  # 1.8432 MHz / 16: baud rate at divisor 1
FIFO_DEPTH = 16
TRIGGERS = (1, 4, 8, 14)
ERR_BITS = 0x1E  # OE PE FE BI
LSR_DR, LSR_OE, LSR_BI, LSR_THRE, LSR_TEMT, LSR_FIFOERR = 0x01, 0x02, 0x10, 0x20, 0x40, 0x80
IIR_NONE, IIR_MS, IIR_THRE, IIR_RDA, IIR_RLS, IIR_TIMEOUT = 0x01, 0x00, 0x02, 0x04, 0x06, 0x0C
HOST_BUFFER = 4096  # poll the backend only while fewer bytes than this wait on our side


class UART16550(Chip):
    """8250/16550A (see the module docstring)."""

    def __init__(
        self,
        base: int = 0x3F8,
        *,
        backend: SerialBackend | None = None,
        clock: Clock | None = None,
        fifo: bool = True,
        paced: bool = True,
        out2_gates_irq: bool = True,
        name: str = "com1",
    ) -> None:
        super().__init__(clock=clock)
        self.base = base
        self.name = name
        self.PORTS = [(base, base + 7)]
        self.has_fifo = fifo
        self.paced = paced
        self._step_key, self._step = -1, 0
        self.out2_gates_irq = out2_gates_irq
        self.backend: SerialBackend = backend if backend is not None else NullBackend()
        self.irq: Wire = _no_wire
        self._irq_level = False
        self.reset()

    # -- lifecycle ----------------------------------------------------------------------
    def reset(self) -> None:
        self.ier = 0
        self.lcr = 0x03
        self.mcr = 0
        self.scr = 0
        self.divisor = 12  # 9600 baud
        self.fifo_enabled = False
        self.trigger = 1
        self.rx: deque[list[int]] = deque()  # [byte, error bits] per received character
        self.tx: deque[int] = deque()
        self.tsr = -1  # byte in the transmit shift register, or -1
        self.tx_done = 0  # when the shift register finishes the byte
        self.rx_pending: deque[int] = deque()  # from the backend, not yet "on the wire"
        self.rx_next = 0  # earliest time the next character may arrive
        self.rx_activity = 0  # last time the RX FIFO was read or written (timeout)
        self.lsr_sticky = 0  # OE, sticky until LSR read
        self.thre_int = False
        self.msr_inputs = 0  # bits 4-7 as last sampled
        self.msr_delta = 0
        self._sample_modem()
        self.msr_delta = 0  # bits 0-3; lines already active at reset are not changes
        self._update_irq()

    # -- timing helpers -------------------------------------------------------------------
    def char_bits(self) -> int:
        bits = 1 + 5 + (self.lcr & 3) + (1 if self.lcr & 0x08 else 0)
        return bits + (2 if self.lcr & 0x04 else 1)

    def char_time(self) -> int:
        """PIT clocks per character at the current line settings (at least 1); cached, as
        drivers touch the ports several times per character."""
        key = (self.lcr & 0x0F) | (self.divisor << 4)
        if key != self._step_key:
            self._step_key = key
            self._step = 0 if not self.paced else max(
                1, self.char_bits() * max(self.divisor, 1) * PIT_HZ // UART_HZ)
        return self._step

    @property
    def loopback(self) -> bool:
        return bool(self.mcr & 0x10)

    def _rx_capacity(self) -> int:
        return FIFO_DEPTH if self.fifo_enabled else 1

    # -- time ---------------------------------------------------------------------------
    def tick(self, now: int) -> None:
        super().tick(now)
        self._advance(now)

    def _advance(self, now: int) -> None:
        self._run_tx(now)
        if not self.loopback and len(self.rx_pending) < HOST_BUFFER:
            data = self.backend.read()
            if data:
                if not self.rx_pending and self.rx_next < now:
                    self.rx_next = now
                self.rx_pending.extend(data)
        self._run_rx(now)
        self._sample_modem()
        self._update_irq(now)

    def _run_tx(self, now: int) -> None:
        step = self.char_time()
        while self.tsr >= 0 and now >= self.tx_done:
            if self.loopback:
                if not self.rx_pending and self.rx_next < self.tx_done:
                    self.rx_next = self.tx_done
                self.rx_pending.append(self.tsr)
            elif self.backend.write(bytes([self.tsr])) < 1:
                # The peer is busy: hold the byte; try again one character time later.
                self.tx_done = now + max(step, 1)
                return
            self.tsr = -1
            if self.tx:
                self.tsr = self.tx.popleft()
                self.tx_done += step
                if not self.tx:
                    self.thre_int = True
            else:
                self.tx_done = now

    def _start_tx(self, now: int) -> None:
        if self.tsr < 0 and self.tx:
            self.tsr = self.tx.popleft()
            self.tx_done = now + self.char_time()
        if not self.tx:
            self.thre_int = True

    def _run_rx(self, now: int) -> None:
        if not self.rx_pending or now < self.rx_next:
            return
        step = self.char_time()
        cap = self._rx_capacity()
        while self.rx_pending and len(self.rx) < cap and now >= self.rx_next:
            self.rx.append([self.rx_pending.popleft(), 0])
            self.rx_activity = self.rx_next if self.paced else now
            self.rx_next += step

    def _timeout_at(self) -> int | None:
        if not (self.fifo_enabled and self.rx) or not self.paced:
            return None
        return self.rx_activity + 4 * self.char_time()

    def next_event(self, now: int) -> int | None:
        """The next moment a halted guest could care about: an interrupt condition, or the
        last byte leaving. Bytes in between move when that moment (or any port access) comes:
        one wake-up per FIFO load instead of one per character."""
        times = []
        step = self.char_time()
        if self.tsr >= 0:
            # THR empty (the FIFO's last byte enters the shift register), else the last byte out
            times.append(self.tx_done + (len(self.tx) - 1) * step if self.tx else self.tx_done)
        room = self._rx_capacity() - len(self.rx)
        if self.rx_pending and room > 0 and self.ier & 1:
            level = self.trigger if self.fifo_enabled else 1
            count = min(max(level - len(self.rx), 1), len(self.rx_pending), room)
            times.append(self.rx_next + (count - 1) * step)
        elif self.ier & 1:              # nothing more arriving: the character timeout
            t = self._timeout_at()
            if t is not None and t > now:
                times.append(t)
        return max(min(times), now) if times else None

    def received_at(self) -> int | None:
        """When the next byte from the host enters the receiver, if one is on its way (the
        BIOS's receive wait sleeps until then)."""
        return self.rx_next if self.rx_pending else None

    # -- modem lines ----------------------------------------------------------------------
    def _sample_modem(self) -> None:
        if self.loopback:
            m = self.mcr
            bits = ((m & 2) << 3) | ((m & 1) << 5) | ((m & 4) << 4) | ((m & 8) << 4)
        else:
            cts, dsr, ri, dcd = self.backend.get_modem()
            bits = (0x10 if cts else 0) | (0x20 if dsr else 0) | (0x40 if ri else 0)
            bits |= 0x80 if dcd else 0
        changed = bits ^ self.msr_inputs
        if changed:
            delta = ((changed >> 4) & 0x0B)
            if changed & 0x40 and not bits & 0x40:
                delta |= 0x04  # trailing edge of RI
            self.msr_delta |= delta
            self.msr_inputs = bits

    def _push_modem_outputs(self) -> None:
        if self.loopback:
            self.backend.set_modem(False, False)
        else:
            self.backend.set_modem(bool(self.mcr & 1), bool(self.mcr & 2))

    def _push_line(self) -> None:
        lcr = self.lcr
        parity = "N"
        if lcr & 0x08:
            parity = ("O", "E", "M", "S")[(lcr >> 4) & 3]
        self.backend.set_line(UART_HZ // max(self.divisor, 1), 5 + (lcr & 3), parity,
                              2 if lcr & 0x04 else 1)

    # -- interrupts ---------------------------------------------------------------------
    def _lsr(self) -> int:
        value = self.lsr_sticky
        if self.rx:
            value |= LSR_DR | self.rx[0][1]
            if self.fifo_enabled and any(e for _, e in self.rx):
                value |= LSR_FIFOERR
        if not self.tx:
            value |= LSR_THRE
            if self.tsr < 0:
                value |= LSR_TEMT
        return value

    def _iir_id(self, now: int) -> int:
        ier = self.ier
        if ier & 4 and self._lsr() & ERR_BITS:
            return IIR_RLS
        if ier & 1 and self.rx:
            if len(self.rx) >= (self.trigger if self.fifo_enabled else 1):
                return IIR_RDA
            t = self._timeout_at()
            if t is not None and now >= t:
                return IIR_TIMEOUT
        if ier & 2 and self.thre_int:
            return IIR_THRE
        if ier & 8 and self.msr_delta:
            return IIR_MS
        return IIR_NONE

    def _update_irq(self, now: int | None = None) -> None:
        pending = self._iir_id(self.now() if now is None else now) != IIR_NONE
        level = pending and (bool(self.mcr & 0x08) or not self.out2_gates_irq)
        if level != self._irq_level:
            self._irq_level = level
            self.irq(level)

    @property
    def irq_level(self) -> bool:
        return self._irq_level

    # -- ports --------------------------------------------------------------------------
    def _access(self, port: int) -> tuple[int, int, int]:
        """Catch up to the time of this IN/OUT; return (now, register, DLAB bit). The backend
        is polled on ticks only: a driver's burst of port accesses stays cheap."""
        now = self.now()
        self._run_tx(now)
        self._run_rx(now)
        return now, (port - self.base) & 7, self.lcr & 0x80

    def read(self, port: int, width: int = 1) -> int:
        now, reg, dlab = self._access(port)
        if reg == 0:
            if dlab:
                return self.divisor & 0xFF
            value = 0
            if self.rx:
                value = self.rx.popleft()[0]
                self.rx_activity = now
                self._run_rx(now)
        elif reg == 1:
            value = (self.divisor >> 8) if dlab else self.ier
        elif reg == 2:
            ident = self._iir_id(now)
            if ident == IIR_THRE:
                self.thre_int = False
            value = ident | (0xC0 if self.fifo_enabled else 0)
        elif reg == 3:
            value = self.lcr
        elif reg == 4:
            value = self.mcr
        elif reg == 5:
            value = self._lsr()
            self.lsr_sticky = 0
            if self.rx:
                self.rx[0][1] = 0
        elif reg == 6:
            self._sample_modem()
            value = self.msr_inputs | self.msr_delta
            self.msr_delta = 0
        else:
            value = self.scr
        self._update_irq(now)
        return value

    def write(self, port: int, value: int, width: int = 1) -> None:
        value &= 0xFF
        now, reg, dlab = self._access(port)
        if reg == 0:
            if dlab:
                self.divisor = (self.divisor & 0xFF00) | value
                self._push_line()
            else:
                self._write_thr(value, now)
        elif reg == 1:
            if dlab:
                self.divisor = (self.divisor & 0xFF) | (value << 8)
                self._push_line()
            else:
                if value & 2 and not self.ier & 2 and not self.tx:
                    self.thre_int = True  # enabling ETBEI with THR empty interrupts at once
                self.ier = value & 0x0F
        elif reg == 2:
            self._write_fcr(value)
        elif reg == 3:
            old = self.lcr
            self.lcr = value
            if (old ^ value) & 0x3F:
                self._push_line()
            if (old ^ value) & 0x40:
                self._set_break(bool(value & 0x40))
        elif reg == 4:
            old = self.mcr
            self.mcr = value & 0x1F
            if (old ^ self.mcr) & 0x13:
                self._push_modem_outputs()
            self._sample_modem()
        elif reg == 7:
            self.scr = value
        self._update_irq(now)
        if reg <= 2 or reg == 4:
            self.rescheduled()          # a byte to send, or interrupts newly enabled

    def _write_thr(self, value: int, now: int) -> None:
        self.thre_int = False
        limit = FIFO_DEPTH if self.fifo_enabled else 1
        if len(self.tx) >= limit:
            if not self.fifo_enabled:
                self.tx[-1] = value  # the 8250's THR is simply overwritten
            return  # a full FIFO drops the byte, as the chip does
        self.tx.append(value)
        self._start_tx(now)

    def _write_fcr(self, value: int) -> None:
        if not self.has_fifo:
            return
        enable = bool(value & 1)
        if enable != self.fifo_enabled:
            self.rx.clear()
            self.tx.clear()
            self.fifo_enabled = enable
        if not enable:
            return
        if value & 0x02:
            self.rx.clear()
            self.lsr_sticky = 0
        if value & 0x04:
            self.tx.clear()
            self.thre_int = True
        self.trigger = TRIGGERS[value >> 6]

    def _set_break(self, on: bool) -> None:
        if self.loopback:
            if on:
                if len(self.rx) < self._rx_capacity():
                    self.rx.append([0, LSR_BI])
                    self.rx_activity = self.now()
                else:
                    self.lsr_sticky |= LSR_OE  # no room: the break character overruns
        else:
            self.backend.set_break(on)

    # -- state --------------------------------------------------------------------------
    _SCALARS = (
        "ier", "lcr", "mcr", "scr", "divisor", "fifo_enabled", "trigger", "tsr", "tx_done",
        "rx_next", "rx_activity", "lsr_sticky", "thre_int", "msr_inputs", "msr_delta",
        "_tick_time", "_irq_level",
    )

    def get_state(self) -> dict[str, Any]:
        state = {k: getattr(self, k) for k in self._SCALARS}
        state["rx"] = [list(e) for e in self.rx]
        state["tx"] = list(self.tx)
        state["rx_pending"] = bytes(self.rx_pending)
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        level = self._irq_level
        for k in self._SCALARS:
            setattr(self, k, state[k])
        self.rx = deque([list(e) for e in state["rx"]])
        self.tx = deque(state["tx"])
        self.rx_pending = deque(state["rx_pending"])
        want, self._irq_level = self._irq_level, level
        if want != level:
            self._irq_level = want
            self.irq(want)
        self._push_line()
        self._push_modem_outputs()
