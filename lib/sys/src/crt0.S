/*
 * Start of a Vallum program: sp and a0 are set by whoever started the thread (the kernel
 * for init: a0 = boot info). Sets gp and the thread pointer, then calls vl_start(a0).
 */
    .section .text.start, "ax"
    .global _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la tp, __tls_base
    call vl_start
1:  j 1b
