; bios_services: a boot floppy of ours that checks the BIOS services and chips one by one.
; It reports on the debug console (port E9h) and ends through isa-debug-exit (port F4h):
; 0 when every check passed (exit status 1), else the number of the first failing check.
; The test types "a" on the keyboard once the program waits for it (check 21).

BITS 16
CPU 8086
ORG 0x7C00

%include "guest.inc"

start:
    BOOT_SETUP
    mov [drive], dl
    ; the rest of the program (sectors 2..5) goes to 0000:7E00
    LOAD_REST 4, fail
    jmp checks

fail:
    mov si, fail_text
    call debug_puts
    mov al, [current]
    call debug_hex
    mov al, 10
    out 0xE9, al
    mov al, [current]
    out 0xF4, al
    cli
    hlt

DEBUG_PUTS debug_puts

debug_hex:
    push ax
    mov cl, 4
    shr al, cl
    call .digit
    pop ax
    and al, 0x0F
.digit:
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 7
.out:
    out 0xE9, al
    ret

current: db 0
drive:   db 0
fail_text: db "FAIL check ", 0
    times 510 - ($ - $$) db 0
    dw 0xAA55

checks:
    CHECK 1                         ; INT 11h: a floppy, 80x25 colour
    int 0x11
    test al, 1
    jz fail
    and al, 0x30
    cmp al, 0x20
    jne fail

    CHECK 2                         ; INT 12h: 640 KiB
    int 0x12
    cmp ax, 640
    jne fail

    CHECK 3                         ; INT 10h AH=0Fh: mode 3, 80 columns
    mov ah, 0x0F
    int 0x10
    cmp ax, 0x5003
    jne fail

    CHECK 4                         ; set and get the cursor
    mov ah, 0x02
    xor bh, bh
    mov dx, 0x050A
    int 0x10
    mov ah, 0x03
    xor bh, bh
    int 0x10
    cmp dx, 0x050A
    jne fail

    CHECK 5                         ; write char+attribute, read it back, see it in B800
    mov ax, 0x095A
    mov bx, 0x001E
    mov cx, 3
    int 0x10
    mov ah, 0x08
    xor bh, bh
    int 0x10
    cmp ax, 0x1E5A
    jne fail
    push es
    mov ax, 0xB800
    mov es, ax
    cmp word [es:(5*80+12)*2], 0x1E5A
    pop es
    jne fail

    CHECK 6                         ; teletype advances the cursor
    mov ax, 0x0E51
    xor bh, bh
    int 0x10
    mov ah, 0x03
    int 0x10
    cmp dx, 0x050B
    jne fail

    CHECK 7                         ; scroll up one line: row 5 moves to row 4
    mov ax, 0x0601
    mov bh, 0x07
    xor cx, cx
    mov dx, 0x184F
    int 0x10
    push es
    mov ax, 0xB800
    mov es, ax
    cmp byte [es:(4*80+12)*2], 'Z'
    pop es
    jne fail

    CHECK 8                         ; INT 13h AH=08h: a 360K drive (ES:DI = its table)
    push es
    mov ah, 0x08
    mov dl, [drive]
    int 0x13
    pop es
    jc fail
    cmp bl, 1
    jne fail
    cmp cx, 0x2709
    jne fail
    cmp dh, 1
    jne fail

    CHECK 9                         ; read our own boot sector
    mov ax, 0x0201
    mov bx, buffer
    mov cx, 0x0001
    xor dh, dh
    mov dl, [drive]
    int 0x13
    jc fail
    cmp word [buffer + 510], 0xAA55
    jne fail

    CHECK 10                        ; write a sector and read it back
    mov di, buffer
    mov cx, 256
    mov ax, 0x1234
    rep stosw
    mov ax, 0x0301
    mov bx, buffer
    mov cx, 0x2709                  ; the last sector of the disk: C39 H1 S9
    mov dh, 1
    mov dl, [drive]
    int 0x13
    jc fail
    mov word [buffer], 0
    mov ax, 0x0201
    mov bx, buffer
    int 0x13
    jc fail
    cmp word [buffer + 100], 0x1234
    jne fail

    CHECK 11                        ; a drive that is not there fails with CF=1
    mov ax, 0x0201
    mov bx, buffer
    mov cx, 0x0001
    mov dx, 0x0081
    int 0x13
    jnc fail

    CHECK 12                        ; a sector past the end: "sector not found" (04h)
    mov ax, 0x0201
    mov cx, 0x0015                  ; sector 21 on a 9-sector track
    xor dh, dh
    mov dl, [drive]
    int 0x13
    jnc fail
    cmp ah, 0x04
    jne fail

    CHECK 13                        ; no key waiting: ZF=1
    mov ah, 0x01
    int 0x16
    jnz fail

    CHECK 14                        ; INT 15h unsupported: CF=1, AH=86h
    mov ah, 0xC0
    int 0x15
    jnc fail
    cmp ah, 0x86
    jne fail

    CHECK 15                        ; RTC time is valid BCD
    mov ah, 0x02
    int 0x1A
    jc fail
    cmp ch, 0x24
    jae fail

    CHECK 16                        ; the PIC mask as POST left it
    in al, 0x21
    cmp al, 0xBC
    jne fail

    CHECK 17                        ; a user tick hook (INT 1Ch) runs, and the tick count moves
    cli
    mov word [0x1C*4], tick_hook
    mov word [0x1C*4+2], 0
    sti
    xor ah, ah
    int 0x1A
    mov [ticks], dx
.wait:
    hlt
    cmp word [hook_calls], 3
    jb .wait
    xor ah, ah
    int 0x1A
    sub dx, [ticks]
    cmp dx, 3
    jb fail

    CHECK 18                        ; the PIT counts down
    mov al, 0x00
    out 0x43, al
    in al, 0x40
    mov bl, al
    in al, 0x40
    mov bh, al
    mov cx, 200
.spin:
    loop .spin
    mov al, 0x00
    out 0x43, al
    in al, 0x40
    mov ah, al
    in al, 0x40
    xchg al, ah
    cmp ax, bx
    je fail

    CHECK 19                        ; a key typed by the host arrives through INT 09h/16h
    mov si, wait_text
    call debug_puts
    xor ah, ah
    int 0x16
    cmp ax, 0x1E61
    jne fail

    mov si, pass_text
    call debug_puts
    mov al, 0
    out 0xF4, al
    cli
    hlt

tick_hook:
    inc word [cs:hook_calls]
    iret

ticks:      dw 0
hook_calls: dw 0
wait_text:  db "waiting for a key", 10, 0
pass_text:  db "all checks passed", 10, 0
buffer:     times 512 db 0
    times 512 * 5 - ($ - $$) db 0
    times 368640 - 512 * 5 db 0
