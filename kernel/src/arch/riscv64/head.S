/*
 * Kernel entry. OpenSBI jumps here in S-mode with the MMU off: a0 = hart id, a1 = physical
 * address of the device tree. The kernel is linked at KERNEL_VBASE but runs at its load
 * address until paging is on; code here is position independent (pc-relative).
 */
    .section .text.boot, "ax"
    .global _start
_start:
    /* The cycle count at entry, for the boot-time benchmark (kept in s2 until .bss is clear). */
    csrr s2, cycle
    /* Only hart 0 boots; others (none with -smp 1) park. */
    bnez a0, park
    mv s0, a0
    mv s1, a1
    /* Physical stack (pc-relative address of the high stack). */
    la sp, kernel_stack_top
    /* Clear .bss. */
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:
    la t0, kernel_entry_cycle
    sd s2, 0(t0)
    call boot_setup_vm
    /* a0 = satp value for the boot page table. */
    sfence.vma
    csrw satp, a0
    sfence.vma
    /* Jump to the high alias of the next instruction and move the stack there. */
    li t0, 0xffffffff00000000
    la t1, 3f
    add t1, t1, t0
    add sp, sp, t0
    jr t1
3:
    mv a0, s0
    mv a1, s1
    call kernel_main
park:
    wfi
    j park

    .section .bss.stack, "aw", @nobits
    .align 12
    .global kernel_stack
kernel_stack:
    .space 16384
    .global kernel_stack_top
kernel_stack_top:
