"""INT 16h AH=01h/11h, answered in the ROM (engine/bios/rom.asm int16_peek) as IBM's
KEYBOARD_IO answers them: ZF=1 with no key; ZF=0 and AX = the next key, which stays in the
buffer; interrupts on at the return. An empty poll is counted as an idle poll by the CPU
(an OUT to POLL_PORT) without a trip to the host."""

from __future__ import annotations

from engine.demo import demo_disk_path
from engine.machine import Machine, MachineConfig

# At 0000:7000: sti; wait: mov ah,1; int 16h; jz wait; mov si,ax; pushf; pop bx;
# mov ah,11h; int 16h; mov di,ax; mov ah,0; int 16h; mov bp,ax; mov ah,1; int 16h;
# pushf; pop dx; out 0F4h,al (isa-debug-exit: run() returns)
PROGRAM = bytes([0xFB, 0xB4, 0x01, 0xCD, 0x16, 0x74, 0xFA, 0x89, 0xC6, 0x9C, 0x5B,
                 0xB4, 0x11, 0xCD, 0x16, 0x89, 0xC7, 0xB4, 0x00, 0xCD, 0x16, 0x89, 0xC5,
                 0xB4, 0x01, 0xCD, 0x16, 0x9C, 0x5A, 0xE6, 0xF4])
ZF, IF = 0x40, 0x200


def test_int16_peek_answers_in_the_rom(tmp_path):
    fda = tmp_path / "demo.img"
    fda.write_bytes(demo_disk_path().read_bytes())
    m = Machine(MachineConfig(fda=str(fda), deterministic=True))
    try:
        while "xtbox>" not in "\n".join(m.text_screen().text_lines()):
            m.run(instructions=m.cpu.instructions + 200_000)
        while m.pic.get_state()["isr"]:  # out of the timer's handler: no interrupt in service
            m.run(instructions=m.cpu.instructions + 1)
        host = []
        int16 = m.bios.keyboard.int16
        m.bios.keyboard.int16 = lambda r: (host.append(r.ah), int16(r))
        m.cpu.mem[0x7000:0x7000 + len(PROGRAM)] = PROGRAM
        for reg, value in (("cs", 0), ("ip", 0x7000), ("ss", 0), ("sp", 0x6F00)):
            m.cpu.set_reg(reg, value)
        m.cpu.wake()
        polls = m.cpu.polls
        m.run(instructions=m.cpu.instructions + 50_000)
        assert m.cpu.polls - polls > 100                # empty polls, counted by the CPU...
        assert host == []                               # ...with no trip to the host
        m.type_text("a")
        m.run(instructions=m.cpu.instructions + 2_000_000)
        assert m.exit_status is not None and m.cpu.get_reg("ip") == 0x7000 + len(PROGRAM)
        reg = m.cpu.get_reg
        assert reg("si") == reg("di") == reg("bp") == 0x1E61     # seen twice, then taken
        assert not reg("bx") & ZF and reg("bx") & IF             # a key: ZF=0, interrupts on
        assert reg("dx") & ZF                                     # taken: none waiting
        assert host == [0x00]                           # only AH=00h went to the host
    finally:
        m.close()
