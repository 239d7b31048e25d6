/*
 * Platform interface: interrupt controller and timer.
 */
#pragma once

#include "types.h"

/* Number of interrupt sources (1..count-1 are valid; 0 means none). */
word_t plat_irq_count(void);

/* Enables or disables delivery of a source. */
void plat_irq_set_enabled(word_t irq, bool enabled);

/* Completes a claimed interrupt: the source may be delivered again. */
void plat_irq_ack(word_t irq);

/* Claims the highest-priority pending interrupt, 0 if none. */
word_t plat_irq_claim(void);

/*
 * Chooses how the timer is programmed: through stimecmp if has_sstc (the device tree says
 * every hart has Sstc) and the firmware enabled it (arch_has_stimecmp), else through the
 * SBI set_timer call, and says which on the console. Then arms the first scheduler tick.
 * Boot only, with interrupts masked. timebase_hz is the time counter's frequency.
 */
void plat_timer_init(word_t timebase_hz, bool has_sstc);

/*
 * Arms the timer for one interrupt when the time counter reaches deadline (in timebase
 * ticks), replacing any earlier deadline; the pending timer interrupt clears when the new
 * deadline is in the future. A deadline already past interrupts at once.
 */
void plat_timer_set_deadline(word_t deadline);

/*
 * Arms the next scheduler tick: one tick period (CONFIG_TICK_US) after the previous tick's
 * deadline, so ticks do not drift with interrupt latency, or one period from now if that
 * is already past (the kernel was held up for more than a period).
 */
void plat_timer_reset(void);

/* Current value of the time counter, in timebase ticks. */
word_t plat_time_now(void);

/*
 * For a kernel that arms the timer itself for more than the tick (scheduling contexts,
 * CONFIG_MCS): if the scheduler tick's deadline has come by now, moves it on as
 * plat_timer_reset does, without arming anything, and returns true; else returns false.
 */
bool plat_timer_tick_due(word_t now);

/* The scheduler tick's next deadline (timebase ticks). */
word_t plat_timer_next_tick(void);
