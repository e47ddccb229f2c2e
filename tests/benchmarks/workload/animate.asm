; Animation benchmark guest (our own): CGA mode 4, then refills all of video memory with a
; new dot pattern as fast as the CPU goes (no retrace wait), so every line of every frame
; differs: the worst case for graphics subscribers and the console's renderer.
; Build: make -C tests/benchmarks/workload
        cpu 8086
        org 0x7c00
        bits 16
start:  mov ax, 0x0004
        int 0x10
        mov ax, 0xB800
        mov es, ax
        xor bx, bx
frame:  mov ax, bx
        xor di, di
        mov cx, 0x2000          ; 16 KiB: both banks
        cld
        rep stosw
        add bx, 0x0101
        jmp frame
        times 510 - ($ - $$) db 0
        dw 0xAA55
