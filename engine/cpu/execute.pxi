# Decode and execute one instruction. The opcode switch is written as an if/elif chain on a C
# integer, which Cython turns into a C `switch`. Each arm is short and calls the inline helpers
# of the other .pxi files, so this file reads as the 8086 opcode map.

cdef inline int condition(CPU c, int cc) noexcept nogil:
    """Jcc condition codes 0-15 (O NO B NB Z NZ BE A S NS P NP L GE LE G)."""
    cdef int r
    cdef int k = cc >> 1
    if k == 0:
        r = c.of
    elif k == 1:
        r = c.cf
    elif k == 2:
        r = c.zf
    elif k == 3:
        r = c.cf | c.zf
    elif k == 4:
        r = c.sf
    elif k == 5:
        r = c.pf
    elif k == 6:
        r = c.sf != c.of
    else:
        r = c.zf | (c.sf != c.of)
    return r ^ (cc & 1)


cdef inline void jump_short(CPU c, int taken) noexcept nogil:
    cdef uint16_t rel = <uint16_t><int16_t><int8_t>fetch8(c)
    if taken:
        c.ip += rel


cdef inline void divide_error(CPU c) noexcept nogil:
    # The 8086 pushes the address of the NEXT instruction (the 286 and later push the faulting one).
    c.interrupt(0)


cdef inline void group3(CPU c, int w) noexcept nogil:
    cdef uint16_t v, imm
    decode_modrm(c)
    v = get_rm(c, w)
    if c.reg < 2:              # TEST r/m, imm (reg 1 is an undocumented alias)
        imm = fetch16(c) if w else fetch8(c)
        alu_logic(c, w, v & imm)
    elif c.reg == 2:           # NOT
        set_rm(c, w, ~v)
    elif c.reg == 3:           # NEG
        set_rm(c, w, alu_sub(c, w, 0, v, 0))
    elif c.reg == 4:
        op_mul(c, w, v)
    elif c.reg == 5:
        op_imul(c, w, v)
    elif c.reg == 6:
        if op_div(c, w, v):
            divide_error(c)
    elif op_idiv(c, w, v):
        divide_error(c)


cdef inline void group5(CPU c, int w) noexcept nogil:
    """FE/FF: INC DEC CALL CALLF JMP JMPF PUSH PUSH. FE /2-/7 are undefined on the 8086; we run
    them as the FF forms with a byte operand, which never leaves the 1 MiB space."""
    cdef uint16_t v, seg
    decode_modrm(c)
    if c.reg == 0:
        set_rm(c, w, alu_inc(c, w, get_rm(c, w)))
    elif c.reg == 1:
        set_rm(c, w, alu_dec(c, w, get_rm(c, w)))
    elif c.reg == 2:
        v = get_rm(c, w)
        push(c, c.ip)
        c.ip = v
    elif c.reg == 4:
        c.ip = get_rm(c, w)
    elif c.reg == 3 or c.reg == 5:
        if c.mod == 3:
            # No memory operand: the 8086 uses whatever its address latch holds; we read from
            # offset 0 of the data segment, a defined and harmless choice.
            c.ea_seg = data_seg(c)
            c.ea_off = 0
        v = rw(c, c.ea_seg, c.ea_off)
        seg = rw(c, c.ea_seg, <uint16_t>(c.ea_off + 2))
        if c.reg == 3:
            push(c, c.sregs[S_CS])
            push(c, c.ip)
        c.sregs[S_CS] = seg
        c.ip = v
    else:
        v = get_rm(c, w)
        if c.mod == 3 and c.rm == R_SP and w:
            v -= 2          # PUSH SP pushes the decremented SP on the 8086
        push(c, v)


cdef inline void alu_block(CPU c, uint8_t op) noexcept nogil:
    """00-3F where (op & 7) < 6: ADD OR ADC SBB AND SUB XOR CMP in their six encodings."""
    cdef int aop = op >> 3
    cdef int k = op & 7
    cdef int w = k & 1
    cdef uint16_t r
    # Each width has its own copy of the code so that gcc folds `w` in the inlined ALU helpers.
    if k < 4:
        decode_modrm(c)
        if w:
            if k & 2:
                r = alu(c, aop, 1, c.regs[c.reg], get_rm(c, 1))
                if aop != 7:
                    c.regs[c.reg] = r
            else:
                r = alu(c, aop, 1, get_rm(c, 1), c.regs[c.reg])
                if aop != 7:
                    set_rm(c, 1, r)
        elif k & 2:
            r = alu(c, aop, 0, getr8(c, c.reg), get_rm(c, 0))
            if aop != 7:
                setr8(c, c.reg, r)
        else:
            r = alu(c, aop, 0, get_rm(c, 0), getr8(c, c.reg))
            if aop != 7:
                set_rm(c, 0, r)
    elif k == 4:
        r = alu(c, aop, 0, c.regs[R_AX] & 0xFF, fetch8(c))
        setr8(c, 0, r)
    else:
        c.regs[R_AX] = alu(c, aop, 1, c.regs[R_AX], fetch16(c))


cdef inline void execute(CPU c) noexcept nogil:
    cdef uint8_t op
    cdef int w
    cdef uint16_t v, t, off
    c.insn_ip = c.ip
    c.seg_ovr = -1
    c.rep = REP_NONE
    cdef int prefixes = 0
    # Prefixes are cases of the same switch: they record their effect and fetch again, so an
    # instruction without prefixes pays for no extra test. A segment made only of prefixes
    # (hostile code) is cut off after 64 K of them so one step always ends.
    while True:
        op = fetch8(c)
        w = op & 1
        # One `switch` on the opcode: every arm tests `op` against constants only (Cython turns such
        # a chain into a C switch; a range test anywhere in it would turn it back into if/else).
        if op in (0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D):
            alu_block(c, op)
        elif op == 0x06 or op == 0x0E or op == 0x16 or op == 0x1E:
            push(c, c.sregs[op >> 3])
        elif op == 0x07 or op == 0x0F or op == 0x17 or op == 0x1F:
            # 0F is POP CS on the 8086.
            c.sregs[op >> 3] = pop(c)
            if op == 0x17:
                c.shadow = 1
        elif op == 0x27:
            op_daa(c)
        elif op == 0x2F:
            op_das(c)
        elif op == 0x37:
            op_aaa_aas(c, 0)
        elif op == 0x3F:
            op_aaa_aas(c, 1)
        elif op in (0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47):
            c.regs[op & 7] = alu_inc(c, 1, c.regs[op & 7])
        elif op in (0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F):
            c.regs[op & 7] = alu_dec(c, 1, c.regs[op & 7])
        elif op in (0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57):
            v = c.regs[op & 7]
            if op == 0x54:
                v -= 2
            push(c, v)
        elif op in (0x58, 0x59, 0x5A, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F):
            c.regs[op & 7] = pop(c)
        elif op in (0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x7B, 0x7C, 0x7D, 0x7E, 0x7F):
            # 60-6F are undocumented aliases of 70-7F on the 8086.
            jump_short(c, condition(c, op & 0x0F))
        elif op in (0x80, 0x81, 0x82, 0x83):
            decode_modrm(c)
            v = get_rm(c, w)
            if op == 0x81:
                t = fetch16(c)
            elif op == 0x83:
                t = <uint16_t><int16_t><int8_t>fetch8(c)
            else:
                t = fetch8(c)
            t = alu(c, c.reg, w, v, t)
            if c.reg != 7:
                set_rm(c, w, t)
        elif op == 0x84 or op == 0x85:
            decode_modrm(c)
            alu_logic(c, w, get_rm(c, w) & getreg(c, w, c.reg))
        elif op == 0x86 or op == 0x87:
            decode_modrm(c)
            v = get_rm(c, w)
            set_rm(c, w, getreg(c, w, c.reg))
            setreg(c, w, c.reg, v)
        elif op in (0x88, 0x89, 0x8A, 0x8B):
            decode_modrm(c)
            if op & 2:
                setreg(c, w, c.reg, get_rm(c, w))
            else:
                set_rm(c, w, getreg(c, w, c.reg))
        elif op == 0x8C:
            decode_modrm(c)
            set_rm(c, 1, c.sregs[c.reg & 3])
        elif op == 0x8D:
            decode_modrm(c)
            if c.mod != 3:
                c.regs[c.reg] = c.ea_off
        elif op == 0x8E:
            decode_modrm(c)
            c.sregs[c.reg & 3] = get_rm(c, 1)
            if (c.reg & 3) == S_SS:
                c.shadow = 1
        elif op == 0x8F:
            decode_modrm(c)
            v = pop(c)
            set_rm(c, 1, v)
        elif op in (0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97):
            v = c.regs[op & 7]
            c.regs[op & 7] = c.regs[R_AX]
            c.regs[R_AX] = v
        elif op == 0x98:
            c.regs[R_AX] = <uint16_t><int16_t><int8_t>(c.regs[R_AX] & 0xFF)
        elif op == 0x99:
            c.regs[R_DX] = 0xFFFF if c.regs[R_AX] & 0x8000 else 0
        elif op == 0x9A:
            off = fetch16(c)
            v = fetch16(c)
            push(c, c.sregs[S_CS])
            push(c, c.ip)
            c.sregs[S_CS] = v
            c.ip = off
        elif op == 0x9B:
            pass                       # WAIT: the TEST pin is always active
        elif op == 0x9C:
            push(c, pack_flags(c))
        elif op == 0x9D:
            unpack_flags(c, pop(c))
        elif op == 0x9E:
            v = c.regs[R_AX] >> 8
            c.cf = v & 1
            c.pf = (v >> 2) & 1
            c.af = (v >> 4) & 1
            c.zf = (v >> 6) & 1
            c.sf = (v >> 7) & 1
        elif op == 0x9F:
            setr8(c, 4, pack_flags(c) & 0xFF)
        elif op in (0xA0, 0xA1, 0xA2, 0xA3):
            off = fetch16(c)
            if op == 0xA0:
                setr8(c, 0, rb(c, data_seg(c), off))
            elif op == 0xA1:
                c.regs[R_AX] = rw(c, data_seg(c), off)
            elif op == 0xA2:
                wb(c, data_seg(c), off, <uint8_t>c.regs[R_AX])
            else:
                ww(c, data_seg(c), off, c.regs[R_AX])
        elif op in (0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF):
            string_op(c, op)
        elif op == 0xA8:
            alu_logic(c, 0, c.regs[R_AX] & fetch8(c) & 0xFF)
        elif op == 0xA9:
            alu_logic(c, 1, c.regs[R_AX] & fetch16(c))
        elif op in (0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7):
            setr8(c, op & 7, fetch8(c))
        elif op in (0xB8, 0xB9, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF):
            c.regs[op & 7] = fetch16(c)
        elif op == 0xC0 or op == 0xC2:
            off = fetch16(c)
            c.ip = pop(c)
            c.regs[R_SP] += off
        elif op == 0xC1 or op == 0xC3:
            c.ip = pop(c)
        elif op == 0xC4 or op == 0xC5:
            decode_modrm(c)
            if c.mod == 3:
                c.ea_seg = data_seg(c)
                c.ea_off = 0
            c.regs[c.reg] = rw(c, c.ea_seg, c.ea_off)
            c.sregs[S_ES if op == 0xC4 else S_DS] = rw(c, c.ea_seg, <uint16_t>(c.ea_off + 2))
        elif op == 0xC6 or op == 0xC7:
            decode_modrm(c)
            set_rm(c, w, fetch16(c) if w else fetch8(c))
        elif op == 0xC8 or op == 0xCA:
            off = fetch16(c)
            c.ip = pop(c)
            c.sregs[S_CS] = pop(c)
            c.regs[R_SP] += off
        elif op == 0xC9 or op == 0xCB:
            c.ip = pop(c)
            c.sregs[S_CS] = pop(c)
        elif op == 0xCC:
            c.interrupt(3)
        elif op == 0xCD:
            c.interrupt(fetch8(c))
        elif op == 0xCE:
            if c.of:
                c.interrupt(4)
        elif op == 0xCF:
            c.ip = pop(c)
            c.sregs[S_CS] = pop(c)
            unpack_flags(c, pop(c))
        elif op in (0xD0, 0xD1, 0xD2, 0xD3):
            decode_modrm(c)
            v = get_rm(c, w)
            set_rm(c, w, alu_shift(c, c.reg, w, v, 1 if op < 0xD2 else c.regs[R_CX] & 0xFF))
        elif op == 0xD4:
            if op_aam(c, fetch8(c)):
                divide_error(c)
        elif op == 0xD5:
            op_aad(c, fetch8(c))
        elif op == 0xD6:
            setr8(c, 0, 0xFF if c.cf else 0)     # SALC (undocumented)
        elif op == 0xD7:
            setr8(c, 0, rb(c, data_seg(c), <uint16_t>(c.regs[R_BX] + (c.regs[R_AX] & 0xFF))))
        elif op in (0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF):
            decode_modrm(c)                       # ESC: no coprocessor; only the operand is decoded
        elif op == 0xE0:
            c.regs[R_CX] -= 1
            jump_short(c, c.regs[R_CX] != 0 and not c.zf)
        elif op == 0xE1:
            c.regs[R_CX] -= 1
            jump_short(c, c.regs[R_CX] != 0 and c.zf)
        elif op == 0xE2:
            c.regs[R_CX] -= 1
            jump_short(c, c.regs[R_CX] != 0)
        elif op == 0xE3:
            jump_short(c, c.regs[R_CX] == 0)
        elif op == 0xE4 or op == 0xE5:
            v = c.port_in(fetch8(c), 1 + w)
            setreg(c, w, R_AX, v)
        elif op == 0xE6 or op == 0xE7:
            v = fetch8(c)
            c.port_out(v, getreg(c, w, R_AX), 1 + w)
        elif op == 0xE8:
            v = fetch16(c)
            push(c, c.ip)
            c.ip += v
        elif op == 0xE9:
            v = fetch16(c)
            c.ip += v
        elif op == 0xEA:
            off = fetch16(c)
            v = fetch16(c)
            c.sregs[S_CS] = v
            c.ip = off
        elif op == 0xEB:
            jump_short(c, 1)
        elif op == 0xEC or op == 0xED:
            setreg(c, w, R_AX, c.port_in(c.regs[R_DX], 1 + w))
        elif op == 0xEE or op == 0xEF:
            c.port_out(c.regs[R_DX], getreg(c, w, R_AX), 1 + w)
        elif op == 0xF4:
            c.halted_ = 1
        elif op == 0xF5:
            c.cf ^= 1
        elif op == 0xF6 or op == 0xF7:
            group3(c, w)
        elif op == 0xF8:
            c.cf = 0
        elif op == 0xF9:
            c.cf = 1
        elif op == 0xFA:
            c.iflag = 0
        elif op == 0xFB:
            c.iflag = 1
            c.shadow = 1
        elif op == 0xFC:
            c.df = 0
        elif op == 0xFD:
            c.df = 1
        elif op == 0xFE or op == 0xFF:
            group5(c, w)
        elif op == 0x26 or op == 0x2E or op == 0x36 or op == 0x3E:
            c.seg_ovr = (op >> 3) & 3
            prefixes += 1
            if prefixes < 0x10000:
                continue
        elif op == 0xF2 or op == 0xF3:
            c.rep = REP_NZ if op == 0xF2 else REP_Z
            prefixes += 1
            if prefixes < 0x10000:
                continue
        elif op == 0xF0 or op == 0xF1:
            prefixes += 1                       # LOCK (F1 is its alias): no effect here
            if prefixes < 0x10000:
                continue
        break
