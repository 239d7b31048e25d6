/*
 * Fault messages. When a thread faults, the kernel sends a message on its fault
 * endpoint as if the thread had called it: the label is the fault type, the message
 * registers are listed below. Replying with label 0 resumes the thread; any other label
 * leaves it suspended.
 */
#pragma once

enum vl_fault_type {
    VL_FAULT_NONE = 0,
    /* A system call named a capability that could not be used.
     * MR0 pc, MR1 cptr, MR2 1 if the failure was in the receive phase,
     * MR3 lookup failure type (enum vl_lookup_failure), MR4 bits left,
     * MR5 bits found or guard found, MR6 guard size.
     * On a resuming reply the system call is executed again. */
    VL_FAULT_CAP = 1,
    /* An unknown system call number.
     * MR0 pc (of the ecall), MR1 sp, MR2 ra, MR3..MR10 a0..a7, MR11 the number.
     * A reply of 11 or more words sets pc, sp, ra, a0..a7 from MR0..MR10 before
     * resuming at pc (so add 4 to skip the ecall). */
    VL_FAULT_UNKNOWN_SYSCALL = 2,
    /* An illegal instruction, misaligned access, breakpoint or other exception.
     * MR0 pc, MR1 sp, MR2 scause, MR3 stval.
     * A reply of 2 or more words sets pc and sp from MR0, MR1 before resuming. */
    VL_FAULT_USER_EXCEPTION = 3,
    /* A page fault. MR0 pc, MR1 faulting address, MR2 1 for an instruction fetch,
     * MR3 access (1 read, 2 write, 4 execute). A resuming reply retries the access. */
    VL_FAULT_VM = 4,
};

#define VL_FAULT_CAP_LENGTH 7
#define VL_FAULT_UNKNOWN_SYSCALL_LENGTH 12
#define VL_FAULT_USER_EXCEPTION_LENGTH 4
#define VL_FAULT_VM_LENGTH 4
