; idle_waits: a boot floppy of ours that waits in each of the ways DOS programs wait, for the
; idle tests and benchmark (tests/engine/test_idle.py, tests/benchmarks/bench_idle.py).
;
; It first waits for a digit with INT 16h AH=00h (our BIOS halts inside), then runs that wait
; until a key is in the BDA buffer, takes the key and ends through isa-debug-exit (port F4h)
; with the mode digit as its value (exit status (V << 1) | 1):
;   1  INT 16h AH=01h poll loop             2  INT 16h AH=11h poll loop
;   3  INT 28h loop (key seen in the BDA)   4  INT 2Fh AX=1680h loop (key seen in the BDA)
;   5  STI/HLT loop                         6  tick-count wait: one tick at a time on 0040:006Ch
;   7  vertical-retrace wait on 3DAh        8  work between polls: a chunk, then INT 16h AH=01h
;   9  the same work without the poll (the key seen in the BDA)
; Counters at 0000:0500 (words): +0 mode started (the digit), +2 loop turns or ticks or frames
; or chunks done (low word), +4 high word of it.

BITS 16
CPU 8086
ORG 0x7C00

%include "guest.inc"

MODE    equ 0x500
COUNT   equ 0x502
CHUNK   equ 2000                       ; work iterations per chunk (about 6,000 instructions)

start:
    BOOT_SETUP
    mov word [MODE], 0
    mov word [COUNT], 0
    mov word [COUNT + 2], 0
    mov si, prompt
.puts:
    lodsb
    test al, al
    jz .ask
    mov ah, 0x0E
    xor bx, bx
    int 0x10
    jmp .puts
.ask:
    xor ah, ah
    int 0x16
    sub al, '0'
    cmp al, 1
    jb .ask
    cmp al, 9
    ja .ask
    xor ah, ah
    mov [MODE], ax
    mov bx, ax
    shl bx, 1
    jmp [modes - 2 + bx]

modes:
    dw poll01, poll11, idle28, idle2f, halt, ticks, retrace, work_poll, work_only

poll01:
    mov ah, 0x01
    int 0x16
    jz poll01
    jmp done

poll11:
    mov ah, 0x11
    int 0x16
    jz poll11
    jmp done

idle28:
    int 0x28
    call key_waiting
    jz idle28
    jmp done

idle2f:
    mov ax, 0x1680
    int 0x2F
    call key_waiting
    jz idle2f
    jmp done

halt:
    sti
    hlt
    call key_waiting
    jz halt
    jmp done

ticks:                                 ; wait for each tick, as delay loops do, and count them
    mov ax, [0x46C]
.same:
    cmp ax, [0x46C]
    je .same
    call count
    call key_waiting
    jz ticks
    jmp done

retrace:                               ; wait for the end, then the start, of vertical retrace
    mov dx, 0x3DA
.in_retrace:
    in al, dx
    test al, 8
    jnz .in_retrace
.before:
    in al, dx
    test al, 8
    jz .before
    call count
    call key_waiting
    jz retrace
    jmp done

work_poll:
    call chunk
    mov ah, 0x01
    int 0x16
    jz work_poll
    jmp done

work_only:
    call chunk
    call key_waiting
    jz work_only
    jmp done

chunk:                                 ; a chunk of real work: arithmetic over a small table
    mov cx, CHUNK
    mov si, 0x600
.next:
    mov ax, [si]
    add ax, cx
    mov [si], ax
    inc si
    and si, 0x6FF
    loop .next
count:
    add word [COUNT], 1
    adc word [COUNT + 2], 0
    ret

key_waiting:                           ; ZF=1 while the BDA keyboard buffer is empty
    mov ax, [0x41A]
    cmp ax, [0x41C]
    ret

done:
    xor ah, ah
    int 0x16                           ; take the key
    mov al, [MODE]
    out 0xF4, al
    jmp $

prompt:
    db "idle_waits: mode 1-9?", 13, 10, 0

    times 510 - ($ - $$) db 0
    dw 0xAA55
    times 368640 - 512 db 0            ; a 360 KB floppy
