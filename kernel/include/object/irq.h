/*
 * Interrupts: IRQControl hands out one IRQHandler cap per source; an IRQHandler links a
 * source to a notification. A source stays masked from its delivery until acknowledged.
 */
#pragma once

#include "object/structures.h"

struct invocation;

/* IRQControl_Get: MR0 irq, MR1 dest index, MR2 dest depth; extra cap 0 = dest root. */
exception_t decode_irq_control_invocation(struct invocation *inv);

/* IRQHandler_Ack, _SetNotification (extra cap 0), _Clear. */
exception_t decode_irq_handler_invocation(struct invocation *inv);

/* The last IRQHandler cap for irq is gone: disable the source, drop its notification. */
void irq_handler_finalise(word_t irq);

/* Handles an interrupt from the platform controller: signal, or count as spurious. */
void irq_handle(word_t irq);

/* Interrupts that arrived with no handler or for an invalid source. */
extern word_t irq_spurious_count;

/* True if slot is one of the kernel's slots holding the notification caps interrupts
 * signal (they lie in no object). */
bool irq_owns_slot(const struct cte *slot);
