/*
 * The IPC fast path (see api/fastpath.h). Every check comes first; the commit that
 * follows cannot fail. The checks are those under which the slow path would do exactly
 * the same thing:
 *   - no extra caps, at most VL_MSG_REGS words, and the cap resolves to an endpoint with
 *     the right rights;
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

/* The endpoint cap at cptr in t's CSpace with all of rights, or NULL. */
static inline const cap_t *
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

/* True if the message fits the fast path: no extra caps, at most VL_MSG_REGS words. */
static inline bool
short_message(word_t info)
{
    return (info & 0x3ff) <= VL_MSG_REGS; /* extra caps, unwrapped (bits 7..9) all zero */
}

static inline bool
most_urgent(const struct tcb *t)
{
    return sched_none_above(t->priority);
}

static inline void
copy_message(struct tcb *from, struct tcb *to, word_t info, word_t badge)
{
    word_t len = vl_msginfo_length(info);
    for (word_t i = 0; i < len; i++) {
        to->regs[REG_MR0 + i] = from->regs[REG_MR0 + i];
    }
    to->regs[REG_MSGINFO] = info;
    to->regs[REG_BADGE] = badge;
}

bool
fastpath_call(void)
{
    struct tcb *cur = ks_cur_thread;
    word_t info = cur->regs[REG_MSGINFO];
    if (unlikely(!short_message(info))) {
        return false;
    }
    const cap_t *cap = lookup_endpoint(cur, cur->regs[REG_CAP], VL_RIGHT_WRITE);
    if (unlikely(cap == NULL ||
                 !(cap_rights(*cap) & (VL_RIGHT_GRANT | VL_RIGHT_GRANT_REPLY)))) {
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
    if (unlikely(!short_message(info))) {
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

#endif /* CONFIG_FASTPATH */
