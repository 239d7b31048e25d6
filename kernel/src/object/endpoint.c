/*
 * Endpoint IPC with seL4's semantics: a sender and a receiver meet; badges identify
 * senders; a Call leaves a one-shot reply cap in the receiver's caller slot.
 */
#include "object/endpoint.h"

#include <vallum/errors.h>
#include <vallum/msginfo.h>

#include "api/faults.h"
#include "arch/registers.h"
#include "kernel/cspace.h"
#include "kernel/delete.h"
#include "kernel/tcbqueue.h"
#include "kernel/thread.h"
#include "object/cap.h"
#include "object/notification.h"

/* The slot where the receiver accepts a capability, or NULL. */
static struct cte *
receive_slot_of(struct tcb *receiver, struct vl_ipc_buffer *rbuf)
{
    if (rbuf == NULL) {
        return NULL;
    }
    struct cte *node = cspace_lookup_cap(receiver, rbuf->receive_cnode);
    if (node == NULL) {
        return NULL;
    }
    struct cte *slot =
        cspace_lookup_slot_for_op(false, node->cap, rbuf->receive_index, rbuf->receive_depth);
    if (slot == NULL || cap_type(slot->cap) != CAP_NULL) {
        return NULL;
    }
    return slot;
}

/*
 * Transfers the extra caps of a message. A cap to the endpoint being used is unwrapped
 * to its badge; at most one other cap is received, into the receiver's receive slot.
 * Returns the message info's extra-caps and unwrapped fields for the receiver.
 */
static word_t
transfer_caps(struct tcb *sender, struct vl_ipc_buffer *sbuf, word_t n, struct endpoint *ep,
              struct tcb *receiver, struct vl_ipc_buffer *rbuf)
{
    struct cte *dest = receive_slot_of(receiver, rbuf);
    word_t unwrapped = 0;
    word_t i;
    for (i = 0; i < n && rbuf != NULL; i++) {
        struct cte *slot = cspace_lookup_cap(sender, sbuf->caps_or_badges[i]);
        if (slot == NULL) {
            break;
        }
        cap_t cap = slot->cap;
        if (cap_type(cap) == CAP_ENDPOINT && cap_ptr(cap) == (void *)ep && ep != NULL) {
            rbuf->caps_or_badges[i] = cap.w1;
            unwrapped |= BIT(i);
            continue;
        }
        if (dest == NULL) {
            break;
        }
        cap_t derived;
        if (cap_derive(slot, cap, &derived) != EXCEPTION_NONE || cap_type(derived) == CAP_NULL) {
            break;
        }
        cte_insert(derived, slot, dest);
        dest = NULL;
    }
    return (unwrapped << 2) | i;
}

/* Copies a normal (non-fault) message from sender to receiver. */
static void
do_normal_transfer(struct tcb *sender, struct endpoint *ep, word_t badge, bool grant,
                   struct tcb *receiver)
{
    word_t info = sender->regs[REG_MSGINFO];
    struct vl_ipc_buffer *sbuf = ipc_buffer_of(sender, false);
    struct vl_ipc_buffer *rbuf = ipc_buffer_of(receiver, true);
    word_t length = MIN(vl_msginfo_length(info), VL_MSG_MAX_LENGTH);
    if (sbuf == NULL || rbuf == NULL) {
        length = MIN(length, VL_MSG_REGS);
    }
    for (word_t i = 0; i < length; i++) {
        ipc_set_mr(receiver, rbuf, i, ipc_get_mr(sender, sbuf, i));
    }
    word_t caps = 0;
    word_t extra = vl_msginfo_extra_caps(info);
    if (grant && extra > 0 && sbuf != NULL) {
        caps = transfer_caps(sender, sbuf, extra, ep, receiver, rbuf);
    }
    receiver->regs[REG_MSGINFO] = vl_msginfo(vl_msginfo_label(info), caps >> 2, caps & 3, length);
    receiver->regs[REG_BADGE] = badge;
}

/* Transfers sender's message, or its pending fault, to receiver. */
static void
do_ipc_transfer(struct tcb *sender, struct endpoint *ep, word_t badge, bool grant,
                struct tcb *receiver)
{
    if (sender->fault.type != FAULT_NONE) {
        fault_transfer(sender, receiver, badge);
    } else {
        do_normal_transfer(sender, ep, badge, grant, receiver);
    }
}

/* Puts a reply cap to sender into receiver's caller slot; sender waits for the reply. */
static void
setup_caller_cap(struct tcb *sender, struct tcb *receiver, bool can_grant)
{
    thread_set_state(sender, TS_BLOCKED_ON_REPLY);
    struct cte *slot = tcb_slot(receiver, TCB_CALLER);
    /* Recv cleared the caller slot before blocking; a reply cap left since is replaced. */
    ipc_delete_caller_cap(receiver);
    reply_cap_set(slot, sender, can_grant);
}

/* Empties slot, which holds a reply cap, and clears its caller's back pointer. */
static void
reply_cap_take(struct cte *slot)
{
    struct tcb *caller = cap_reply_tcb(slot->cap);
    if (caller->reply_slot == slot) {
        caller->reply_slot = NULL;
    }
    cte_unlink(slot);
}

void
ipc_reply_abort(struct cte *slot)
{
    if (cap_type(slot->cap) != CAP_REPLY) {
        return;
    }
    struct tcb *caller = cap_reply_tcb(slot->cap);
    reply_cap_take(slot);
    assert(caller->state == TS_BLOCKED_ON_REPLY);
    if (caller->fault.type != FAULT_NONE) {
        /* A faulted thread stays stopped; Resume restarts it at the faulting pc. */
        caller->fault.type = FAULT_NONE;
        thread_set_state(caller, TS_INACTIVE);
        return;
    }
    /* The Call returns (its pc is past the ecall) with the error as its reply. */
    caller->regs[REG_BADGE] = 0;
    caller->regs[REG_MSGINFO] = vl_msginfo(VL_REPLY_ABORTED, 0, 0, 0);
    thread_set_state(caller, TS_RUNNING);
    sched_enqueue(caller);
    sched_reschedule_required();
}

void
ipc_delete_caller_cap(struct tcb *t)
{
    ipc_reply_abort(tcb_slot(t, TCB_CALLER));
}

void
ep_send_ipc(bool blocking, bool do_call, word_t badge, bool can_grant, bool can_grant_reply,
            struct tcb *thread, struct endpoint *ep)
{
    if (ep->state != EP_RECV) {
        if (!blocking) {
            return;
        }
        thread_set_state(thread, TS_BLOCKED_ON_SEND);
        thread->blocking_object = ep;
        thread->blocking_badge = badge;
        thread->blocking_can_grant = can_grant;
        thread->blocking_can_grant_reply = can_grant_reply;
        thread->blocking_is_call = do_call;
        tcbq_append(&ep->head, &ep->tail, thread);
        ep->state = EP_SEND;
        return;
    }
    struct tcb *dest = ep->head;
    tcbq_remove(&ep->head, &ep->tail, dest);
    if (ep->head == NULL) {
        ep->state = EP_IDLE;
    }
    do_ipc_transfer(thread, ep, badge, can_grant, dest);
    bool reply_can_grant = dest->blocking_can_grant;
    thread_set_state(dest, TS_RUNNING);
    sched_possible_switch_to(dest);
    if (do_call) {
        if (can_grant || can_grant_reply) {
            setup_caller_cap(thread, dest, reply_can_grant);
        } else {
            thread_set_state(thread, TS_INACTIVE);
        }
    }
}

void
ep_receive_ipc(struct tcb *thread, cap_t cap, bool blocking)
{
    struct endpoint *ep = cap_ptr(cap);
    bool can_grant = cap_has_right(cap, VL_RIGHT_GRANT);
    struct notification *bound = thread->bound_ntfn;
    if (bound != NULL && bound->state == NTFN_ACTIVE) {
        ntfn_complete_signal(bound, thread);
        return;
    }
    if (ep->state != EP_SEND) {
        if (!blocking) {
            thread->regs[REG_BADGE] = 0;
            thread->regs[REG_MSGINFO] = 0;
            return;
        }
        thread_set_state(thread, TS_BLOCKED_ON_RECV);
        thread->blocking_object = ep;
        thread->blocking_can_grant = can_grant;
        tcbq_append(&ep->head, &ep->tail, thread);
        ep->state = EP_RECV;
        return;
    }
    struct tcb *sender = ep->head;
    tcbq_remove(&ep->head, &ep->tail, sender);
    if (ep->head == NULL) {
        ep->state = EP_IDLE;
    }
    do_ipc_transfer(sender, ep, sender->blocking_badge, sender->blocking_can_grant, thread);
    if (sender->blocking_is_call) {
        if (sender->blocking_can_grant || sender->blocking_can_grant_reply) {
            setup_caller_cap(sender, thread, can_grant);
        } else {
            thread_set_state(sender, TS_INACTIVE);
        }
    } else {
        thread_set_state(sender, TS_RUNNING);
        sched_possible_switch_to(sender);
    }
}

void
ipc_do_reply_transfer(struct tcb *sender, struct tcb *receiver, struct cte *slot, bool grant)
{
    assert(receiver->state == TS_BLOCKED_ON_REPLY);
    reply_cap_take(slot);
    if (receiver->fault.type == FAULT_NONE) {
        do_ipc_transfer(sender, NULL, 0, grant, receiver);
        thread_set_state(receiver, TS_RUNNING);
        sched_possible_switch_to(receiver);
        return;
    }
    bool restart = fault_handle_reply(receiver, sender);
    receiver->fault.type = FAULT_NONE;
    if (restart) {
        thread_set_state(receiver, TS_RESTART);
        sched_possible_switch_to(receiver);
    } else {
        thread_set_state(receiver, TS_INACTIVE);
    }
}

void
ipc_cancel(struct tcb *t)
{
    switch (t->state) {
    case TS_BLOCKED_ON_SEND:
    case TS_BLOCKED_ON_RECV: {
        struct endpoint *ep = t->blocking_object;
        tcbq_remove(&ep->head, &ep->tail, t);
        if (ep->head == NULL) {
            ep->state = EP_IDLE;
        }
        /* A fault not yet delivered is raised again when the thread runs. */
        t->fault.type = FAULT_NONE;
        thread_set_state(t, TS_INACTIVE);
        break;
    }
    case TS_BLOCKED_ON_NTFN:
        ntfn_cancel_signal(t, t->blocking_object);
        break;
    case TS_BLOCKED_ON_REPLY:
        /* The thread stops waiting: the reply cap to it is void. */
        t->fault.type = FAULT_NONE;
        if (t->reply_slot != NULL) {
            reply_cap_take(t->reply_slot);
        }
        thread_set_state(t, TS_INACTIVE);
        break;
    default:
        break;
    }
}

/* Wakes a thread taken off a deleted or cancelled queue: it repeats its system call. */
static void
wake_to_restart(struct tcb *t)
{
    t->ep_next = t->ep_prev = NULL;
    t->fault.type = FAULT_NONE;
    thread_set_state(t, TS_RESTART);
    sched_enqueue(t);
}

void
ep_cancel_all(struct endpoint *ep)
{
    struct tcb *t = ep->head;
    ep->head = ep->tail = NULL;
    ep->state = EP_IDLE;
    while (t != NULL) {
        struct tcb *next = t->ep_next;
        wake_to_restart(t);
        t = next;
    }
    sched_reschedule_required();
}

void
ep_cancel_badged_sends(struct endpoint *ep, word_t badge)
{
    if (ep->state != EP_SEND) {
        return;
    }
    struct tcb *t = ep->head;
    while (t != NULL) {
        struct tcb *next = t->ep_next;
        if (t->blocking_badge == badge) {
            tcbq_remove(&ep->head, &ep->tail, t);
            wake_to_restart(t);
        }
        t = next;
    }
    if (ep->head == NULL) {
        ep->state = EP_IDLE;
    }
    sched_reschedule_required();
}

const char *
ep_check_queue(const struct endpoint *ep)
{
    if ((ep->head == NULL) != (ep->state == EP_IDLE)) {
        return "endpoint state disagrees with its queue";
    }
    word_t want = ep->state == EP_SEND ? TS_BLOCKED_ON_SEND : TS_BLOCKED_ON_RECV;
    const struct tcb *prev = NULL;
    for (const struct tcb *t = ep->head; t != NULL; t = t->ep_next) {
        if (t->state != want || t->blocking_object != ep || t->ep_prev != prev) {
            return "endpoint queue entry inconsistent";
        }
        prev = t;
    }
    if (ep->tail != prev) {
        return "endpoint queue tail wrong";
    }
    return NULL;
}
