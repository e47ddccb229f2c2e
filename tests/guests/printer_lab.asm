; printer_lab: a boot floppy of ours that prints through INT 17h and through the printer
; ports, with LPT1 on a printer (the test gives it a file) and LPT2 on nothing.
;
; Checks, each reported on the debug console (port E9h) by number when it fails (the exit
; status is then (N << 1) | 1 through isa-debug-exit; 0 when all pass):
;   1  the BDA lists 378h and 278h, and the equipment word two printers (bits 14-15)
;   2  INT 17h AH=1 (initialise) then AH=2 until not busy: AH = 90h (not busy, selected)
;   3  "HELLO VIA INT17" CR LF through INT 17h AH=0, no time-out, error or paper-out
;   4  "AND VIA PORTS" CR LF straight through 378h/379h/37Ah: wait for /BUSY, data, STROBE
;   5  LPT2 has no printer: INT 17h AH=2 says 30h (busy, "paper out", "selected": the
;      lines float high), as on a PC with an empty port
;   6  with its time-out byte (0040:0079h) at 1, printing on LPT2 gives up with AH bit 0
;      after 8 to 12 timer ticks (one unit is ~0.55 s), the ticks running meanwhile

BITS 16
CPU 8086
ORG 0x7C00

%include "guest.inc"

start:
    BOOT_SETUP
    LOAD_REST 2, fail
    jmp checks

fail:
    mov si, fail_text
    call puts
    mov al, [current]
    add al, '0'
    out 0xE9, al
    mov al, 10
    out 0xE9, al
    mov al, [current]
    out 0xF4, al
    cli
    hlt

DEBUG_PUTS puts

current:    db 0
fail_text:  db "printer lab: failed check ", 0

    times 510 - ($ - $$) db 0
    dw 0xAA55

; ---- sector 2 on --------------------------------------------------------------------------
checks:
    CHECK 1
    cmp word [0x408], 0x378
    jne fail
    cmp word [0x40A], 0x278
    jne fail
    mov ax, [0x410]
    mov cl, 14
    shr ax, cl
    cmp ax, 2
    jne fail

    CHECK 2
    mov ah, 1
    xor dx, dx
    int 0x17
    mov cx, 1000
.ready:
    mov ah, 2
    xor dx, dx
    int 0x17
    test ah, 0x80
    jnz .is_ready
    loop .ready
    jmp fail
.is_ready:
    cmp ah, 0x90
    jne fail

    CHECK 3
    mov si, int17_text
.bios_char:
    lodsb
    or al, al
    jz .bios_done
    mov ah, 0
    xor dx, dx
    int 0x17
    test ah, 0x29
    jnz fail
    jmp .bios_char
.bios_done:

    CHECK 4
    mov si, ports_text
.port_char:
    lodsb
    or al, al
    jz .ports_done
    mov bl, al
    mov dx, 0x379
    mov cx, 0xFFFF
.busy:
    in al, dx
    test al, 0x80
    jnz .free
    loop .busy
    jmp fail
.free:
    mov dx, 0x378
    mov al, bl
    out dx, al
    mov dx, 0x37A
    mov al, 0x0D
    out dx, al
    mov al, 0x0C
    out dx, al
    jmp .port_char
.ports_done:

    CHECK 5
    mov ah, 2
    mov dx, 1
    int 0x17
    cmp ah, 0x30
    jne fail

    CHECK 6
    mov byte [0x479], 1
    mov bx, [0x46C]
    mov ax, 0x0078
    mov dx, 1
    int 0x17
    test ah, 0x01
    jz fail
    mov ax, [0x46C]
    sub ax, bx
    cmp ax, 8
    jb fail
    cmp ax, 12
    ja fail

    mov si, pass_text
    call puts
    xor al, al
    out 0xF4, al
    cli
    hlt

int17_text: db "HELLO VIA INT17", 13, 10, 0
ports_text: db "AND VIA PORTS", 13, 10, 0
pass_text:  db "printer lab: all checks passed", 10, 0
    times 512 * 3 - ($ - $$) db 0
    times 368640 - 512 * 3 db 0
