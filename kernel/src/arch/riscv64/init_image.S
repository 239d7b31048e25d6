/*
 * The first task's ELF image, linked into the kernel. INIT_ELF is set by the build.
 */
    .section .rodata.init_image, "a"
    .align 12
    .global init_image_start
init_image_start:
    .incbin INIT_ELF
    .global init_image_end
init_image_end:
