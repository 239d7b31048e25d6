/* The program tests/os/proc/hello.c, linked separately, embedded in ktest. */
    .section .rodata.proc_image, "a"
    .align 3
    .global proc_image_start
proc_image_start:
    .incbin PROC_ELF
    .global proc_image_end
proc_image_end:
