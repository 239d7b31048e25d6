/*
 * Kernel-wide basic types.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vallum/types.h>

typedef uint64_t word_t;
typedef uint64_t paddr_t;
typedef uint64_t vaddr_t;
typedef word_t cptr_t;
typedef uint64_t pptr_t; /* kernel virtual address of kernel-owned memory */

/* Outcome of a kernel operation that may stop early. */
typedef enum {
    EXCEPTION_NONE = 0,
    EXCEPTION_FAULT,         /* the thread faulted; a fault message is pending */
    EXCEPTION_LOOKUP_FAULT,  /* a capability lookup failed; current_lookup_fault says why */
    EXCEPTION_SYSCALL_ERROR, /* the invocation failed; current_syscall_error says why */
    EXCEPTION_PREEMPTED,     /* an interrupt is pending; the system call will restart */
} exception_t;
