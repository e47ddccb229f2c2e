; int14_lab: COM1 through the BIOS (INT 14h) only, as DOS's COM devices use it, at each line
; rate from 300 to 115200 baud. For each rate i (0..4): program the port (AH=00h up to 9600
; baud; the divisor latch above, as programs do: AH=00h knows no faster rate), then
;   send     'R', '0'+i, then N(i) bytes: byte k is (13k + i) mod 256          (AH=01h)
;   receive  N(i) bytes from the host and add them up                          (AH=02h)
;   send     'S', the sum's low byte, its high byte                            (AH=01h)
; Every call must succeed (AH bit 7 clear): the host may read slowly, and may answer only
; after it has read everything; the BIOS waits up to COM1's timeout, which this program sets
; to 10 counts at 40:7Ch (about 5 s) before the receive waits. On success it prints
; "int14 ok" on the debug console (port E9h) and exits through isa-debug-exit with 0; on a
; failure it prints "int14 fail" and the step (1 send, 2 receive, 3 sum) and rate, and exits
; with 10h * step + rate.

BITS 16
CPU 8086
ORG 0x7C00

%include "guest.inc"

start:
    BOOT_SETUP
    mov byte [0x47C], 10            ; COM1 timeout: 10 counts
    xor bp, bp                      ; rate index
rate:
    mov bl, [rates + bp]
    cmp bl, 0
    je .latch
    mov al, bl                      ; AH=00h: the rate in AL bits 7-5, 8 data bits, no parity
    mov ah, 0
    xor dx, dx
    int 0x14
    jmp .ready
.latch:
    mov bx, bp
    shl bx, 1
    mov cx, [divisors + bx]
    mov dx, 0x3FB
    mov al, 0x83                    ; DLAB, 8N1
    out dx, al
    mov dx, 0x3F8
    mov al, cl
    out dx, al
    inc dx
    mov al, ch
    out dx, al
    mov dx, 0x3FB
    mov al, 0x03
    out dx, al
.ready:
    mov al, 'R'
    call send
    mov ax, bp
    add al, '0'
    call send
    mov bx, bp
    shl bx, 1
    mov cx, [counts + bx]
    mov si, cx                      ; keep N
    xor di, di                      ; k
.out:
    mov ax, di
    mov bl, 13
    mul bl
    add ax, bp
    call send
    inc di
    loop .out
    mov cx, si
    xor di, di                      ; the sum
.in:
    mov ah, 2
    xor dx, dx
    int 0x14
    test ah, 0x80
    jnz .recv_fail
    xor ah, ah
    add di, ax
    loop .in
    mov al, 'S'
    call send
    mov ax, di
    call send
    mov ax, di
    mov al, ah
    call send
    inc bp
    cmp bp, 5
    jb rate
.drain:                             ; the last bytes leave the UART before we power off
    mov ah, 3
    xor dx, dx
    int 0x14
    test ah, 0x40                   ; TEMT
    jz .drain
    mov si, ok_text
    call puts
    mov al, 0
    out 0xF4, al
    cli
    hlt

.recv_fail:
    mov al, 0x20
    jmp fail

send:                               ; AL -> COM1 through AH=01h; a time-out fails
    push dx
    mov ah, 1
    xor dx, dx
    int 0x14
    pop dx
    test ah, 0x80
    jnz .fail
    ret
.fail:
    mov al, 0x10
fail:                               ; AL = 10h * step
    add ax, bp
    mov bl, al
    mov si, fail_text
    call puts
    mov al, bl
    mov cl, 4
    shr al, cl
    add al, '0'
    out 0xE9, al
    mov al, bl
    and al, 0x0F
    add al, '0'
    out 0xE9, al
    mov al, 10
    out 0xE9, al
    mov al, bl
    out 0xF4, al
    cli
    hlt

DEBUG_PUTS puts

; AH=00h codes (0: program the divisor latch instead), divisors, bytes per rate
rates:      db 0x43, 0x83, 0xE3, 0, 0              ; 300 1200 9600 38400 115200, 8N1
divisors:   dw 384, 96, 12, 3, 1
counts:     dw 16, 64, 256, 1024, 2048
ok_text:    db "int14 ok", 10, 0
fail_text:  db "int14 fail ", 0

    times 510 - ($ - $$) db 0
    dw 0xAA55
    times 368640 - ($ - $$) db 0
