/*
 * Host stand-ins for the architecture and platform layer, with knobs the tests turn.
 */
#pragma once

#include "types.h"

/* What arch_irq_pending() answers; tests set it to exercise preemption points. */
extern bool host_irq_pending;
/* Number of times arch_irq_pending() was asked. */
extern word_t host_irq_pending_calls;
/* Number of ASIDs the fake ASID table has (ids 1..HOST_NUM_ASIDS-1 are allocatable). */
#define HOST_NUM_ASIDS 8
/* Calls of arch_finalise_cap and arch_vspace_init so far. */
extern word_t host_finalise_calls;
extern word_t host_vspace_inits;
/* Fake interrupt controller state. */
#define HOST_NUM_IRQS 32
extern bool host_irq_enabled[HOST_NUM_IRQS];
extern word_t host_irq_acks;
/* Called by kernel_panic before abort(), so the harness can record the message. */
extern void (*host_panic_hook)(const char *file, int line, const char *msg);
