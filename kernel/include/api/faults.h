/*
 * Fault delivery: a faulting thread "calls" its fault endpoint with a fault message.
 */
#pragma once

#include "object/structures.h"

/*
 * Delivers t's pending fault (t->fault) to its fault endpoint; if t has no usable fault
 * endpoint, suspends t and reports it on the debug console.
 */
void fault_handle(struct tcb *t);

/* Writes sender's pending fault as a message into receiver's registers/buffer. */
void fault_transfer(struct tcb *sender, struct tcb *receiver, word_t badge);

/* Applies the handler's reply to faulted; returns true if faulted should resume. */
bool fault_handle_reply(struct tcb *faulted, struct tcb *handler);

/* Called every timer tick: lets one more fault report through (see faults.c). */
void fault_report_tick(void);

/* Records a capability fault for t: cptr could not be used (in_recv: receive phase). */
void fault_set_cap(struct tcb *t, cptr_t cptr, bool in_recv);
