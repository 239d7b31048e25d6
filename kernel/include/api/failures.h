/*
 * Why the current operation failed. Set by lookup and decode functions just before they
 * return EXCEPTION_LOOKUP_FAULT or EXCEPTION_SYSCALL_ERROR; read by whoever reports it.
 * The kernel runs one system call at a time, so one copy of each suffices.
 */
#pragma once

#include <vallum/errors.h>

#include "types.h"

struct lookup_fault {
    word_t type;       /* enum vl_lookup_failure */
    word_t bits_left;  /* bits of the cptr not yet resolved */
    word_t bits_found; /* depth mismatch: bits the CNode resolves; guard mismatch: guard */
    word_t guard_size; /* guard mismatch: size of the guard found */
};

struct syscall_error {
    word_t type; /* enum vl_error */
    word_t invalid_argument;
    word_t invalid_cap;
    word_t range_min;
    word_t range_max;
    word_t memory_left;
    bool lookup_was_source;
};

extern struct lookup_fault current_lookup_fault;
extern struct syscall_error current_syscall_error;

/* Records a syscall error of the given type with no detail; returns the exception. */
static inline exception_t
syscall_error(word_t type)
{
    current_syscall_error.type = type;
    return EXCEPTION_SYSCALL_ERROR;
}

static inline exception_t
syscall_error_invalid_argument(word_t index)
{
    current_syscall_error.invalid_argument = index;
    return syscall_error(VL_INVALID_ARGUMENT);
}

static inline exception_t
syscall_error_invalid_cap(word_t index)
{
    current_syscall_error.invalid_cap = index;
    return syscall_error(VL_INVALID_CAPABILITY);
}

static inline exception_t
syscall_error_range(word_t min, word_t max)
{
    current_syscall_error.range_min = min;
    current_syscall_error.range_max = max;
    return syscall_error(VL_RANGE_ERROR);
}

/* Records that a lookup found no usable cap with bits_left bits of the cptr unresolved. */
static inline void
lookup_fault_missing_cap(word_t bits_left)
{
    current_lookup_fault.type = VL_LOOKUP_MISSING_CAP;
    current_lookup_fault.bits_left = bits_left;
    current_lookup_fault.bits_found = 0;
    current_lookup_fault.guard_size = 0;
}

/* Turns the current lookup fault into a FailedLookup syscall error. */
static inline exception_t
syscall_error_failed_lookup(bool was_source)
{
    current_syscall_error.lookup_was_source = was_source;
    return syscall_error(VL_FAILED_LOOKUP);
}
