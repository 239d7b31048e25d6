/*
 * Trap entry and exit.
 *
 * While a user thread runs, sscratch holds the address of its saved-register array
 * (struct tcb.regs: [0] = pc, [i] = x_i); while the kernel runs, sscratch is 0. The
 * kernel is not preemptible and runs with interrupts disabled, so a trap taken with
 * sscratch = 0 is a kernel bug.
 */
#include "arch/trap_layout.h"

    .section .text
    .align 4
    .global trap_entry
trap_entry:
    csrrw t0, sscratch, t0
    beqz t0, kernel_trap
    /* Every trap saves these: all registers but the temporaries t0..t6. */
    sd ra, 1*8(t0)
    sd sp, 2*8(t0)
    sd gp, 3*8(t0)
    sd tp, 4*8(t0)
    sd s0, 8*8(t0)
    sd s1, 9*8(t0)
    sd a0, 10*8(t0)
    sd a1, 11*8(t0)
    sd a2, 12*8(t0)
    sd a3, 13*8(t0)
    sd a4, 14*8(t0)
    sd a5, 15*8(t0)
    sd a6, 16*8(t0)
    sd a7, 17*8(t0)
    sd s2, 18*8(t0)
    sd s3, 19*8(t0)
    sd s4, 20*8(t0)
    sd s5, 21*8(t0)
    sd s6, 22*8(t0)
    sd s7, 23*8(t0)
    sd s8, 24*8(t0)
    sd s9, 25*8(t0)
    sd s10, 26*8(t0)
    sd s11, 27*8(t0)
    csrr s0, scause
    addi s0, s0, -TRAP_CAUSE_USER_ECALL
    bnez s0, save_temporaries

    /* A system call. System calls do not preserve t0..t6 (uapi/vallum/syscall.h), so
     * they are not saved: the thread's saved copies keep older values of its own. The
     * pc of the ecall is kept for a restart; the thread resumes after it. */
    csrr s0, sepc
    sd s0, TCB_FAULT_IP_OFFSET(t0)
    addi s0, s0, 4
    sd s0, 0(t0)
    csrw sscratch, zero
    lui sp, %hi(kernel_stack_top) /* 4 KiB aligned, in the top 2 GiB (kernel.ld) */
#ifdef CONFIG_FASTPATH
    /* Call and ReplyRecv try the fast path with a0 = cptr and a1 = message info (still
     * in their registers) and a2 = the thread. On success it switches to the thread it
     * chose and does not return (fastpath_exit); returning, it has changed nothing. */
    mv a2, t0
    beqz a7, fast_call /* TRAP_SYS_CALL is 0 */
    li s0, TRAP_SYS_REPLY_RECV
    beq a7, s0, fast_reply_recv
#endif
    tail c_handle_syscall

#ifdef CONFIG_FASTPATH
fast_call:
    call fastpath_call
    tail c_handle_syscall

fast_reply_recv:
    call fastpath_reply_recv
    tail c_handle_syscall
#endif

    /* An interrupt or an exception: the thread's whole state is saved. */
save_temporaries:
    sd t1, 6*8(t0)
    sd t2, 7*8(t0)
    sd t3, 28*8(t0)
    sd t4, 29*8(t0)
    sd t5, 30*8(t0)
    sd t6, 31*8(t0)
    csrr t1, sscratch
    sd t1, 5*8(t0)
    csrr t1, sepc
    sd t1, 0(t0)
    csrw sscratch, zero
    lui sp, %hi(kernel_stack_top)
    csrr a0, scause
    csrr a1, stval
    tail c_handle_trap

kernel_trap:
    /* Restore t0 and keep sscratch 0; report on the kernel stack we are on. */
    csrrw t0, sscratch, t0
    csrr a0, scause
    csrr a1, stval
    csrr a2, sepc
    mv a3, sp
    tail c_handle_kernel_trap

/* Loads reg (x_idx) from the saved registers at base, unless it is base or a register
 * to keep. */
.macro load_reg reg, idx, base, keep0, keep1
    .ifnc \reg, \base
    .ifnc \reg, \keep0
    .ifnc \reg, \keep1
    ld \reg, \idx*8(\base)
    .endif
    .endif
    .endif
.endm

/*
 * Returns to user mode with the saved registers at base (register x_base_idx), all but
 * keep0 and keep1, which already hold what the thread gets; base itself is loaded last.
 * sstatus.SPP is 0 (return to U-mode): set at boot, and every trap from U-mode leaves it
 * 0. Interrupts are always enabled in U-mode, whatever SPIE says.
 */
.macro return_to_user base, base_idx, keep0=none, keep1=none
    csrw sscratch, \base
    ld t0, 0(\base)
    csrw sepc, t0
    load_reg ra, 1, \base, \keep0, \keep1
    load_reg sp, 2, \base, \keep0, \keep1
    load_reg gp, 3, \base, \keep0, \keep1
    load_reg tp, 4, \base, \keep0, \keep1
    load_reg t0, 5, \base, \keep0, \keep1
    load_reg t1, 6, \base, \keep0, \keep1
    load_reg t2, 7, \base, \keep0, \keep1
    load_reg s0, 8, \base, \keep0, \keep1
    load_reg s1, 9, \base, \keep0, \keep1
    load_reg a0, 10, \base, \keep0, \keep1
    load_reg a1, 11, \base, \keep0, \keep1
    load_reg a2, 12, \base, \keep0, \keep1
    load_reg a3, 13, \base, \keep0, \keep1
    load_reg a4, 14, \base, \keep0, \keep1
    load_reg a5, 15, \base, \keep0, \keep1
    load_reg a6, 16, \base, \keep0, \keep1
    load_reg a7, 17, \base, \keep0, \keep1
    load_reg s2, 18, \base, \keep0, \keep1
    load_reg s3, 19, \base, \keep0, \keep1
    load_reg s4, 20, \base, \keep0, \keep1
    load_reg s5, 21, \base, \keep0, \keep1
    load_reg s6, 22, \base, \keep0, \keep1
    load_reg s7, 23, \base, \keep0, \keep1
    load_reg s8, 24, \base, \keep0, \keep1
    load_reg s9, 25, \base, \keep0, \keep1
    load_reg s10, 26, \base, \keep0, \keep1
    load_reg s11, 27, \base, \keep0, \keep1
    load_reg t3, 28, \base, \keep0, \keep1
    load_reg t4, 29, \base, \keep0, \keep1
    load_reg t5, 30, \base, \keep0, \keep1
    load_reg t6, 31, \base, \keep0, \keep1
    ld \base, \base_idx*8(\base)
    sret
.endm

/*
 * The floating-point unit stays off in user mode (sstatus.FS = Off), so that no thread
 * reads another's f-registers: the kernel keeps no per-thread FP state. boot.c turns it
 * off and every return through here turns it off again. The fast path's exit does not
 * repeat this (it would cost two instructions per IPC): it is entered only from a
 * U-mode ecall, FS is part of sstatus, which U-mode cannot write, and with FS = Off an
 * FP instruction traps before it can set FS to Dirty; the kernel itself is built without
 * F/D and writes FS nowhere else. So FS is still Off when the fast path returns.
 */
    .global restore_user_context
restore_user_context:
    li t0, TRAP_SSTATUS_FS /* t0 is loaded from the saved registers below */
    csrc sstatus, t0
    return_to_user a0, 10

#ifdef CONFIG_FASTPATH
    /* The fast path's exit (api/fastpath.h): a0 = badge, a1 = info, a3 = the next
     * thread, whose saved registers hold everything else (a2, the thread left, is not
     * needed: it is an argument only so that the C caller can leave it where it is). */
    .global fastpath_exit
fastpath_exit:
    return_to_user a3, 13, a0, a1
#endif
