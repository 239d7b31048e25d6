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

/* Programs the next timer tick. */
void plat_timer_reset(void);

/* Current value of the time counter. */
word_t plat_time_now(void);
