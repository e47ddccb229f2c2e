; cpu_mix: xtbox's CPU benchmark workload, a boot sector of our own.
;
; A realistic instruction mix (ALU, ModR/M memory operands, branches, CALL/RET, PUSH/POP,
; REP MOVSW, MUL/DIV) in a loop whose instruction count is known exactly:
;
;   total = SETUP + OUTER * (INNER * BODY + OUTER_TAIL) + FINISH = 13 + OUTER * 35003
;
; OUTER is stored as a word at byte offset 2 of the sector, so a harness can patch it (the
; benchmark measures another emulator's start-up cost with OUTER = 1).
; counting instructions as the 8086 test vectors do (prefixes belong to their instruction, a
; REP string instruction is one). Every path through the body has the same length, so the
; count does not depend on the data. It needs no BIOS service, so it runs when booted by any
; PC BIOS (QEMU, 8086tiny, ours) or when loaded at 0000:7C00 by a bare-CPU harness.
;
; At the end it writes 0 to port F4h (QEMU's isa-debug-exit ends there with status 1) and
; jumps to 0000:0000, where 8086tiny stops.
;
; Build: nasm -f bin -o cpu_mix.bin cpu_mix.asm ; the floppy image is that sector padded to
; 1,474,560 bytes (see Makefile).

%ifndef OUTER
%define OUTER 2000
%endif
%define INNER 1000

BITS 16
CPU 8086
ORG 0x7C00

    jmp short start             ; SETUP: 11 instructions, this one included
outer_init:
    dw OUTER

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00
    cld
    mov ax, [outer_init]
    mov [outer], ax
    mov word [seed], 0x1234

outer_loop:                     ; OUTER_TAIL: mov cx + dec + jnz = 3 per outer iteration
    mov cx, INNER
inner:                          ; BODY: 35 instructions on every path
    push cx                     ; 1
    mov si, buf                 ; 2
    mov ax, [seed]              ; 3
    add ax, [si+2]              ; 4
    xor [si+4], ax              ; 5
    mov bx, ax                  ; 6
    and bx, 0x1E                ; 7
    mov dx, [bx+table]          ; 8
    call mix                    ; 9 (+4 inside: 13)
    cmp ax, dx                  ; 14
    jb .below                   ; 15
    sub ax, dx                  ; 16
    jmp .joined                 ; 17
.below:
    add ax, dx                  ; 16
    nop                         ; 17
.joined:
    mov [si+6], ax              ; 18
    mov cx, 8                   ; 19
    mov di, buf2                ; 20
    rep movsw                   ; 21
    mov ax, [seed]              ; 22
    mov bx, 7                   ; 23
    mul bx                      ; 24
    inc ax                      ; 25
    mov [seed], ax              ; 26
    xor dx, dx                  ; 27
    mov bx, 13                  ; 28
    div bx                      ; 29
    add [buf+8], dx             ; 30
    shl ax, 1                   ; 31
    adc [buf+10], ax            ; 32
    pop cx                      ; 33
    test cl, 3                  ; 34
    loop inner                  ; 35
    dec word [outer]
    jnz outer_loop

    mov al, 0                   ; FINISH: 2 instructions up to and including the OUT
    out 0xF4, al
    jmp 0:0

mix:                            ; 4 instructions including RET
    push ax
    rol ax, 1
    pop bx
    ret

outer:  dw 0
seed:   dw 0
buf:    times 16 dw 0x5A5A
buf2:   times 16 dw 0
table:  dw 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3

    times 510 - ($ - $$) db 0
    dw 0xAA55
