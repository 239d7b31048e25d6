/*
 * The scheduler tick, from the SBI timer; the time base comes from the device tree.
 */
#include "arch/riscv.h"
#include "config.h"
#include "plat/plat.h"

static word_t ticks_per_tick;

/* Sets the counter frequency and starts the periodic tick. */
void plat_timer_init(word_t timebase_hz);
void
plat_timer_init(word_t timebase_hz)
{
    ticks_per_tick = timebase_hz / 1000000 * CONFIG_TICK_US;
    if (ticks_per_tick == 0) {
        ticks_per_tick = 1;
    }
    plat_timer_reset();
}

word_t
plat_time_now(void)
{
    return csr_read(time);
}

void
plat_timer_reset(void)
{
    sbi_call(SBI_EXT_TIME, 0, plat_time_now() + ticks_per_tick, 0, 0);
}
