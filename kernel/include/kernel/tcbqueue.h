/*
 * FIFO queues of threads linked through ep_next/ep_prev, used by endpoints and
 * notifications. A thread is in at most one such queue.
 */
#pragma once

#include "object/structures.h"

/* Appends t; the queue is usually empty (one server waiting, one waiter). */
static inline void
tcbq_append(struct tcb **head, struct tcb **tail, struct tcb *t)
{
    t->ep_next = NULL;
    t->ep_prev = *tail;
    if (unlikely(*tail != NULL)) {
        (*tail)->ep_next = t;
    } else {
        *head = t;
    }
    *tail = t;
}

static inline void
tcbq_remove(struct tcb **head, struct tcb **tail, struct tcb *t)
{
    if (t->ep_prev != NULL) {
        t->ep_prev->ep_next = t->ep_next;
    } else {
        *head = t->ep_next;
    }
    if (t->ep_next != NULL) {
        t->ep_next->ep_prev = t->ep_prev;
    } else {
        *tail = t->ep_prev;
    }
    t->ep_next = t->ep_prev = NULL;
}
