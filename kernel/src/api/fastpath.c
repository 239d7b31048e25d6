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
 *     bound notification is pending.
 */
#include "api/fastpath.h"

#ifdef CONFIG_FASTPATH

#include <vallum/msginfo.h>

#include "arch/registers.h"
#include "kernel/cspace.h"
#include "kernel/tcbqueue.h"
#include "kernel/thread.h"
#include "object/endpoint.h"
#include "object/notification.h"

/* The endpoint cap at cptr in t's CSpace with all of rights, or NULL. */
static inline __attribute__((always_inline)) const cap_t *
lookup_endpoint(struct tcb *t, cptr_t cptr, word_t rights)
{
    struct cte *slot = cspace_lookup_fast(tcb_slot(t, TCB_CTABLE)->cap, cptr);
    if (unlikely(slot == NULL)) {
        return NULL;
    }
    const cap_t *cap = &slot->cap;
    if (unlikely(cap_type(*cap) != CAP_ENDPOINT || !cap_has_right(*cap, rights))) {
        return NULL;
    }
    return cap;
}

/* True if the message has no extra caps (and no unwrapped bits): bits 7..9 clear. */
static inline __attribute__((always_inline)) bool
no_caps(word_t info)
{
    return (info & 0x380) == 0;
}

static inline __attribute__((always_inline)) bool
most_urgent(const struct tcb *t)
{
    return sched_none_above(t->priority);
}

/*
 * True if the message in info can go from `from` to `to` here: words beyond the registers
 * need both IPC buffers (without them the slow path would cut the message short).
 */
static inline __attribute__((always_inline)) bool
message_fits(struct tcb *from, struct tcb *to, word_t info)
{
    return likely(vl_msginfo_length(info) <= VL_MSG_REGS) ||
           (ipc_buffer_of(from, false) != NULL && ipc_buffer_of(to, true) != NULL);
}

/* Copies the message (checked by message_fits) and sets the receiver's info and badge. */
static inline __attribute__((always_inline)) void
copy_message(struct tcb *from, struct tcb *to, word_t info, word_t badge)
{
    word_t len = vl_msginfo_length(info);
    to->regs[REG_BADGE] = badge;
    if (likely(len <= VL_MSG_REGS)) {
        /* Only the words sent: the receiver must not see the sender's other registers. */
        if (len > 0) {
            to->regs[REG_MR0] = from->regs[REG_MR0];
        }
        if (len > 1) {
            to->regs[REG_MR0 + 1] = from->regs[REG_MR0 + 1];
        }
        if (len > 2) {
            to->regs[REG_MR0 + 2] = from->regs[REG_MR0 + 2];
        }
        if (len > 3) {
            to->regs[REG_MR0 + 3] = from->regs[REG_MR0 + 3];
        }
        to->regs[REG_MSGINFO] = info; /* no caps: the info word is unchanged */
        return;
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
    to->regs[REG_MSGINFO] = vl_msginfo(vl_msginfo_label(info), 0, 0, len);
}

bool
fastpath_call(void)
{
    struct tcb *cur = ks_cur_thread;
    word_t info = cur->regs[REG_MSGINFO];
    if (unlikely(!no_caps(info))) {
        return false;
    }
    const cap_t *cap = lookup_endpoint(cur, cur->regs[REG_CAP], VL_RIGHT_WRITE);
    if (unlikely(cap == NULL || !(cap_rights(*cap) & (VL_RIGHT_GRANT | VL_RIGHT_GRANT_REPLY)))) {
        return false;
    }
    struct endpoint *ep = cap_ptr(*cap);
    struct tcb *dest = ep->head;
    if (unlikely(ep->state != EP_RECV || !most_urgent(dest))) {
        return false;
    }
    struct cte *reply = tcb_slot(dest, TCB_CALLER);
    if (unlikely(cap_type(reply->cap) != CAP_NULL)) {
        return false;
    }
    if (unlikely(!message_fits(cur, dest, info))) {
        return false;
    }

    /* Commit: the receiver leaves the queue, gets the message and a reply cap. */
    tcbq_remove(&ep->head, &ep->tail, dest);
    if (ep->head == NULL) {
        ep->state = EP_IDLE;
    }
    copy_message(cur, dest, info, cap->w1);
    reply->cap = cap_reply(tcb_slots(cur), dest->blocking_can_grant);
    mdb_set_flags(reply, true, true);
    cur->reply_slot = reply;
    cur->state = TS_BLOCKED_ON_REPLY;
    dest->state = TS_RUNNING;
    ks_cur_thread = dest;
    return true;
}

bool
fastpath_reply_recv(void)
{
    struct tcb *cur = ks_cur_thread;
    word_t info = cur->regs[REG_MSGINFO];
    if (unlikely(!no_caps(info))) {
        return false;
    }
    const cap_t *cap = lookup_endpoint(cur, cur->regs[REG_CAP], VL_RIGHT_READ);
    if (unlikely(cap == NULL)) {
        return false;
    }
    struct endpoint *ep = cap_ptr(*cap);
    if (unlikely(ep->state == EP_SEND)) {
        return false;
    }
    if (unlikely(cur->bound_ntfn != NULL && cur->bound_ntfn->state == NTFN_ACTIVE)) {
        return false;
    }
    struct cte *reply = tcb_slot(cur, TCB_CALLER);
    if (unlikely(cap_type(reply->cap) != CAP_REPLY)) {
        return false;
    }
    struct tcb *caller = cap_tcb_ptr(reply->cap);
    if (unlikely(caller->fault.type != FAULT_NONE || !most_urgent(caller))) {
        return false;
    }
    if (unlikely(!message_fits(cur, caller, info))) {
        return false;
    }

    /* Commit: the reply cap is used up, we wait on the endpoint, the caller runs. */
    caller->reply_slot = NULL;
    reply->cap = cap_null();
    reply->mdb_next = 0;
    cur->state = TS_BLOCKED_ON_RECV;
    cur->blocking_object = ep;
    cur->blocking_can_grant = cap_has_right(*cap, VL_RIGHT_GRANT);
    tcbq_append(&ep->head, &ep->tail, cur);
    ep->state = EP_RECV;
    copy_message(cur, caller, info, 0);
    caller->state = TS_RUNNING;
    ks_cur_thread = caller;
    return true;
}

/* Send on an endpoint: the receiver waits and is more urgent than the sender. */
static inline __attribute__((always_inline)) bool
fastpath_send_ipc(struct tcb *cur, const cap_t *cap)
{
    word_t info = cur->regs[REG_MSGINFO];
    struct endpoint *ep = cap_ptr(*cap);
    struct tcb *dest = ep->head;
    if (unlikely(!no_caps(info) || ep->state != EP_RECV || dest->priority <= cur->priority ||
                 !sched_none_above(dest->priority) || !message_fits(cur, dest, info))) {
        return false;
    }
    tcbq_remove(&ep->head, &ep->tail, dest);
    if (ep->head == NULL) {
        ep->state = EP_IDLE;
    }
    copy_message(cur, dest, info, cap->w1);
    dest->state = TS_RUNNING;
    sched_enqueue(cur);
    ks_cur_thread = dest;
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
    if (unlikely(w->priority <= cur->priority || !sched_none_above(w->priority))) {
        return false;
    }
    tcbq_remove(&n->head, &n->tail, w);
    if (n->head == NULL) {
        n->state = NTFN_IDLE;
    }
    w->regs[REG_BADGE] = badge;
    w->state = TS_RUNNING;
    sched_enqueue(cur);
    ks_cur_thread = w;
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
