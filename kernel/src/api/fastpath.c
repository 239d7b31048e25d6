/*
 * The IPC fast path (see api/fastpath.h). Every check comes first; the commit that
 * follows cannot fail. The checks are those under which the slow path would do exactly
 * the same thing:
 *   - no extra caps; a message longer than VL_MSG_REGS words needs both threads' IPC
 *     buffers (the slow path would cut it to VL_MSG_REGS words without them); the cap
 *     resolves to an endpoint with the right rights;
 *   - Call: a receiver waits, and it is at least as urgent as every runnable thread; the
 *     caller may grant replies (so a reply cap is made), and the receiver's caller slot
 *     is empty;
 *   - ReplyRecv: there is a caller waiting for this reply, without a fault to handle, at
 *     least as urgent as every runnable thread; no sender waits on the endpoint and no
 *     bound notification is pending;
 *   - Call and ReplyRecv: the thread switched to has a VSpace (else the slow path runs it
 *     on the kernel's table, where it faults).
 */
#include "api/fastpath.h"

#ifdef CONFIG_FASTPATH

#include <vallum/msginfo.h>

#include "arch/registers.h"
#include "arch/vspace_switch.h"
#include "kernel/cspace.h"
#include "kernel/tcbqueue.h"
#include "kernel/thread.h"
#include "object/endpoint.h"
#include "object/notification.h"

/*
 * Finds the slot at cptr in t's CSpace: in any CSpace if general, else only in one of a
 * single CNode (the common case; general_case takes the others). False if not found.
 */
static inline __attribute__((always_inline)) bool
lookup_slot(struct tcb *t, cptr_t cptr, bool general, struct cte **slot)
{
    cap_t root = tcb_slot(t, TCB_CTABLE)->cap;
    if (likely(cspace_lookup_one_level(root, cptr, slot))) {
        return true;
    }
    if (!general) {
        return false;
    }
    *slot = cspace_lookup_fast(root, cptr);
    return *slot != NULL;
}

static struct tcb *general_case(word_t cptr, word_t info, struct tcb *cur, bool is_call);

/*
 * The message info below the label: length (bits 0..6), extra caps (7..8) and unwrapped
 * caps (9..11). A sender's unwrapped bits mean nothing (the kernel sets them for the
 * receiver), so the fast path takes only messages with none: passing the info word on
 * unchanged then gives the receiver what the slow path would.
 */
#define INFO_BELOW_LABEL 0xfffu

/* True if the message has no extra caps and no unwrapped bits. */
static inline __attribute__((always_inline)) bool
no_caps(word_t info)
{
    return (info & INFO_BELOW_LABEL & ~(word_t)0x7f) == 0;
}

/* True if the message has no caps (no_caps) and at most VL_MSG_REGS words, all in
 * registers. */
static inline __attribute__((always_inline)) bool
short_message(word_t info)
{
    return (info & INFO_BELOW_LABEL) <= VL_MSG_REGS;
}

/* True if t is at least as urgent as every runnable thread. Usually no thread is
 * runnable: t's priority is then not even loaded. */
static inline __attribute__((always_inline)) bool
most_urgent(const struct tcb *t)
{
    return likely(ready_top == 0) || sched_none_above(t->priority);
}

/*
 * True if both threads have IPC buffers, which a message longer than the registers
 * needs here (without them the slow path would cut the message short).
 */
static inline __attribute__((always_inline)) bool
buffers_present(struct tcb *from, struct tcb *to)
{
    return ipc_buffer_of(from, false) != NULL && ipc_buffer_of(to, true) != NULL;
}

/*
 * Copies a message (long_msg: more than VL_MSG_REGS words, buffers_present checked).
 * Returns the info word the receiver gets; the caller puts it and the badge in the
 * receiver's registers.
 */
static inline __attribute__((always_inline)) word_t
copy_message(struct tcb *from, struct tcb *to, word_t info, bool long_msg)
{
    word_t len = vl_msginfo_length(info);
    if (!long_msg) {
        /* Only the words sent: the receiver must not see the sender's other registers. */
        for (word_t i = 0; i < len; i++) {
            to->regs[REG_MR0 + i] = from->regs[REG_MR0 + i];
        }
        return info; /* no caps: the info word is unchanged */
    }
    len = MIN(len, VL_MSG_MAX_LENGTH);
    for (word_t i = 0; i < VL_MSG_REGS; i++) {
        to->regs[REG_MR0 + i] = from->regs[REG_MR0 + i];
    }
    const struct vl_ipc_buffer *sbuf = ipc_buffer_of(from, false);
    struct vl_ipc_buffer *rbuf = ipc_buffer_of(to, true);
    for (word_t i = VL_MSG_REGS; i < len; i++) {
        rbuf->msg[i] = sbuf->msg[i];
    }
    return vl_msginfo(vl_msginfo_label(info), 0, 0, len);
}

/* Takes the first thread, t, off an endpoint's queue (usually its only one). */
static inline __attribute__((always_inline)) void
ep_dequeue_head(struct endpoint *ep, struct tcb *t)
{
    struct tcb *next = t->ep_next;
    ep->head = next;
    if (likely(next == NULL)) {
        ep->tail = NULL;
        ep->state = EP_IDLE;
    } else {
        next->ep_prev = NULL;
        t->ep_next = NULL;
    }
}

/*
 * Call. The common case (general false: a message of at most VL_MSG_REGS words, a
 * CSpace of one CNode) and general_case (any CSpace, long_msg if the message is longer)
 * are separate copies, so that the common one tests each condition once and keeps its
 * registers. On success the receiver runs (fastpath_exit does not return in the kernel).
 */
static inline __attribute__((always_inline)) struct tcb *
call(word_t cptr, word_t info, struct tcb *cur, bool long_msg, bool general)
{
    struct cte *slot;
    if (unlikely(!lookup_slot(cur, cptr, general, &slot))) {
        return general ? NULL : general_case(cptr, info, cur, true);
    }
    const cap_t cap = slot->cap;
    if (unlikely(!cap_is_with_rights(cap, CAP_ENDPOINT, VL_RIGHT_WRITE) ||
                 !(cap_rights(cap) & (VL_RIGHT_GRANT | VL_RIGHT_GRANT_REPLY)))) {
        return NULL;
    }
    struct endpoint *ep = cap_ptr(cap);
    struct tcb *dest = ep->head;
    if (unlikely(ep->state != EP_RECV || !most_urgent(dest) || !sched_fast_switch_ok(cur, dest))) {
        return NULL;
    }
    struct cte *reply = tcb_slot(dest, TCB_CALLER);
    word_t satp;
    if (unlikely(cap_type(reply->cap) != CAP_NULL ||
                 !vspace_satp_of(tcb_slot(dest, TCB_VTABLE)->cap, &satp) ||
                 (long_msg && !buffers_present(cur, dest)))) {
        return NULL;
    }

    /* Commit: the receiver leaves the queue, gets the message and a reply cap. */
    ep_dequeue_head(ep, dest);
    word_t badge = cap.w1;
    info = copy_message(cur, dest, info, long_msg);
    reply_cap_set(reply, cur, dest->blocking_can_grant);
    cur->state = TS_BLOCKED_ON_REPLY;
    dest->state = TS_RUNNING;
    ks_cur_thread = dest;
    vspace_switch_satp(satp);
    return fastpath_exit(badge, info, cur, dest);
}

/* ReplyRecv, in the common case or general_case, as call. */
static inline __attribute__((always_inline)) struct tcb *
reply_recv(word_t cptr, word_t info, struct tcb *cur, bool long_msg, bool general)
{
    struct cte *slot;
    if (unlikely(!lookup_slot(cur, cptr, general, &slot))) {
        return general ? NULL : general_case(cptr, info, cur, false);
    }
    /* A copy: the commit's stores could alias the slot for all the compiler knows. */
    const cap_t cap = slot->cap;
    if (unlikely(!cap_is_with_rights(cap, CAP_ENDPOINT, VL_RIGHT_READ))) {
        return NULL;
    }
    struct endpoint *ep = cap_ptr(cap);
    if (unlikely(ep->state == EP_SEND)) {
        return NULL;
    }
    if (unlikely(cur->bound_ntfn != NULL && cur->bound_ntfn->state == NTFN_ACTIVE)) {
        return NULL;
    }
    struct cte *reply = tcb_slot(cur, TCB_CALLER);
    if (unlikely(cap_type(reply->cap) != CAP_REPLY)) {
        return NULL;
    }
    struct tcb *caller = cap_reply_tcb(reply->cap);
    word_t satp;
    if (unlikely(caller->fault.type != FAULT_NONE || !most_urgent(caller) ||
                 !sched_fast_switch_ok(cur, caller) ||
                 !vspace_satp_of(tcb_slot(caller, TCB_VTABLE)->cap, &satp) ||
                 (long_msg && !buffers_present(cur, caller)))) {
        return NULL;
    }

    /* Commit: the reply cap is used up, we wait on the endpoint, the caller runs. */
    caller->reply_slot = NULL;
    reply->cap.w0 = cap_null().w0; /* a reply cap's w1 and mdb_prev are 0 (invariants.c) */
    reply->mdb_next = 0;
    cur->state = TS_BLOCKED_ON_RECV;
    cur->blocking_object = ep;
    cur->blocking_can_grant = cap_has_right(cap, VL_RIGHT_GRANT);
    tcbq_append(&ep->head, &ep->tail, cur);
    ep->state = EP_RECV;
    info = copy_message(cur, caller, info, long_msg);
    caller->state = TS_RUNNING;
    ks_cur_thread = caller;
    vspace_switch_satp(satp);
    return fastpath_exit(0, info, cur, caller);
}

/* Call (is_call) or ReplyRecv outside the common case: a message that does not fit in
 * the registers, or a CSpace of more than one CNode. */
static __attribute__((noinline)) struct tcb *
general_case(word_t cptr, word_t info, struct tcb *cur, bool is_call)
{
    /* Each combination a copy of its own, with its conditions known when compiled. */
    if (short_message(info)) {
        return is_call ? call(cptr, info, cur, false, true)
                       : reply_recv(cptr, info, cur, false, true);
    }
    if (unlikely(!no_caps(info))) {
        return NULL;
    }
    return is_call ? call(cptr, info, cur, true, true) : reply_recv(cptr, info, cur, true, true);
}

struct tcb *
fastpath_call(word_t cptr, word_t info, struct tcb *cur)
{
    if (likely(short_message(info))) {
        return call(cptr, info, cur, false, false);
    }
    return general_case(cptr, info, cur, true);
}

struct tcb *
fastpath_reply_recv(word_t cptr, word_t info, struct tcb *cur)
{
    if (likely(short_message(info))) {
        return reply_recv(cptr, info, cur, false, false);
    }
    return general_case(cptr, info, cur, false);
}

/* True if w, about to be woken by cur's Send or Signal, runs at once: it is more urgent
 * than cur and at least as urgent as every runnable thread. */
static inline __attribute__((always_inline)) bool
preempts(const struct tcb *w, const struct tcb *cur)
{
    return w->priority > cur->priority && sched_none_above(w->priority) &&
           sched_fast_switch_ok(cur, w);
}

/* Runs w, just woken, at once; cur stays runnable. */
static inline __attribute__((always_inline)) void
switch_to_woken(struct tcb *cur, struct tcb *w)
{
    w->state = TS_RUNNING;
    sched_enqueue(cur);
    ks_cur_thread = w;
}

/* Send on an endpoint: the receiver waits and is more urgent than the sender. */
static inline __attribute__((always_inline)) bool
fastpath_send_ipc(struct tcb *cur, const cap_t *cap)
{
    word_t info = cur->regs[REG_MSGINFO];
    struct endpoint *ep = cap_ptr(*cap);
    struct tcb *dest = ep->head;
    bool long_msg = !short_message(info);
    if (unlikely(!no_caps(info) || ep->state != EP_RECV || !preempts(dest, cur) ||
                 (long_msg && !buffers_present(cur, dest)))) {
        return false;
    }
    ep_dequeue_head(ep, dest);
    dest->regs[REG_BADGE] = cap->w1;
    dest->regs[REG_MSGINFO] = copy_message(cur, dest, info, long_msg);
    switch_to_woken(cur, dest);
    return true;
}

bool
fastpath_send(void)
{
    struct tcb *cur = ks_cur_thread;
    struct cte *slot = cspace_lookup_fast(tcb_slot(cur, TCB_CTABLE)->cap, cur->regs[REG_CAP]);
    if (unlikely(slot == NULL || !cap_has_right(slot->cap, VL_RIGHT_WRITE))) {
        return false;
    }
    if (cap_type(slot->cap) == CAP_ENDPOINT) {
        return fastpath_send_ipc(cur, &slot->cap);
    }
    if (unlikely(cap_type(slot->cap) != CAP_NOTIFICATION)) {
        return false;
    }
    struct notification *n = cap_ptr(slot->cap);
    word_t badge = slot->cap.w1;
    if (n->state == NTFN_ACTIVE) {
        n->pending |= badge;
        return true;
    }
    if (n->state == NTFN_IDLE) {
        /* A bound thread waiting on its endpoint needs the slow path's IPC cancel. */
        if (unlikely(n->bound_tcb != NULL)) {
            return false;
        }
        n->pending = badge;
        n->state = NTFN_ACTIVE;
        return true;
    }
    /* A waiter: switch to it directly only if it runs next anyway. */
    struct tcb *w = n->head;
    if (unlikely(!preempts(w, cur))) {
        return false;
    }
    tcbq_remove(&n->head, &n->tail, w);
    if (n->head == NULL) {
        n->state = NTFN_IDLE;
    }
    w->regs[REG_BADGE] = badge;
    switch_to_woken(cur, w);
    return true;
}

bool
fastpath_yield(void)
{
    struct tcb *next = sched_rotate(ks_cur_thread);
    if (next == NULL) {
        return false;
    }
    ks_cur_thread = next;
    return true;
}

#endif /* CONFIG_FASTPATH */
