; Scroll benchmark guest (our own): prints numbered lines through INT 10h teletype forever,
; so the text screen scrolls as fast as the CPU and BIOS allow. Every line differs (a hex
; counter), so every scroll changes every row: the worst case for screen subscribers.
; Build: make -C tests/benchmarks/workload
        cpu 8086
        org 0x7c00
        bits 16
start:  xor ax, ax
        mov ds, ax
        xor bx, bx
line:   mov si, msg
.text:  lodsb
        or al, al
        jz .count
        call putc
        jmp .text
.count: mov cx, 4               ; BX as four hex digits, most significant first
        mov dx, bx
.digit: rol dx, 1
        rol dx, 1
        rol dx, 1
        rol dx, 1
        mov al, dl
        and al, 0x0f
        add al, '0'
        cmp al, '9'
        jbe .out
        add al, 'A' - '9' - 1
.out:   call putc
        loop .digit
        mov al, 13
        call putc
        mov al, 10
        call putc
        inc bx
        jmp line
putc:   push bx
        mov ah, 0x0e
        xor bx, bx
        int 0x10
        pop bx
        ret
msg:    db "xtbox scroll benchmark, line ", 0
        times 510 - ($ - $$) db 0
        dw 0xaa55
