/* The system image (tools/vlsys output) linked into init. SYSIMG is set by the build. */
    .section .rodata.sysimg, "a"
    .balign 8
    .global vl_sysimg_start
vl_sysimg_start:
    .incbin SYSIMG
    .balign 8
    .global vl_sysimg_end
vl_sysimg_end:
