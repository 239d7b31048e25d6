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
 * and the kernel log signal (they lie in no object). */
bool irq_owns_slot(const struct cte *slot);

/*
 * Invocations on the console frame capability (the UART's page, from IRQControl_TakeConsole):
 * VL_CONSOLE_READ_LOG and VL_CONSOLE_SET_LOG_NOTIFICATION. Any other frame gets
 * VL_ILLEGAL_OPERATION for these labels.
 */
exception_t decode_console_frame_invocation(struct invocation *inv);

/* Called on the way out of the kernel: if output went into the kernel log since the last
 * call, signals the notification the console driver registered (if any). Signalling
 * waits until here because output is written from anywhere in the kernel, including
 * places where waking a thread would not be safe. */
void console_log_signal(void);

/* The console came back to the kernel (the last console frame cap is gone): the log's
 * notification is dropped. */
void console_log_release(void);
