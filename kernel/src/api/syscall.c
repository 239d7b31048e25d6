/*
 * System calls: Send, NBSend, Call, Recv, NBRecv, Reply, ReplyRecv, Yield and Identify;
 * the debug calls are in debug.c. Invocations of kernel objects are Calls (or Sends) on
 * object caps.
 */
#include "api/syscall.h"

#include <vallum/errors.h>
#include <vallum/fault.h>
#include <vallum/msginfo.h>
#include <vallum/syscall.h>

#include "api/debug.h"
#include "api/failures.h"
#include "api/faults.h"
#include "api/invocation.h"
#include "arch/machine.h"
#include "arch/registers.h"
#include "kernel/cspace.h"
#include "kernel/thread.h"
#include "object/cap.h"
#include "object/endpoint.h"
#include "object/notification.h"
#include "object/objecttype.h"

struct syscall_error current_syscall_error;

/* Makes t fault with a capability fault on cptr (missing cap or rights). */
static void
cap_fault(struct tcb *t, cptr_t cptr, bool in_recv, bool lookup_failed)
{
    if (!lookup_failed) {
        lookup_fault_missing_cap(0);
    }
    fault_set_cap(t, cptr, in_recv);
    fault_handle(t);
}

/* Writes the kernel's error reply for the current syscall error into t's registers. */
static void
reply_error(struct tcb *t, struct vl_ipc_buffer *buf)
{
    struct syscall_error *e = &current_syscall_error;
    word_t mr[5];
    word_t n = 0;
    switch (e->type) {
    case VL_INVALID_ARGUMENT:
        mr[n++] = e->invalid_argument;
        break;
    case VL_INVALID_CAPABILITY:
        mr[n++] = e->invalid_cap;
        break;
    case VL_RANGE_ERROR:
        mr[n++] = e->range_min;
        mr[n++] = e->range_max;
        break;
    case VL_FAILED_LOOKUP:
        mr[n++] = e->lookup_was_source;
        mr[n++] = current_lookup_fault.type;
        mr[n++] = current_lookup_fault.bits_left;
        mr[n++] = current_lookup_fault.bits_found;
        mr[n++] = current_lookup_fault.guard_size;
        break;
    case VL_NOT_ENOUGH_MEMORY:
        mr[n++] = e->memory_left;
        break;
    default:
        break;
    }
    if (buf == NULL) {
        n = MIN(n, VL_MSG_REGS);
    }
    for (word_t i = 0; i < n; i++) {
        ipc_set_mr(t, buf, i, mr[i]);
    }
    t->regs[REG_BADGE] = 0;
    t->regs[REG_MSGINFO] = vl_msginfo(e->type, 0, 0, n);
}

/* Looks up the extra caps of an invocation; faults the thread and returns false if one
 * cannot be found. */
static bool
lookup_extra_caps(struct invocation *inv, word_t count)
{
    inv->n_extra = 0;
    if (inv->buf == NULL) {
        return true;
    }
    for (word_t i = 0; i < count; i++) {
        cptr_t cptr = inv->buf->caps_or_badges[i];
        struct cte *slot = cspace_lookup_cap(inv->thread, cptr);
        if (slot == NULL) {
            cap_fault(inv->thread, cptr, false, true);
            return false;
        }
        inv->extra[i] = slot;
        inv->n_extra = i + 1;
    }
    return true;
}

/* Performs an object invocation; returns EXCEPTION_PREEMPTED if it must be repeated. */
static exception_t
perform_invocation(struct invocation *inv, word_t info)
{
    struct tcb *t = inv->thread;
    if (!lookup_extra_caps(inv, vl_msginfo_extra_caps(info))) {
        return EXCEPTION_NONE;
    }
    inv->label = vl_msginfo_label(info);
    thread_set_state(t, TS_RESTART);
    exception_t status = object_decode_invocation(inv);
    if (status == EXCEPTION_PREEMPTED) {
        return status;
    }
    if (t->state != TS_RESTART) {
        /* The invocation stopped the caller (it suspended itself): no reply. */
        return EXCEPTION_NONE;
    }
    thread_set_state(t, TS_RUNNING);
    if (!inv->is_call) {
        return EXCEPTION_NONE;
    }
    if (status == EXCEPTION_SYSCALL_ERROR) {
        reply_error(t, inv->rbuf);
    } else {
        t->regs[REG_BADGE] = 0;
        t->regs[REG_MSGINFO] = vl_msginfo(0, 0, 0, inv->reply_length);
    }
    return EXCEPTION_NONE;
}

static exception_t
handle_invocation(bool is_call, bool is_blocking)
{
    struct tcb *t = ks_cur_thread;
    word_t info = t->regs[REG_MSGINFO];
    cptr_t cptr = t->regs[REG_CAP];
    struct cte *slot = cspace_lookup_cap(t, cptr);
    if (slot == NULL) {
        if (is_blocking) {
            cap_fault(t, cptr, false, true);
        }
        return EXCEPTION_NONE;
    }
    cap_t cap = slot->cap;
    switch (cap_type(cap)) {
    case CAP_ENDPOINT:
        if (!cap_has_right(cap, VL_RIGHT_WRITE)) {
            if (is_blocking) {
                cap_fault(t, cptr, false, false);
            }
            return EXCEPTION_NONE;
        }
        ep_send_ipc(is_blocking, is_call, cap.w1, cap_has_right(cap, VL_RIGHT_GRANT),
                    cap_has_right(cap, VL_RIGHT_GRANT_REPLY), t, cap_ptr(cap));
        return EXCEPTION_NONE;
    case CAP_NOTIFICATION:
        if (!cap_has_right(cap, VL_RIGHT_WRITE)) {
            if (is_blocking) {
                cap_fault(t, cptr, false, false);
            }
            return EXCEPTION_NONE;
        }
        ntfn_send_signal(cap_ptr(cap), cap.w1);
        return EXCEPTION_NONE;
    case CAP_REPLY:
        ipc_do_reply_transfer(t, cap_reply_tcb(cap), slot, cap_reply_can_grant(cap));
        return EXCEPTION_NONE;
    default: {
        /* Not zeroed as a whole: extra[i] is written before n_extra counts it. */
        struct invocation inv;
        inv.thread = t;
        inv.label = 0;
        inv.slot = slot;
        inv.cap = cap;
        inv.n_extra = 0;
        inv.buf = ipc_buffer_of(t, false);
        inv.rbuf = ipc_buffer_of(t, true);
        inv.length = MIN(vl_msginfo_length(info), inv.buf ? VL_MSG_MAX_LENGTH : VL_MSG_REGS);
        inv.is_call = is_call;
        inv.reply_length = 0;
        return perform_invocation(&inv, info);
    }
    }
}

static void
handle_recv(bool is_blocking)
{
    struct tcb *t = ks_cur_thread;
    cptr_t cptr = t->regs[REG_CAP];
    struct cte *slot = cspace_lookup_cap(t, cptr);
    if (slot == NULL) {
        cap_fault(t, cptr, true, true);
        return;
    }
    cap_t cap = slot->cap;
    switch (cap_type(cap)) {
    case CAP_ENDPOINT:
        if (!cap_has_right(cap, VL_RIGHT_READ)) {
            break;
        }
        ipc_delete_caller_cap(t);
        ep_receive_ipc(t, cap, is_blocking);
        return;
    case CAP_NOTIFICATION: {
        struct notification *n = cap_ptr(cap);
        if (!cap_has_right(cap, VL_RIGHT_READ) || (n->bound_tcb != NULL && n->bound_tcb != t)) {
            break;
        }
        ntfn_receive_signal(t, cap, is_blocking);
        return;
    }
    default:
        break;
    }
    cap_fault(t, cptr, true, false);
}

static void
handle_reply(void)
{
    struct tcb *t = ks_cur_thread;
    struct cte *slot = tcb_slot(t, TCB_CALLER);
    if (cap_type(slot->cap) != CAP_REPLY) {
        return;
    }
    ipc_do_reply_transfer(t, cap_reply_tcb(slot->cap), slot, cap_reply_can_grant(slot->cap));
}

/*
 * Identify: what the cap at a0 in the caller's own CSpace is (docs/kernel/syscalls.md).
 * Reveals only what holding the cap already lets the caller use: its type, its rights and
 * an endpoint's or notification's badge; never an object's address, a frame's mapping or
 * a CNode's guard.
 */
static void
handle_identify(void)
{
    struct tcb *t = ks_cur_thread;
    struct cte *slot = cspace_lookup_slot(t, t->regs[REG_CAP]);
    word_t type = VL_CAP_NULL;
    word_t rights = 0;
    word_t badge = 0;
    word_t failure = VL_LOOKUP_NO_FAILURE;
    if (slot == NULL) {
        failure = current_lookup_fault.type;
    } else {
        cap_t cap = slot->cap;
        type = cap_type(cap);
        rights = cap_rights_of(cap);
        if (type == CAP_ENDPOINT || type == CAP_NOTIFICATION) {
            badge = cap.w1;
        }
    }
    t->regs[REG_BADGE] = type;
    t->regs[REG_MSGINFO] = rights;
    t->regs[REG_MR0] = badge;
    t->regs[REG_MR0 + 1] = failure;
}

static void
handle_unknown_syscall(word_t sysno)
{
    struct tcb *t = ks_cur_thread;
    t->fault.type = FAULT_UNKNOWN_SYSCALL;
    t->fault.w[0] = sysno;
    fault_handle(t);
}

void
syscall_handle(word_t sysno)
{
    exception_t status = EXCEPTION_NONE;
    switch (sysno) {
    case VL_SYS_CALL:
        status = handle_invocation(true, true);
        break;
    case VL_SYS_SEND:
        status = handle_invocation(false, true);
        break;
    case VL_SYS_NB_SEND:
        status = handle_invocation(false, false);
        break;
    case VL_SYS_RECV:
        handle_recv(true);
        break;
    case VL_SYS_NB_RECV:
        handle_recv(false);
        break;
    case VL_SYS_REPLY:
        handle_reply();
        break;
    case VL_SYS_REPLY_RECV:
        handle_reply();
        handle_recv(true);
        break;
    case VL_SYS_YIELD:
        sched_yield_current();
        break;
    case VL_SYS_IDENTIFY:
        handle_identify();
        break;
    default:
#ifndef NDEBUG
        if (debug_handle_syscall(sysno)) {
            break;
        }
#endif
#ifdef CONFIG_BENCH_PREEMPTION
        if (sysno == VL_SYS_BENCH_PREEMPT_MAX) {
            /* Benchmark kernels only: see preemption_point. */
            extern word_t bench_preempt_max;
            ks_cur_thread->regs[REG_CAP] = bench_preempt_max;
            bench_preempt_max = 0;
            break;
        }
#endif
        handle_unknown_syscall(sysno);
        break;
    }
    (void)status; /* a preempted call stays in TS_RESTART and runs again */
}
