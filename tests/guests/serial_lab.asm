; serial_lab: a boot floppy of ours that drives both UARTs the way a real serial driver does:
; 115200 baud 8N1, 16550 FIFOs (trigger level 8), interrupt-driven through the 8259 (IRQ4 for
; COM1, IRQ3 for COM2), a 32 KiB transmit ring, and input held back (IER) when the ring is full.
;
; COM1 is the data port: every byte it receives comes back complemented (NOT), so a test can
; tell the echo from its own data and check every byte of it.
; COM2 is the control port: one-letter commands, each answered with a line ending in CR LF.
;   P             -> "PONG"                       (also "READY" once at start)
;   G n0 n1 n2 n3 -> "G", then n (32 bits, little-endian) bytes of the LFSR pattern on COM1
;                    (16-bit Galois LFSR, taps B400h, seed ACE1h at each G, one step per
;                    byte, the low byte after the step), then "GDONE" when the last one has left the chip
;   K             -> "K": sink mode on/off (COM1 input counted and dropped instead of echoed)
;   C             -> "C hhhhllll": bytes received on COM1 so far, hex
;   S m           -> "S": COM1 MCR := m (OUT2 stays on: it gates the interrupt)
;   M             -> "M ss mm": COM1 MSR and MCR, hex
;   L lo hi lcr   -> "L": COM1 divisor latch and line control
;   T             -> "T ok" or "T fail nn": COM1 loopback self-test (modem-line wiring, 16
;                    bytes through the FIFO, a break received as BI); nothing may leave the port
;   X / Y         -> "X" / "Y": stop / resume reading COM1 (the host's data piles up)
; Build: make -C tests/guests (tests/guests/test_guests.py compares the committed image).

BITS 16
CPU 8086
ORG 0x7C00

%include "guest.inc"

COM1       equ 0x3F8
COM2       equ 0x2F8
RING_SEG   equ 0x1000               ; COM1's transmit ring: 32 KiB at 1000:0000
RING_SIZE  equ 0x8000
RING_MASK  equ RING_SIZE - 1
RING_HIGH  equ RING_SIZE - 64       ; input held back above this fill
GEN_ROOM   equ RING_SIZE - 320      ; the generator adds 256 bytes only below this fill
SECTORS    equ 4
TICKS      equ 0x046C               ; BIOS timer tick count

start:
    BOOT_SETUP
    LOAD_REST SECTORS, .halt
    jmp setup
.halt:
    cli
    hlt
    times 510 - ($ - $$) db 0
    dw 0xAA55

; ---- set-up --------------------------------------------------------------------------------
setup:
    cli
    mov word [0x0C * 4], com1_isr
    mov word [0x0C * 4 + 2], 0
    mov word [0x0B * 4], com2_isr
    mov word [0x0B * 4 + 2], 0
    mov dx, COM1
    call uart_init
    mov dx, COM2
    call uart_init
    call set_ier1
    mov dx, COM2 + 1
    mov al, 0x01                    ; COM2: received data only (replies are polled)
    out dx, al
    in al, 0x21
    and al, 0xE7                    ; unmask IRQ3 and IRQ4
    out 0x21, al
    mov ax, RING_SEG
    mov es, ax                      ; ES stays on the ring outside the handlers
    sti
    mov si, ready_text
    call com2_puts

; ---- the main loop: generate, report, take commands, else wait for an interrupt -------------
main:
    cli
    mov ax, [gen_left]
    or ax, [gen_left + 2]
    jz .not_generating
    call generate
    jc .sleep                       ; ring full: wait for the transmitter
    sti
    jmp main
.not_generating:
    cmp byte [gen_wait], 0
    je .commands
    mov ax, [head]
    cmp ax, [tail]
    jne .commands
    mov dx, COM1 + 5
    in al, dx
    test al, 0x40                   ; TEMT: the last byte has left the shift register
    jz .commands
    mov byte [gen_wait], 0
    sti
    mov si, gdone_text
    call com2_puts
    jmp main
.commands:
    mov bx, [cq_tail]
    cmp bx, [cq_head]
    je .sleep
    sti
    call command
    jmp main
.sleep:
    sti                             ; STI's shadow: no interrupt is lost before HLT
    hlt
    jmp main

; dx = base: 115200 baud 8N1, FIFOs on and cleared (trigger 8), DTR RTS OUT2; stale state read
uart_init:
    push dx
    add dx, 3
    mov al, 0x80
    out dx, al                      ; DLAB on
    sub dx, 3
    mov al, 1
    out dx, al                      ; divisor 1 = 115200 baud
    inc dx
    xor al, al
    out dx, al
    add dx, 2
    mov al, 0x03
    out dx, al                      ; 8N1, DLAB off
    dec dx
    mov al, 0x87
    out dx, al                      ; FCR
    add dx, 2
    mov al, 0x0B
    out dx, al                      ; MCR
    inc dx
    in al, dx                       ; LSR
    inc dx
    in al, dx                       ; MSR
    pop dx
    in al, dx                       ; RBR
    ret

; COM1's IER from the state: THR empty and modem status always, received data unless held
set_ier1:
    mov al, 0x0A
    cmp byte [rx_held], 0
    jne .write
    cmp byte [rx_stopped], 0
    jne .write
    or al, 0x01
.write:
    mov dx, COM1 + 1
    out dx, al
    ret

; ---- COM1: interrupt handler, receive, transmit ----------------------------------------------
com1_isr:
    push ax
    push bx
    push cx
    push dx
    push ds
    push es
    xor ax, ax
    mov ds, ax
    mov ax, RING_SEG
    mov es, ax
.next:
    mov dx, COM1 + 2
    in al, dx
    test al, 1
    jnz .done
    and al, 0x0E
    cmp al, 0x02
    je .thre
    cmp al, 0x06
    je .line
    test al, 0x04                   ; 04h received data, 0Ch character timeout
    jnz .rx
    mov dx, COM1 + 6                ; modem status change
    in al, dx
    mov [msr_seen], al
    jmp .next
.line:
    mov dx, COM1 + 5
    in al, dx
    jmp .next
.rx:
    call com1_receive
.thre:
    call com1_kick
    jmp .next
.done:
    mov al, 0x20
    out 0x20, al
    pop es
    pop ds
    pop dx
    pop cx
    pop bx
    pop ax
    iret

; take what the FIFO holds into the ring (complemented), or count it in sink mode
com1_receive:
    mov dx, COM1 + 5
    in al, dx
    test al, 1
    jz .out
    mov ax, [head]
    sub ax, [tail]
    and ax, RING_MASK
    cmp ax, RING_HIGH
    jae .full
    mov dx, COM1
    in al, dx
    add word [rx_count], 1
    adc word [rx_count + 2], 0
    cmp byte [sink], 0
    jne com1_receive
    not al
    mov bx, [head]
    mov [es:bx], al
    inc bx
    and bx, RING_MASK
    mov [head], bx
    jmp com1_receive
.full:
    mov byte [rx_held], 1           ; no room: stop taking input until the ring drains
    call set_ier1
.out:
    ret

; THR empty: load up to 16 bytes from the ring into the transmit FIFO; release held input
com1_kick:
    mov dx, COM1 + 5
    in al, dx
    test al, 0x20
    jz .release
    mov cx, 16
    mov bx, [tail]
    mov dx, COM1
.fill:
    cmp bx, [head]
    je .stored
    mov al, [es:bx]
    out dx, al
    inc bx
    and bx, RING_MASK
    loop .fill
.stored:
    mov [tail], bx
.release:
    cmp byte [rx_held], 0
    je .out
    mov ax, [head]
    sub ax, [tail]
    and ax, RING_MASK
    cmp ax, RING_SIZE / 2
    jae .out
    mov byte [rx_held], 0
    call set_ier1
.out:
    ret

; interrupts off: add up to 256 pattern bytes to the ring; CF=1 when there is no room
generate:
    mov ax, [head]
    sub ax, [tail]
    and ax, RING_MASK
    cmp ax, GEN_ROOM
    jb .room
    stc
    ret
.room:
    mov cx, 256
    mov bx, [head]
    mov ax, [lfsr]
.step:
    shr ax, 1
    jnc .store
    xor ax, 0xB400
.store:
    mov [es:bx], al
    inc bx
    and bx, RING_MASK
    sub word [gen_left], 1
    sbb word [gen_left + 2], 0
    mov dx, [gen_left]
    or dx, [gen_left + 2]
    jz .stored
    loop .step
.stored:
    mov [lfsr], ax
    mov [head], bx
    call com1_kick
    clc
    ret

; ---- COM2: commands in, replies out --------------------------------------------------------
com2_isr:
    push ax
    push bx
    push dx
    push ds
    xor ax, ax
    mov ds, ax
.next:
    mov dx, COM2 + 2
    in al, dx
    test al, 1
    jnz .done
.rx:
    mov dx, COM2 + 5
    in al, dx
    test al, 1
    jz .other
    mov dx, COM2
    in al, dx
    mov bx, [cq_head]
    mov [cmdq + bx], al
    inc bl
    mov [cq_head], bx
    jmp .rx
.other:
    mov dx, COM2 + 6
    in al, dx
    jmp .next
.done:
    mov al, 0x20
    out 0x20, al
    pop ds
    pop dx
    pop bx
    pop ax
    iret

; the next byte from the host on COM2 (waits for it)
get_byte:
    cli
    mov bx, [cq_tail]
    cmp bx, [cq_head]
    jne .have
    sti
    hlt
    jmp get_byte
.have:
    mov al, [cmdq + bx]
    inc bl
    mov [cq_tail], bx
    sti
    ret

command:
    call get_byte
    cmp al, 'P'
    je cmd_ping
    cmp al, 'G'
    je cmd_generate
    cmp al, 'K'
    je cmd_sink
    cmp al, 'C'
    je cmd_count
    cmp al, 'S'
    je cmd_set_mcr
    cmp al, 'M'
    je cmd_modem
    cmp al, 'L'
    je cmd_line
    cmp al, 'T'
    je cmd_loop_test
    cmp al, 'X'
    je cmd_stop_rx
    cmp al, 'Y'
    je cmd_resume_rx
    mov si, what_text
    jmp com2_puts

cmd_ping:
    mov si, pong_text
    jmp com2_puts

cmd_generate:
    call get_byte
    mov cl, al
    call get_byte
    mov ch, al
    call get_byte
    mov dl, al
    call get_byte
    mov dh, al
    cli
    mov [gen_left], cx
    mov [gen_left + 2], dx
    mov word [lfsr], 0xACE1         ; every G sends the pattern from its start
    mov byte [gen_wait], 1
    sti
    mov si, g_text
    jmp com2_puts

cmd_sink:
    xor byte [sink], 1
    mov si, k_text
    jmp com2_puts

cmd_count:
    mov al, 'C'
    call com2_putc
    mov al, ' '
    call com2_putc
    cli
    mov ax, [rx_count + 2]
    mov bx, [rx_count]
    sti
    call com2_hex16
    mov ax, bx
    call com2_hex16
    jmp com2_crlf

cmd_set_mcr:
    call get_byte
    or al, 0x08
    and al, 0x1F
    mov dx, COM1 + 4
    out dx, al
    mov si, s_text
    jmp com2_puts

cmd_modem:
    mov al, 'M'
    call com2_putc
    mov al, ' '
    call com2_putc
    mov dx, COM1 + 6
    in al, dx
    call com2_hex8
    mov al, ' '
    call com2_putc
    mov dx, COM1 + 4
    in al, dx
    call com2_hex8
    jmp com2_crlf

cmd_line:
    call get_byte
    mov cl, al
    call get_byte
    mov ch, al
    call get_byte
    mov bl, al
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al
    mov dx, COM1
    mov al, cl
    out dx, al
    inc dx
    mov al, ch
    out dx, al
    mov dx, COM1 + 3
    mov al, bl
    and al, 0x7F
    out dx, al
    mov si, l_text
    jmp com2_puts

cmd_stop_rx:
    mov byte [rx_stopped], 1
    cli
    call set_ier1
    sti
    mov si, x_text
    jmp com2_puts

cmd_resume_rx:
    mov byte [rx_stopped], 0
    cli
    call set_ier1
    sti
    mov si, y_text
    jmp com2_puts

; loopback self-test of COM1; [fail_no] names the step that failed
cmd_loop_test:
    cli                             ; wait until COM1 has sent everything
    mov ax, [head]
    cmp ax, [tail]
    jne .busy
    mov dx, COM1 + 5
    in al, dx
    test al, 0x40
    jnz .idle
.busy:
    sti
    hlt
    jmp cmd_loop_test
.idle:
    mov dx, COM1 + 1
    xor al, al
    out dx, al                      ; no COM1 interrupts during the test
    sti
    mov byte [fail_no], 0
    mov si, loop_wiring             ; MCR outputs come back on the MSR inputs
    mov cx, 5
.wiring:
    inc byte [fail_no]
    lodsb
    or al, 0x10
    mov dx, COM1 + 4
    out dx, al
    mov dx, COM1 + 6
    in al, dx
    and al, 0xF0
    cmp al, [si]
    jne .fail
    inc si
    loop .wiring
    mov dx, COM1 + 4
    mov al, 0x1B                    ; loopback, OUT2 DTR RTS
    out dx, al
    mov dx, COM1 + 2
    mov al, 0x87
    out dx, al                      ; empty FIFOs
    mov dx, COM1
    xor al, al
.send:
    out dx, al                      ; 16 bytes: exactly one FIFO load
    inc al
    cmp al, 16
    jb .send
    inc byte [fail_no]              ; 6: they come back, in order
    xor ah, ah
.receive:
    mov bl, 0x01
    call wait_lsr1
    jz .fail
    mov dx, COM1
    in al, dx
    cmp al, ah
    jne .fail
    inc ah
    cmp ah, 16
    jb .receive
    inc byte [fail_no]              ; 7: and nothing else
    mov dx, COM1 + 5
    in al, dx
    test al, 0x01
    jnz .fail
    inc byte [fail_no]              ; 8: a break is received as BI with a zero byte
    mov dx, COM1 + 3
    mov al, 0x43
    out dx, al
    mov bl, 0x10
    call wait_lsr1
    jz .fail
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al
    mov dx, COM1
    in al, dx
    or al, al
    jnz .fail
    mov si, t_ok_text
    call .restore
    jmp com2_puts
.fail:
    call .restore
    mov si, t_fail_text
    call com2_put
    mov al, [fail_no]
    call com2_hex8
    jmp com2_crlf
.restore:
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al
    mov dx, COM1 + 4
    mov al, 0x0B
    out dx, al
    mov dx, COM1 + 2
    mov al, 0x87
    out dx, al
    mov dx, COM1 + 6
    in al, dx                       ; forget the deltas the test caused
    cli
    call set_ier1
    sti
    ret

; wait until COM1's LSR has a bit of BL set (ZF=0), or about 3 timer ticks pass (ZF=1)
wait_lsr1:
    push ax
    mov cx, [TICKS]
.poll:
    mov dx, COM1 + 5
    in al, dx
    test al, bl
    jnz .out
    mov ax, [TICKS]
    sub ax, cx
    cmp ax, 3
    jb .poll
    xor ax, ax                      ; ZF=1: timed out
.out:
    pop ax
    ret

; ---- COM2 output (polled) --------------------------------------------------------------------
com2_putc:
    push dx
    push ax
    mov dx, COM2 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop ax
    mov dx, COM2
    out dx, al
    pop dx
    ret

com2_put:                           ; DS:SI, zero-terminated
    lodsb
    or al, al
    jz .done
    call com2_putc
    jmp com2_put
.done:
    ret

com2_puts:                          ; DS:SI, then CR LF
    call com2_put
com2_crlf:
    mov al, 13
    call com2_putc
    mov al, 10
    jmp com2_putc

com2_hex16:                         ; AX
    push ax
    mov al, ah
    call com2_hex8
    pop ax
com2_hex8:                          ; AL
    push cx
    push ax
    mov cl, 4
    shr al, cl
    call .digit
    pop ax
    pop cx
    and al, 0x0F
.digit:
    add al, '0'
    cmp al, '9' + 1
    jb .put
    add al, 7
.put:
    jmp com2_putc

; ---- data -------------------------------------------------------------------------------------
loop_wiring:    db 0x01, 0x20, 0x02, 0x10, 0x04, 0x40, 0x08, 0x80, 0x0F, 0xF0
ready_text:     db "READY", 0
pong_text:      db "PONG", 0
gdone_text:     db "GDONE", 0
g_text:         db "G", 0
k_text:         db "K", 0
s_text:         db "S", 0
l_text:         db "L", 0
x_text:         db "X", 0
y_text:         db "Y", 0
what_text:      db "?", 0
t_ok_text:      db "T ok", 0
t_fail_text:    db "T fail ", 0
head:           dw 0
tail:           dw 0
gen_left:       dw 0, 0
gen_wait:       db 0
lfsr:           dw 0xACE1
rx_count:       dw 0, 0
sink:           db 0
rx_held:        db 0
rx_stopped:     db 0
msr_seen:       db 0
fail_no:        db 0
cq_head:        dw 0
cq_tail:        dw 0
cmdq:           times 256 db 0

    times 512 * (1 + SECTORS) - ($ - $$) db 0
    times 368640 - 512 * (1 + SECTORS) db 0
