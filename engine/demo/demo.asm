; xtbox demo disk: a boot floppy of our own with a tiny shell.
;
; Sector 1 is the boot sector: it loads the shell (the next SHELL_SECTORS sectors) to
; 0000:0800 with INT 13h and jumps there. The shell uses only BIOS services (INT 10h, 12h,
; 13h, 14h, 16h, 1Ah) and reaches COM1 for its serial echo mode, so it runs on any PC BIOS.
; `save TEXT` stores TEXT in the last sector of the disk (C79 H1 S18) and `load` prints it:
; the disk itself changes, which is what VM snapshots are tested with.
;
; Build: nasm -f bin -o demo.img demo.asm  (the image is a full 1.44M floppy)

BITS 16
CPU 8086
%define SHELL_SEG 0x0080            ; 0080:0000 = 0000:0800
%define SHELL_SECTORS 4
%define SAVE_CYL 79
%define SAVE_HEAD 1
%define SAVE_SECTOR 18

ORG 0x7C00
boot:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7C00
    sti
    mov [boot_drive], dl
    mov ax, SHELL_SEG
    mov es, ax
    xor bx, bx
    mov ax, 0x0200 + SHELL_SECTORS  ; read SHELL_SECTORS sectors
    mov cx, 0x0002                  ; cylinder 0, sector 2
    xor dh, dh
    int 0x13
    jc .fail
    mov dl, [boot_drive]
    jmp SHELL_SEG:0
.fail:
    mov si, boot_error
.print:
    lodsb
    or al, al
    jz .hang
    mov ah, 0x0E
    int 0x10
    jmp .print
.hang:
    hlt
    jmp .hang
boot_drive: db 0
boot_error: db "demo disk: cannot load the shell", 13, 10, 0
    times 510 - ($ - $$) db 0
    dw 0xAA55

; ---------------------------------------------------------------------------------------------
SECTION shell vstart=0 align=1
shell:
    push cs
    pop ds
    push cs
    pop es
    mov [drive], dl
    mov si, banner
    call puts
main_loop:
    mov si, prompt
    call puts
    call read_line
    mov si, line
    call skip_spaces
    cmp byte [si], 0
    je main_loop
    mov di, cmd_table
.next:
    mov bx, [di]                    ; command name
    or bx, bx
    jz .unknown
    push si
    call match_word                 ; CF=0 and SI after the word when it matches
    jnc .found
    pop si
    add di, 4
    jmp .next
.found:
    add sp, 2
    call skip_spaces
    call [di + 2]
    jmp main_loop
.unknown:
    push si
    mov si, unknown_msg
    call puts
    pop si
    call puts
    mov si, unknown_tail
    call puts
    jmp main_loop

; ---- commands ------------------------------------------------------------------------------
cmd_help:
    mov si, help_text
    jmp puts

cmd_echo:
    call puts
    jmp newline

cmd_mem:
    int 0x12
    call print_dec
    mov si, mem_text
    jmp puts

cmd_time:
    mov ah, 0x02
    int 0x1A
    mov al, ch
    call print_bcd
    mov al, ':'
    call putc
    mov al, cl
    call print_bcd
    mov al, ':'
    call putc
    mov al, dh
    call print_bcd
    jmp newline

cmd_halt:
    mov si, halt_text
    call puts
    mov al, 0
    out 0xF4, al                    ; QEMU-style isa-debug-exit ends the VM here
    cli
.stop:
    hlt
    jmp .stop

cmd_save:
    push si
    mov di, sector
    mov cx, 512
    xor al, al
    rep stosb
    pop si
    mov di, sector
    mov cx, 500
.copy:
    lodsb
    stosb
    or al, al
    loopnz .copy
    mov ax, 0x0301
    call disk_io
    jc disk_error
    mov si, saved_text
    jmp puts

cmd_load:
    mov ax, 0x0201
    call disk_io
    jc disk_error
    cmp byte [sector], 0
    je .empty
    mov si, sector
    call puts
    jmp newline
.empty:
    mov si, empty_text
    jmp puts

disk_io:                            ; AX = function/count for the save sector
    mov bx, sector
    mov cx, (SAVE_CYL << 8) | SAVE_SECTOR
    mov dh, SAVE_HEAD
    mov dl, [drive]
    int 0x13
    ret

disk_error:
    mov si, disk_error_text
    jmp puts

cmd_serial:
    mov si, serial_text
    call puts
    mov ax, 0x00E3                  ; COM1: 9600 baud, 8N1
    xor dx, dx
    int 0x14
.loop:
    mov dx, 0x3FD                   ; line status
    in al, dx
    test al, 1
    jz .keys
    mov dx, 0x3F8
    in al, dx                       ; a byte from the host ...
.wait_tx:
    push ax
    mov dx, 0x3FD
    in al, dx
    test al, 0x20
    pop ax
    jz .wait_tx
    mov dx, 0x3F8
    out dx, al                      ; ... goes straight back
    jmp .loop
.keys:
    mov ah, 0x01
    int 0x16
    jz .loop
    mov ah, 0x00
    int 0x16
    mov si, serial_done
    jmp puts

; ---- helpers ---------------------------------------------------------------------------------
putc:                               ; AL
    push ax
    push bx
    mov ah, 0x0E
    xor bh, bh
    int 0x10
    pop bx
    pop ax
    ret

puts:                               ; DS:SI, zero-terminated
    lodsb
    or al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

newline:
    mov al, 13
    call putc
    mov al, 10
    jmp putc

print_dec:                          ; AX unsigned
    xor cx, cx
    mov bx, 10
.div:
    xor dx, dx
    div bx
    push dx
    inc cx
    or ax, ax
    jnz .div
.out:
    pop ax
    add al, '0'
    call putc
    loop .out
    ret

print_bcd:                          ; AL two BCD digits
    push ax
    push cx
    mov cl, 4
    shr al, cl
    pop cx
    add al, '0'
    call putc
    pop ax
    and al, 0x0F
    add al, '0'
    jmp putc

skip_spaces:
    cmp byte [si], ' '
    jne .done
    inc si
    jmp skip_spaces
.done:
    ret

match_word:                         ; BX = command name, SI = input; CF=1 if no match
    push bx
.cmp:
    mov al, [bx]
    or al, al
    jz .end
    cmp al, [si]
    jne .no
    inc bx
    inc si
    jmp .cmp
.end:
    mov al, [si]
    cmp al, ' '
    je .yes
    or al, al
    jz .yes
.no:
    pop bx
    stc
    ret
.yes:
    pop bx
    clc
    ret

read_line:                          ; into line, zero-terminated, lower-case commands kept
    mov di, line
.key:
    xor ah, ah
    int 0x16
    cmp al, 13
    je .enter
    cmp al, 8
    je .back
    cmp al, ' '
    jb .key
    cmp di, line + 120
    jae .key
    stosb
    call putc
    jmp .key
.back:
    cmp di, line
    je .key
    dec di
    mov al, 8
    call putc
    mov al, ' '
    call putc
    mov al, 8
    call putc
    jmp .key
.enter:
    mov byte [di], 0
    jmp newline

; ---- data -----------------------------------------------------------------------------------
cmd_table:
    dw name_help, cmd_help, name_mem, cmd_mem, name_time, cmd_time, name_echo, cmd_echo
    dw name_serial, cmd_serial, name_halt, cmd_halt, name_save, cmd_save, name_load, cmd_load
    dw 0, 0
name_help:   db "help", 0
name_mem:    db "mem", 0
name_time:   db "time", 0
name_echo:   db "echo", 0
name_serial: db "serial", 0
name_halt:   db "halt", 0
name_save:   db "save", 0
name_load:   db "load", 0
banner:      db "xtbox demo disk - type help", 13, 10, 0
prompt:      db "xtbox> ", 0
help_text:   db "help      this list", 13, 10
             db "mem       conventional memory", 13, 10
             db "time      the time of day", 13, 10
             db "echo TEXT print TEXT", 13, 10
             db "serial    echo COM1 back to itself (any key ends)", 13, 10
             db "save TEXT store TEXT on this disk", 13, 10
             db "load      print what was stored", 13, 10
             db "halt      power off", 13, 10, 0
mem_text:    db " KiB conventional memory", 13, 10, 0
halt_text:   db "System halted.", 13, 10, 0
saved_text:  db "saved", 13, 10, 0
empty_text:  db "(nothing saved)", 13, 10, 0
disk_error_text: db "disk error", 13, 10, 0
serial_text: db "serial echo on COM1; press a key to stop", 13, 10, 0
serial_done: db "serial echo stopped", 13, 10, 0
unknown_msg: db "unknown command: ", 0
unknown_tail: db " (type help)", 13, 10, 0
drive:       db 0
line:        times 128 db 0
sector:      times 512 db 0
shell_end:
    times SHELL_SECTORS * 512 - (shell_end - shell) db 0
%if (shell_end - shell) > SHELL_SECTORS * 512
%error "shell does not fit in SHELL_SECTORS"
%endif

SECTION tail vstart=0 align=1
    times 1474560 - 512 - SHELL_SECTORS * 512 db 0
