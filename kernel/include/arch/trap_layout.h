/*
 * Numbers shared by the trap entry (trap.S) and C. C checks each one against its source
 * (traps.c), so the assembly cannot drift from the structures and enums it mirrors.
 */
#pragma once

/* Byte offset of struct tcb.fault_ip; struct tcb.regs is at offset 0. */
#define TCB_FAULT_IP_OFFSET (32 * 8)

/* scause of an ecall from U-mode. */
#define TRAP_CAUSE_USER_ECALL 8

/* sstatus.FS, the floating-point unit's state field: 0 (Off) makes every F/D instruction
 * and f-register CSR access an illegal instruction. */
#define TRAP_SSTATUS_FS 0x6000

/* The system calls the assembly dispatches to the register fast path. */
#define TRAP_SYS_CALL 0 /* trap.S tests a7 against zero */
#define TRAP_SYS_REPLY_RECV 1
