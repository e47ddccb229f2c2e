; bda_scribbler: a hostile guest of ours. Forever: scribble random words over the BIOS data
; area (keyboard buffer bounds, cursor, video mode and columns, COM/LPT bases, tick count...)
; and call the BIOS services with random registers. Only the host's survival is tested: it
; must keep running to --max-seconds with no exception, whatever the services answer.
; Transfers are aimed at 2000h:0000h and above so the program's own code stays intact.

BITS 16
CPU 8086
ORG 0x7C00

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7C00
    sti
    mov word [seed], 0xACE1

forever:
    ; a burst of BDA scribbles: 1..8 random words at random even offsets of 0040:0000-00FF
    call random
    and ax, 7
    inc ax
    mov cx, ax
.scribble:
    call random
    and ax, 0x00FE
    mov di, ax
    call random
    mov [0x400 + di], ax
    loop .scribble
    ; one service call with random registers
    call random
    and ax, 7
    mov bx, ax
    shl bx, 1
    call random
    mov dx, ax                      ; DX random (drive, port, cursor...)
    call random
    mov cx, ax
    and cx, 0x3F3F                  ; modest counts and CHS values
    call random
    push ax
    call random
    and ah, 0x3F
    or ah, 0x20
    mov es, ax                      ; ES:BX transfers land at 20000h and above
    call random
    mov bp, ax
    call random
    mov si, ax
    pop ax
    push bx
    mov bx, [cs:vectors + bx]
    mov [call_at + 1], bl           ; patch the INT number
    pop bx
    call random
    mov bx, ax
    and bx, 0x0FFF
    mov ax, [last]
call_at:
    int 0x10
    call random
    mov [last], ax
    jmp forever

; a 16-bit Galois LFSR, AX = next value
random:
    mov ax, [seed]
    shr ax, 1
    jnc .done
    xor ax, 0xB400
.done:
    mov [seed], ax
    ret

vectors: dw 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x17, 0x1A
seed: dw 0
last: dw 0

    times 510 - ($ - $$) db 0
    dw 0xAA55
    times 368640 - ($ - $$) db 0    ; a 360 KiB floppy
