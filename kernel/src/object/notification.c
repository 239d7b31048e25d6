/*
 * Notification objects, with seL4's semantics.
 */
#include "object/notification.h"

#include "arch/registers.h"
#include "kernel/tcbqueue.h"
#include "kernel/thread.h"
#include "object/endpoint.h"

void
ntfn_complete_signal(struct notification *n, struct tcb *t)
{
    t->regs[REG_BADGE] = n->pending;
    n->pending = 0;
    n->state = NTFN_IDLE;
}

void
ntfn_send_signal(struct notification *n, word_t badge)
{
    switch (n->state) {
    case NTFN_IDLE: {
        struct tcb *bound = n->bound_tcb;
        if (bound != NULL && bound->state == TS_BLOCKED_ON_RECV) {
            ipc_cancel(bound);
            bound->regs[REG_BADGE] = badge;
            thread_set_state(bound, TS_RUNNING);
            sched_possible_switch_to(bound);
            return;
        }
        n->pending = badge;
        n->state = NTFN_ACTIVE;
        return;
    }
    case NTFN_WAITING: {
        struct tcb *t = n->head;
        tcbq_remove(&n->head, &n->tail, t);
        if (n->head == NULL) {
            n->state = NTFN_IDLE;
        }
        t->regs[REG_BADGE] = badge;
        thread_set_state(t, TS_RUNNING);
        sched_possible_switch_to(t);
        return;
    }
    case NTFN_ACTIVE:
        n->pending |= badge;
        return;
    default:
        /* Only the kernel sets the state, and only to the ones above. */
        panic("ntfn_send_signal: unknown notification state");
    }
}

void
ntfn_receive_signal(struct tcb *t, cap_t cap, bool blocking)
{
    struct notification *n = cap_ptr(cap);
    if (n->state == NTFN_ACTIVE) {
        ntfn_complete_signal(n, t);
        return;
    }
    if (!blocking) {
        t->regs[REG_BADGE] = 0;
        return;
    }
    thread_set_state(t, TS_BLOCKED_ON_NTFN);
    t->blocking_object = n;
    tcbq_append(&n->head, &n->tail, t);
    n->state = NTFN_WAITING;
}

void
ntfn_cancel_signal(struct tcb *t, struct notification *n)
{
    tcbq_remove(&n->head, &n->tail, t);
    if (n->head == NULL) {
        n->state = NTFN_IDLE;
    }
    thread_set_state(t, TS_INACTIVE);
}

void
ntfn_cancel_all(struct notification *n)
{
    if (n->state != NTFN_WAITING) {
        return;
    }
    struct tcb *t = n->head;
    n->head = n->tail = NULL;
    n->state = NTFN_IDLE;
    while (t != NULL) {
        struct tcb *next = t->ep_next;
        t->ep_next = t->ep_prev = NULL;
        thread_set_state(t, TS_RESTART);
        sched_enqueue(t);
        t = next;
    }
    sched_reschedule_required();
}

void
ntfn_bind(struct tcb *t, struct notification *n)
{
    n->bound_tcb = t;
    t->bound_ntfn = n;
}

void
ntfn_unbind_tcb(struct tcb *t)
{
    if (t->bound_ntfn != NULL) {
        t->bound_ntfn->bound_tcb = NULL;
        t->bound_ntfn = NULL;
    }
}

void
ntfn_unbind(struct notification *n)
{
    if (n->bound_tcb != NULL) {
        n->bound_tcb->bound_ntfn = NULL;
        n->bound_tcb = NULL;
    }
}

const char *
ntfn_check(const struct notification *n)
{
    if ((n->head == NULL) != (n->state != NTFN_WAITING)) {
        return "notification state disagrees with its queue";
    }
    if (n->state != NTFN_ACTIVE && n->pending != 0 && n->state != NTFN_IDLE) {
        return "notification has pending bits while waiting";
    }
    const struct tcb *prev = NULL;
    for (const struct tcb *t = n->head; t != NULL; t = t->ep_next) {
        if (t->state != TS_BLOCKED_ON_NTFN || t->blocking_object != n || t->ep_prev != prev) {
            return "notification queue entry inconsistent";
        }
        prev = t;
    }
    if (n->tail != prev) {
        return "notification queue tail wrong";
    }
    if (n->bound_tcb != NULL && n->bound_tcb->bound_ntfn != n) {
        return "notification binding not mutual";
    }
    return NULL;
}
