/*
 * Debug system calls (uapi/vallum/syscall.h), in debug kernels only. Each needs a debug
 * capability (CAP_DEBUG) with the right the call names: VL_DEBUG_RIGHT_PRINT,
 * VL_DEBUG_RIGHT_CHECK or VL_DEBUG_RIGHT_HALT (uapi/vallum/objects.h). The invariant walk
 * has no preemption point, so it is only in test kernels: those built with
 * CONFIG_DEBUG_CHECK (the Makefile defines it for the images that tests boot).
 */
#pragma once

#include "types.h"

/*
 * Handles debug system call sysno for ks_cur_thread, whose a0 holds the cptr of a debug
 * cap and a1 the call's argument. Returns false, and does nothing, if sysno is not a debug
 * call. Otherwise the call is done or refused, and the thread gets a0 = 0 or an enum
 * vl_error (VL_INVALID_CAPABILITY: a0 names no debug cap; VL_ILLEGAL_OPERATION: the cap
 * lacks the right, or the walk is not in this kernel) and a1 = the call's result (0 when
 * refused). A refused call changes nothing else; a halt does not return.
 */
bool debug_handle_syscall(word_t sysno);
