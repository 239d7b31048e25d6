/*
 * The timer: one-shot deadlines on the time counter, programmed through the Sstc extension's
 * stimecmp where the hart has it and the firmware enabled it, else through the SBI set_timer
 * call. The scheduler's periodic tick is built on the deadlines.
 *
 * Why Sstc: one SBI set_timer is a trap into M-mode firmware (637 guest instructions in
 * QEMU's OpenSBI, ../shared/reference/sel4-qemu-riscv64.md); writing stimecmp is one
 * instruction. Scheduling contexts reprogram the timer on many kernel entries, so the cost
 * of a reprogram decides what they cost.
 */
#include "arch/riscv.h"
#include "config.h"
#include "plat/plat.h"

static word_t ticks_per_tick; /* timebase ticks in one scheduler tick, at least 1 */
static word_t next_tick;      /* the deadline the current tick was armed for, timebase ticks */
static bool use_sstc;         /* stimecmp is writable: set once at boot */

void
plat_timer_init(word_t timebase_hz, bool has_sstc)
{
    ticks_per_tick = timebase_hz / 1000000 * CONFIG_TICK_US;
    if (ticks_per_tick == 0) {
        ticks_per_tick = 1;
    }
    /* Believe the device tree only as far as the hart agrees: a firmware that leaves
     * menvcfg.STCE clear makes every stimecmp access trap. */
    use_sstc = has_sstc && arch_has_stimecmp();
    if (use_sstc) {
        kprintf("Vallum kernel: timer: Sstc (stimecmp)\n");
    } else if (has_sstc) {
        kprintf("Vallum kernel: timer: SBI (Sstc in the device tree, but stimecmp traps: "
                "the firmware did not enable it)\n");
    } else {
        kprintf("Vallum kernel: timer: SBI (no Sstc in the device tree)\n");
    }
    next_tick = plat_time_now();
    plat_timer_reset();
}

void
plat_timer_set_deadline(word_t deadline)
{
    if (use_sstc) {
        csr_write_stimecmp(deadline);
    } else {
        sbi_call(SBI_EXT_TIME, 0, deadline, 0, 0);
    }
}

/* Moves the tick's deadline one period on, or one period from now if that is past. */
static void
advance_tick(word_t now)
{
    next_tick += ticks_per_tick;
    if (next_tick <= now) {
        next_tick = now + ticks_per_tick;
    }
}

void
plat_timer_reset(void)
{
    advance_tick(plat_time_now());
    plat_timer_set_deadline(next_tick);
}

bool
plat_timer_tick_due(word_t now)
{
    if (next_tick > now) {
        return false;
    }
    advance_tick(now);
    return true;
}

word_t
plat_timer_next_tick(void)
{
    return next_tick;
}

word_t
plat_time_now(void)
{
    return csr_read(time);
}
