/*
 * System call numbers and the register calling convention.
 *
 * Registers on entry (RISC-V):  a7 = system call number, a0 = capability pointer
 * (destination or source), a1 = message info, a2..a5 = message registers 0..3.
 * Registers on return:          a0 = badge of the sender, a1 = message info,
 * a2..a5 = message registers 0..3. Message registers beyond VL_MSG_REGS live in the
 * IPC buffer. The temporaries t0..t6 are not preserved (as across a C function call):
 * the kernel does not save them on a system call, and on return they hold unspecified
 * values of the calling thread's own (never another thread's or the kernel's data).
 * Every other register is preserved. VL_SYSCALL_CLOBBERS lists the temporaries for
 * inline assembly.
 */
#pragma once

#include <vallum/msginfo.h>

#define VL_SYSCALL_CLOBBERS "t0", "t1", "t2", "t3", "t4", "t5", "t6"

/* Call is 0 and ReplyRecv 1: the trap entry tells the two fast-path calls apart from the
 * rest in one and two instructions. */
enum vl_syscall {
    VL_SYS_CALL = 0,
    VL_SYS_REPLY_RECV = 1,
    VL_SYS_SEND = 2,
    VL_SYS_NB_SEND = 3,
    VL_SYS_RECV = 4,
    VL_SYS_NB_RECV = 5,
    VL_SYS_REPLY = 6,
    VL_SYS_YIELD = 7,
    /* a0 = cptr in the caller's CSpace. Returns a0 = cap type (enum vl_cap_type),
     * a1 = rights (VL_RIGHT_* mask), a2 = badge (endpoint and notification caps, else 0),
     * a3 = why the lookup failed (enum vl_lookup_failure; 0 if the slot was found, then
     * a0 = VL_CAP_NULL means an empty slot). Never faults; a4, a5 are preserved. */
    VL_SYS_IDENTIFY = 8,
    /*
     * Debug calls: present only in debug builds; in release builds they are unknown. Each
     * takes a0 = cptr of a debug cap (VL_CAP_DEBUG) that has the right named below and
     * a1 = its argument. It returns a0 = 0 (done) or an enum vl_error, and a1 = its result:
     * VL_INVALID_CAPABILITY if a0 names no debug cap, VL_ILLEGAL_OPERATION if the cap lacks
     * the right (or, for CHECK, the kernel is not a test kernel); a refused call does
     * nothing else.
     */
    VL_SYS_DEBUG_PUT_CHAR = 32, /* print right; a1 = the character */
    VL_SYS_DEBUG_HALT = 33,     /* halt right; a1 = exit status: 0 success, 1..255 failure */
    VL_SYS_DEBUG_NAME = 34,     /* print right; a1 = TCB cptr; name in the IPC buffer */
    VL_SYS_DEBUG_DUMP = 35,     /* check right; prints the scheduler state */
    VL_SYS_DEBUG_CHECK = 36,    /* check right, test kernels only; returns a1 = 0 if every
                                   kernel invariant holds, 1 if not */
    VL_SYS_DEBUG_CAP_TYPE = 37, /* print right; a1 = cptr in caller's CSpace; returns a1 =
                                   enum vl_cap_type of the slot */
    /* Benchmark kernels only (make bench builds one; never in debug or release kernels):
     * returns in a0, and resets, the most instructions the kernel retired between two
     * checks for a pending interrupt during a deletion. */
    VL_SYS_BENCH_PREEMPT_MAX = 48,
};
