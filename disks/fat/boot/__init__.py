"""Our boot code for FAT disks: mbr.asm/mbr.bin (the MBR) and vbr.asm/vbr.bin (a volume\nwith no DOS yet). Assembled with nasm (make -C disks/fat/boot), binaries committed."""
