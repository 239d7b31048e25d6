/*
 * Debug system calls: each checks the caller's debug capability for the right it needs,
 * then prints, names, inspects or halts (api/debug.h).
 */
#include "api/debug.h"

#include <vallum/errors.h>
#include <vallum/syscall.h>

#include "api/syscall.h"
#include "arch/machine.h"
#include "arch/registers.h"
#include "kernel/cspace.h"
#include "kernel/thread.h"
#include "object/endpoint.h"
#include "object/structures.h"

#ifndef NDEBUG

/* The right debug call sysno needs, or 0 if sysno is not a debug call. */
static word_t
debug_right_of(word_t sysno)
{
    switch (sysno) {
    case VL_SYS_DEBUG_PUT_CHAR:
    case VL_SYS_DEBUG_NAME:
    case VL_SYS_DEBUG_CAP_TYPE:
        return VL_DEBUG_RIGHT_PRINT;
    case VL_SYS_DEBUG_DUMP:
    case VL_SYS_DEBUG_CHECK:
        return VL_DEBUG_RIGHT_CHECK;
    case VL_SYS_DEBUG_HALT:
        return VL_DEBUG_RIGHT_HALT;
    default:
        return 0;
    }
}

/* VL_NO_ERROR if cptr names a debug cap of t that has right, else the error to return. */
static word_t
decode_debug_cap(struct tcb *t, cptr_t cptr, word_t right)
{
    struct cte *slot = cspace_lookup_cap(t, cptr);
    if (slot == NULL || cap_type(slot->cap) != CAP_DEBUG) {
        return VL_INVALID_CAPABILITY;
    }
    if (!cap_has_right(slot->cap, right)) {
        return VL_ILLEGAL_OPERATION;
    }
    return VL_NO_ERROR;
}

/* Names the thread whose TCB cap is at cptr with the string in t's IPC buffer; does
 * nothing if cptr names no TCB or t has no readable buffer. */
static void
debug_name(struct tcb *t, cptr_t cptr)
{
    struct cte *slot = cspace_lookup_cap(t, cptr);
    struct vl_ipc_buffer *buf = ipc_buffer_of(t, false);
    if (slot == NULL || cap_type(slot->cap) != CAP_TCB || buf == NULL) {
        return;
    }
    struct tcb *target = cap_tcb_ptr(slot->cap);
    const char *src = (const char *)buf->msg;
    word_t i;
    for (i = 0; i < sizeof(target->name) - 1 && src[i] != '\0'; i++) {
        target->name[i] = src[i];
    }
    target->name[i] = '\0';
}

#ifdef CONFIG_DEBUG_CHECK
/* Runs the invariant walk; *violated = 1 (and the first violation printed) if one fails. */
static word_t
debug_check(word_t *violated)
{
    const char *why = kernel_check_invariants();
    if (why != NULL) {
        kprintf("vallum: invariant violated: %s\n", why);
    }
    *violated = why != NULL;
    return VL_NO_ERROR;
}
#else
/* Not a test kernel: the walk, which has no preemption point, is not here. */
static word_t
debug_check(word_t *violated)
{
    *violated = 0;
    return VL_ILLEGAL_OPERATION;
}
#endif

/* Performs debug call sysno, whose cap has been checked, with argument arg. Returns
 * VL_NO_ERROR or the error to return; *result is the call's result. */
static word_t
invoke_debug(struct tcb *t, word_t sysno, word_t arg, word_t *result)
{
    *result = 0;
    switch (sysno) {
    case VL_SYS_DEBUG_PUT_CHAR:
        arch_putchar((char)arg);
        return VL_NO_ERROR;
    case VL_SYS_DEBUG_HALT:
        arch_halt(arg);
    case VL_SYS_DEBUG_NAME:
        debug_name(t, arg);
        return VL_NO_ERROR;
    case VL_SYS_DEBUG_DUMP:
        kprintf("vallum: current thread '%s' prio %u; highest ready prio %d\n", t->name,
                t->priority, sched_highest_priority());
        return VL_NO_ERROR;
    case VL_SYS_DEBUG_CHECK:
        return debug_check(result);
    case VL_SYS_DEBUG_CAP_TYPE: {
        struct cte *slot = cspace_lookup_slot(t, arg);
        *result = slot != NULL ? cap_type(slot->cap) : VL_CAP_NULL;
        return VL_NO_ERROR;
    }
    default:
        return VL_ILLEGAL_OPERATION;
    }
}

bool
debug_handle_syscall(word_t sysno)
{
    word_t right = debug_right_of(sysno);
    if (right == 0) {
        return false;
    }
    struct tcb *t = ks_cur_thread;
    word_t result = 0;
    word_t err = decode_debug_cap(t, t->regs[REG_CAP], right);
    if (err == VL_NO_ERROR) {
        err = invoke_debug(t, sysno, t->regs[REG_MSGINFO], &result);
    }
    t->regs[REG_CAP] = err;
    t->regs[REG_MSGINFO] = result;
    return true;
}

#endif /* !NDEBUG */
