; mouse_lab: a boot floppy of ours that finds a Microsoft serial mouse on COM1 the way DOS
; drivers do, then reads its reports from the UART's interrupt and shows where it is.
;
; Detection (as CuteMouse documents it): modem lines and interrupts off, 1200 baud 7N1, flush
; the receiver, wait for the second timer tick, raise DTR and RTS, then collect up to four
; bytes, giving each three ticks to arrive. An 'M' among them is a Microsoft mouse; a '3'
; after it the Logitech third button. The result goes to the screen and the debug console:
; "mouse: M3" (or "no mouse", exit status 3).
;
; Then IRQ4 assembles each report (a byte with bit 6 starts one; Logitech's fourth byte
; carries the middle button) and after each one the program prints the sums of the motion
; and the buttons held, "X=+00010 Y=-00005 B=L.." (L, R, M or '.'). Both outer buttons held
; together end the program (isa-debug-exit 0: exit status 1).

BITS 16
CPU 8086
ORG 0x7C00

%include "guest.inc"

COM     equ 0x3F8
TICKS   equ 0x046C

start:
    BOOT_SETUP
    LOAD_REST 3, no_mouse
    jmp main

; ---- output: the screen (INT 10h teletype) and the debug console (port E9h) ---------------
putc:
    push ax
    push bx
    out 0xE9, al
    cmp al, 10
    jne .tty
    mov al, 13
    mov ah, 0x0E
    xor bx, bx
    int 0x10
    mov al, 10
.tty:
    mov ah, 0x0E
    xor bx, bx
    int 0x10
    pop bx
    pop ax
    ret

puts:
    lodsb
    or al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

; wait until the tick count has moved CX times (interrupts on, halted in between)
wait_ticks:
    mov ax, [TICKS]
.again:
    sti
    hlt
    cmp ax, [TICKS]
    je .again
    mov ax, [TICKS]
    loop .again
    ret

no_mouse:
    mov si, none_text
    call puts
    mov al, 3
    out 0xF4, al
    cli
    hlt

none_text:  db "no mouse", 10, 0

    times 510 - ($ - $$) db 0
    dw 0xAA55

; ---- sector 2 on --------------------------------------------------------------------------
main:
    mov si, hello_text
    call puts
    ; modem lines, line settings and interrupts off; FIFO off
    mov dx, COM + 3
    xor al, al
    out dx, al
    inc dx
    out dx, al                      ; MCR: DTR and RTS low: the mouse loses power
    mov dx, COM + 1
    out dx, al
    inc dx
    out dx, al
    ; 1200 baud (divisor 96), 7N1
    mov dx, COM + 3
    mov al, 0x80
    out dx, al
    mov dx, COM
    mov al, 96
    out dx, al
    inc dx
    xor al, al
    out dx, al
    mov dx, COM + 3
    mov al, 0x02
    out dx, al
    mov dx, COM
    in al, dx                       ; flush the receiver
    mov cx, 2
    call wait_ticks
    mov dx, COM + 4
    mov al, 0x03                    ; DTR and RTS: power up, the mouse resets
    out dx, al
    ; collect up to four bytes, three ticks each
    mov di, ident
    mov bp, 4
.next_byte:
    mov bx, 3
    mov cx, [TICKS]
.poll:
    mov dx, COM + 5
    in al, dx
    test al, 1
    jnz .got
    cmp cx, [TICKS]
    je .poll
    mov cx, [TICKS]
    dec bx
    jnz .poll
    jmp .collected
.got:
    mov dx, COM
    in al, dx
    stosb
    dec bp
    jnz .next_byte
.collected:
    mov byte [di], 0
    mov si, ident
.find_m:
    lodsb
    or al, al
    jz no_mouse
    cmp al, 'M'
    jne .find_m
    dec si
    push si
    mov si, found_text
    call puts
    pop si
    call puts
    mov al, 10
    call putc
    ; IRQ4 -> packet assembly
    cli
    mov word [0x0C * 4], irq4
    mov word [0x0C * 4 + 2], 0
    mov dx, COM + 4
    mov al, 0x0B                    ; DTR, RTS, OUT2 (the PC's interrupt gate)
    out dx, al
    mov dx, COM + 1
    mov al, 0x01                    ; received-data interrupt
    out dx, al
    in al, 0x21
    and al, 0xEF
    out 0x21, al
    sti
.loop:
    cli
    cmp byte [updated], 0
    jne .show
    sti
    hlt
    jmp .loop
.show:
    mov byte [updated], 0
    sti
    call show
    mov al, [buttons]
    and al, 3
    cmp al, 3
    jne .loop
    mov si, bye_text
    call puts
    xor al, al
    out 0xF4, al
    cli
    hlt

; "X=+00010 Y=-00005 B=L.."
show:
    mov si, x_text
    call puts
    mov ax, [pos_x]
    call print_signed
    mov si, y_text
    call puts
    mov ax, [pos_y]
    call print_signed
    mov si, b_text
    call puts
    mov bl, [buttons]
    mov al, 'L'
    test bl, 1
    call .flag
    mov al, 'R'
    test bl, 2
    call .flag
    mov al, 'M'
    test bl, 4
    call .flag
    mov al, 10
    jmp putc
.flag:
    jnz .on
    mov al, '.'
.on:
    jmp putc

print_signed:                       ; AX as a sign and five digits
    mov bl, '+'
    test ax, ax
    jns .positive
    neg ax
    mov bl, '-'
.positive:
    push ax
    mov al, bl
    call putc
    pop ax
    mov cx, 5
    mov bx, 10
    mov di, digits + 5
.digit:
    xor dx, dx
    div bx
    add dl, '0'
    dec di
    mov [di], dl
    loop .digit
    mov si, digits
    jmp puts

irq4:
    push ax
    push bx
    push cx
    push dx
    push ds
    xor ax, ax
    mov ds, ax
.byte:
    mov dx, COM + 5
    in al, dx
    test al, 1
    jz .done
    mov dx, COM
    in al, dx
    test al, 0x40
    jz .later
    mov [packet], al                ; bit 6: a report starts
    mov byte [index], 1
    jmp .byte
.later:
    mov bl, [index]
    cmp bl, 1
    jne .third
    mov [packet + 1], al
    mov byte [index], 2
    jmp .byte
.third:
    cmp bl, 2
    jne .fourth
    mov [packet + 2], al
    mov byte [index], 3
    call decode
    jmp .byte
.fourth:
    cmp bl, 3
    jne .byte                       ; stray byte: wait for the next report
    mov byte [index], 0
    mov bl, [buttons]
    and bl, 0xFB
    test al, 0x20
    jz .middle_up
    or bl, 4
.middle_up:
    mov [buttons], bl
    mov byte [updated], 1
    jmp .byte
.done:
    mov al, 0x20
    out 0x20, al
    pop ds
    pop dx
    pop cx
    pop bx
    pop ax
    iret

decode:                             ; packet -> pos_x, pos_y, buttons (L and R)
    mov al, [packet]
    mov ah, al
    and al, 0x03                    ; X7 X6
    mov cl, 6
    shl al, cl
    or al, [packet + 1]
    cbw
    add [pos_x], ax
    mov al, [packet]
    and al, 0x0C                    ; Y7 Y6
    mov cl, 4
    shl al, cl
    or al, [packet + 2]
    cbw
    add [pos_y], ax
    mov al, [packet]
    mov bl, [buttons]
    and bl, 0xFC
    test al, 0x20
    jz .no_left
    or bl, 1
.no_left:
    test al, 0x10
    jz .no_right
    or bl, 2
.no_right:
    mov [buttons], bl
    mov byte [updated], 1
    ret

hello_text: db "mouse lab", 10, 0
found_text: db "mouse: ", 0
bye_text:   db "both buttons: bye", 10, 0
x_text:     db "X=", 0
y_text:     db " Y=", 0
b_text:     db " B=", 0
digits:     db "00000", 0
ident:      times 6 db 0
packet:     db 0, 0, 0
index:      db 0
buttons:    db 0
updated:    db 0
pos_x:      dw 0
pos_y:      dw 0
    times 512 * 4 - ($ - $$) db 0
    times 368640 - 512 * 4 db 0
