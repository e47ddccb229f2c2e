"""CPU behaviour the single-step vectors do not cover: interrupts, traps, HLT, I/O, REP resume."""

from engine.cpu import CPU


def load(cpu: CPU, code: bytes, cs: int = 0x1000, ip: int = 0x100) -> None:
    base = (cs << 4) + ip
    cpu.mem[base:base + len(code)] = code
    cpu.set_reg("cs", cs)
    cpu.set_reg("ip", ip)
    cpu.set_reg("ss", 0x2000)
    cpu.set_reg("sp", 0x1000)


def set_vector(cpu: CPU, n: int, seg: int, off: int) -> None:
    cpu.mem[n * 4:n * 4 + 4] = bytes([off & 0xFF, off >> 8, seg & 0xFF, seg >> 8])


def test_fresh_cpu_has_zeroed_megabyte():
    cpu = CPU()
    assert len(cpu.mem) == 1 << 20
    assert not any(cpu.mem[:1 << 20])


def test_unknown_register_name_is_a_clear_error():
    cpu = CPU()
    try:
        cpu.set_reg("eax", 1)
    except ValueError as exc:
        assert "eax" in str(exc)
    else:
        raise AssertionError("expected ValueError")


def test_hardware_interrupt_taken_between_instructions_when_if_set():
    cpu = CPU()
    load(cpu, bytes([0xFB, 0x90, 0x90, 0x90]))        # STI; NOP; NOP; NOP
    set_vector(cpu, 0x08, 0x3000, 0x0010)
    cpu.mem[0x30010] = 0xF4                           # handler: HLT
    acks = []
    cpu.inta = lambda: acks.append(1) or 0x08
    cpu.set_intr(True)
    cpu.step()                                        # STI
    assert cpu.get_reg("ip") == 0x101
    cpu.step()                                        # shadow: NOP runs before the interrupt
    assert cpu.get_reg("ip") == 0x102 and not acks
    cpu.step()                                        # interrupt taken, then handler's HLT
    assert acks == [1]
    assert cpu.get_reg("cs") == 0x3000
    # Return address pushed is the interrupted instruction.
    sp = cpu.get_reg("sp")
    ret_ip = cpu.mem[0x20000 + sp] | cpu.mem[0x20000 + sp + 1] << 8
    assert ret_ip == 0x102
    assert cpu.get_reg("flags") & 0x200 == 0           # IF cleared in the handler


def test_interrupt_not_taken_with_if_clear():
    cpu = CPU()
    load(cpu, bytes([0x90] * 4))
    cpu.inta = lambda: 0x08
    cpu.set_intr(True)
    assert cpu.run(4) == 4
    assert cpu.get_reg("ip") == 0x104


def test_mov_ss_shadow_blocks_interrupt_for_one_instruction():
    cpu = CPU()
    load(cpu, bytes([0x8E, 0xD0, 0x90, 0x90]))        # MOV SS,AX; NOP; NOP
    cpu.set_reg("ax", 0x2000)
    cpu.set_reg("flags", 0x0200)
    set_vector(cpu, 0x08, 0x3000, 0)
    cpu.mem[0x30000] = 0xF4
    cpu.inta = lambda: 0x08
    cpu.step()
    cpu.set_intr(True)
    cpu.step()                                        # the NOP in the shadow
    assert cpu.get_reg("cs") == 0x1000 and cpu.get_reg("ip") == 0x103
    cpu.step()
    assert cpu.get_reg("cs") == 0x3000


def test_hlt_waits_and_wakes_on_interrupt():
    cpu = CPU()
    load(cpu, bytes([0xFB, 0xF4, 0x90]))              # STI; HLT; NOP
    set_vector(cpu, 0x08, 0x3000, 0)
    cpu.mem[0x30000] = 0xCF                           # IRET
    cpu.inta = lambda: 0x08
    assert cpu.run(10) == 2
    assert cpu.halted
    assert cpu.run(10) == 0                           # nothing to wake it
    cpu.set_intr(True)
    cpu.step()                                        # wakes, runs IRET
    cpu.set_intr(False)
    assert not cpu.halted
    assert cpu.get_reg("cs") == 0x1000 and cpu.get_reg("ip") == 0x102


def test_hlt_with_if_clear_only_nmi_wakes():
    cpu = CPU()
    load(cpu, bytes([0xF4, 0x90]))
    set_vector(cpu, 0x02, 0x3000, 0)
    cpu.mem[0x30000] = 0xF4
    cpu.inta = lambda: 0x08
    cpu.run(5)
    cpu.set_intr(True)
    assert cpu.run(5) == 0 and cpu.halted
    cpu.nmi()
    cpu.run(1)
    assert cpu.get_reg("cs") == 0x3000


def test_single_step_trap_after_the_instruction_following_popf():
    cpu = CPU()
    # PUSH 0x0100 via AX; POPF (sets TF); NOP (traps after it); NOP
    load(cpu, bytes([0x50, 0x9D, 0x90, 0x90]))
    cpu.set_reg("ax", 0x0100)
    set_vector(cpu, 0x01, 0x3000, 0)
    cpu.mem[0x30000] = 0xF4
    cpu.step()
    cpu.step()                                        # POPF: TF now set, no trap yet
    assert cpu.get_reg("cs") == 0x1000
    cpu.step()                                        # NOP, then INT 1
    assert cpu.get_reg("cs") == 0x3000
    sp = cpu.get_reg("sp")
    assert cpu.mem[0x20000 + sp] == 0x03              # return to the second NOP
    assert cpu.get_reg("flags") & 0x100 == 0          # TF cleared in the handler


def test_single_step_trap_skips_the_instruction_after_mov_ss():
    cpu = CPU()
    # MOV SS, AX (opens a shadow: no trap after it); NOP (traps after it); NOP
    load(cpu, bytes([0x8E, 0xD0, 0x90, 0x90]))
    cpu.set_reg("ax", 0x2000)
    cpu.set_reg("flags", 0x0102)
    set_vector(cpu, 0x01, 0x3000, 0)
    cpu.mem[0x30000] = 0xF4
    assert cpu.run(2) == 2                            # MOV SS, then NOP and its trap
    assert cpu.get_reg("cs") == 0x3000
    sp = cpu.get_reg("sp")
    assert cpu.mem[0x20000 + sp] == 0x03              # return to the second NOP
    cpu2 = CPU()
    load(cpu2, bytes([0x8E, 0xD0, 0x90, 0x90]))
    cpu2.set_reg("ax", 0x2000)
    cpu2.set_reg("flags", 0x0102)
    set_vector(cpu2, 0x01, 0x3000, 0)
    cpu2.step()                                       # MOV SS alone: no trap
    assert cpu2.get_reg("cs") == 0x1000 and cpu2.get_reg("ip") == 0x102


def test_single_step_trap_follows_hlt_and_the_cpu_stays_halted():
    cpu = CPU()
    load(cpu, bytes([0xF4, 0x90]))
    cpu.set_reg("flags", 0x0102)
    set_vector(cpu, 0x01, 0x3000, 0)
    assert cpu.step() == 1
    assert cpu.get_reg("cs") == 0x3000                # the trap was taken after HLT
    assert cpu.halted
    assert cpu.run(10) == 0                           # and nothing runs until an interrupt


def test_divide_error_pushes_next_instruction():
    cpu = CPU()
    load(cpu, bytes([0xF6, 0xF3, 0x90]))              # DIV BL with BL=0
    set_vector(cpu, 0x00, 0x3000, 0)
    cpu.step()
    assert cpu.get_reg("cs") == 0x3000
    sp = cpu.get_reg("sp")
    assert cpu.mem[0x20000 + sp] == 0x02


def test_rep_string_interrupted_resumes_with_all_prefixes():
    cpu = CPU()
    # STI; CS: REP MOVSB; HLT. The interrupt is pending from the start: STI's shadow lets the
    # string instruction begin, and it must yield to INTR after one iteration.
    load(cpu, bytes([0xFB, 0x2E, 0xF3, 0xA4, 0xF4]))
    cpu.set_reg("cx", 100)
    cpu.set_reg("si", 0x200)
    cpu.set_reg("di", 0)
    cpu.set_reg("es", 0x4000)
    src = 0x10000 + 0x200
    cpu.mem[src:src + 100] = bytes(range(100))
    set_vector(cpu, 0x08, 0x3000, 0)
    cpu.mem[0x30000] = 0xCF                           # IRET
    fired = []

    def inta():
        fired.append(cpu.get_reg("cx"))
        cpu.set_intr(False)
        return 0x08

    cpu.inta = inta
    cpu.set_intr(True)
    cpu.step()                                        # STI
    cpu.step()                                        # one iteration, then yields to INTR
    assert cpu.get_reg("cx") == 99
    assert cpu.get_reg("ip") == 0x101                 # back on the first prefix
    cpu.step()                                        # interrupt entry + IRET
    assert fired == [99]
    assert cpu.get_reg("ip") == 0x101
    cpu.run(1000)
    assert cpu.get_reg("cx") == 0
    assert bytes(cpu.mem[0x40000:0x40000 + 100]) == bytes(range(100))   # CS: override kept
    assert cpu.halted


def test_rep_prefix_negates_imul_product():
    cpu = CPU()
    load(cpu, bytes([0xF3, 0xF6, 0xEB]))              # REP IMUL BL
    cpu.set_reg("ax", 5)
    cpu.set_reg("bx", 3)
    cpu.step()
    assert cpu.get_reg("ax") == (-15) & 0xFFFF


def test_pop_cs_and_alias_jcc():
    cpu = CPU()
    load(cpu, bytes([0x68, 0x02, 0x90, 0x90, 0x0F]))  # 68 = alias of JS (not taken), then POP CS
    cpu.set_reg("flags", 0)
    cpu.step()
    assert cpu.get_reg("ip") == 0x102
    cpu.set_reg("ip", 0x104)
    sp = cpu.get_reg("sp")
    cpu.mem[0x20000 + sp:0x20000 + sp + 2] = b"\x34\x12"
    cpu.step()
    assert cpu.get_reg("cs") == 0x1234


def test_addresses_wrap_at_one_megabyte_and_in_segment():
    cpu = CPU()
    load(cpu, bytes([0xA1, 0xFF, 0xFF]))              # MOV AX,[FFFF]
    cpu.set_reg("ds", 0xFFFF)                         # FFFF:FFFF = 10FFEF -> 0FFEF
    cpu.mem[0x0FFEF] = 0x34
    cpu.mem[0xFFFF0] = 0x12                           # high byte from offset 0 of the segment
    cpu.step()
    assert cpu.get_reg("ax") == 0x1234


def test_ports_read_ff_without_devices_and_go_through_io():
    cpu = CPU()
    load(cpu, bytes([0xE4, 0x60, 0xED, 0xE6, 0x80, 0xEF]))   # IN AL,60; IN AX,DX; OUT 80,AL; OUT DX,AX
    cpu.run(2)
    assert cpu.get_reg("ax") == 0xFFFF

    class IO:
        log: list = []

        def port_read(self, port, width):
            self.log.append(("r", port, width))
            return 0x1234

        def port_write(self, port, value, width):
            self.log.append(("w", port, value, width))

    io = IO()
    cpu.io = io
    cpu.set_reg("dx", 0x3F8)
    cpu.set_reg("ip", 0x100)
    cpu.run(4)
    assert io.log == [("r", 0x60, 1), ("r", 0x3F8, 2), ("w", 0x80, 0x34, 1),
                      ("w", 0x3F8, 0x1234, 2)]


def test_io_callback_error_surfaces_from_run():
    cpu = CPU()
    load(cpu, bytes([0xE4, 0x60, 0x90]))

    class Broken:
        def port_read(self, port, width):
            raise RuntimeError("device exploded")

    cpu.io = Broken()
    try:
        cpu.run(5)
    except RuntimeError as exc:
        assert "exploded" in str(exc)
    else:
        raise AssertionError("expected the device error")


def test_write_protect_ignores_rom_writes():
    cpu = CPU()
    cpu.write_protect(0xF0000, 0x100000)
    cpu.mem[0xF0000] = 0xAA                           # the host may still load the ROM
    load(cpu, bytes([0xA2, 0x00, 0x00]))              # MOV [0],AL
    cpu.set_reg("ds", 0xF000)
    cpu.set_reg("ax", 0x55)
    cpu.step()
    assert cpu.mem[0xF0000] == 0xAA


def test_request_stop_ends_run_early():
    cpu = CPU()
    load(cpu, bytes([0xE6, 0xF4]) + bytes([0x90] * 10))

    class IO:
        def port_read(self, port, width):
            return 0

        def port_write(self, port, value, width):
            cpu.request_stop()

    cpu.io = IO()
    assert cpu.run(10) == 1


def test_reset_and_state_round_trip():
    cpu = CPU()
    cpu.reset()
    assert cpu.get_reg("cs") == 0xFFFF and cpu.get_reg("ip") == 0
    load(cpu, bytes([0x40, 0x40]))
    cpu.set_reg("flags", 0x0ED5)
    cpu.step()
    state = cpu.get_state()
    other = CPU()
    other.set_state(state)
    assert other.get_state() == state
    assert other.instructions == 1
