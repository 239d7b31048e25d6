/*
 * System call entry points (called from the architecture's trap handler).
 */
#pragma once

#include "types.h"

/*
 * Handles system call sysno for ks_cur_thread, whose registers are saved and whose
 * fault_ip is the pc of the ecall (regs[0] already points past it). On return the
 * scheduler decides who runs next.
 */
void syscall_handle(word_t sysno);

/* Runs all kernel invariant checkers; returns NULL or the first violation found. */
const char *kernel_check_invariants(void);

/* The sentinel at the head of the capability derivation list (never holds a cap). */
extern struct cte cdt_root;
