; banner_lab: a guest that talks on COM1 before anyone listens, as a DOS machine's console
; or a BIOS's POST banner would. At power-on it programs COM1 (115200 baud 8N1, no FIFO,
; polled: no interrupts) and sends BANNER on it, and shows it on screen. Then each 'g' typed
; on the keyboard sends 100 KiB (102,400 bytes) of the serial lab's LFSR pattern (16-bit
; Galois LFSR, taps B400h, seed ACE1h each time, one step per byte, the low byte after the
; step: tests/engine/serial/lab.py) and shows "GDONE" once the last byte has left the chip.
; The transmitter is polled (LSR bit 5), so a host that holds the line back holds this
; program back: nothing is ever dropped here.
; Build: make -C tests/guests (tests/test_assembled.py compares the committed image).

BITS 16
CPU 8086
ORG 0x7C00

%include "guest.inc"

COM1 equ 0x3F8

start:
    BOOT_SETUP
    mov dx, COM1 + 3
    mov al, 0x83                    ; DLAB, 8N1
    out dx, al
    mov dx, COM1
    mov al, 1                       ; divisor 1: 115200 baud
    out dx, al
    inc dx
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al
    mov dx, COM1 + 4
    mov al, 0x03                    ; DTR, RTS
    out dx, al
    mov si, banner
.banner:
    lodsb
    or al, al
    jz .shown
    call com_put
    call screen_put
    jmp .banner
.shown:

key:
    xor ah, ah
    int 0x16
    cmp al, 'g'
    jne key
    mov bx, 0xACE1                  ; the LFSR's seed
    mov di, 100                     ; 100 blocks of 1 KiB
.block:
    mov cx, 1024
.byte:
    shr bx, 1
    jnc .step
    xor bx, 0xB400
.step:
    mov al, bl
    call com_put
    loop .byte
    dec di
    jnz .block
    mov dx, COM1 + 5
.drain:                             ; the last byte has left the shift register (TEMT)
    in al, dx
    test al, 0x40
    jz .drain
    mov si, done_text
.done:
    lodsb
    or al, al
    jz key
    call screen_put
    jmp .done

com_put:                            ; AL -> COM1, once the transmitter holding register is empty
    push ax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop ax
    mov dx, COM1
    out dx, al
    ret

screen_put:                         ; AL -> the screen (INT 10h teletype)
    push ax
    push bx
    mov ah, 0x0E
    xor bx, bx
    int 0x10
    pop bx
    pop ax
    ret

banner:     db "banner_lab: this line left COM1 at power-on, before anyone listened", 13, 10
            db "type g for 100 KiB of the LFSR pattern", 13, 10, 0
done_text:  db "GDONE", 13, 10, 0

    times 510 - ($ - $$) db 0
    dw 0xAA55
    times 368640 - ($ - $$) db 0
