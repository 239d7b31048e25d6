/*
 * Notifications: a word of binary semaphores. Signal ORs a badge in; wait returns the
 * accumulated word and clears it. A TCB may bind one notification so that a thread
 * waiting on an endpoint also wakes for signals.
 */
#pragma once

#include "object/structures.h"

/* Signals n with badge: wakes a waiter (or the bound thread) or accumulates the badge. */
void ntfn_send_signal(struct notification *n, word_t badge);

/* Waits on (blocking) or polls (non-blocking) the notification named by cap. */
void ntfn_receive_signal(struct tcb *t, cap_t cap, bool blocking);

/* Delivers n's pending word to t and clears it. */
void ntfn_complete_signal(struct notification *n, struct tcb *t);

/* Takes t, which waits on n, out of n's queue; t becomes INACTIVE. */
void ntfn_cancel_signal(struct tcb *t, struct notification *n);

/* Wakes every waiter of n to restart its system call (n is being deleted). */
void ntfn_cancel_all(struct notification *n);

/* Binds n to t / unbinds the notification bound to t / unbinds n from its thread. */
void ntfn_bind(struct tcb *t, struct notification *n);
void ntfn_unbind_tcb(struct tcb *t);
void ntfn_unbind(struct notification *n);

/* Checks a notification's state and queue; NULL if consistent. */
const char *ntfn_check(const struct notification *n);
