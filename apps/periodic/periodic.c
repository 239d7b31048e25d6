/*
 * periodic: a component that wants to run all the time below a runaway one
 * (systems/runaway). It reads the time counter in a tight loop for RUN_MS and reports the
 * longest stretch it was kept from running, then the machine powers off. With the runaway's
 * budget enforced that stretch is the runaway's budget plus an interrupt's latency; without
 * it, periodic never runs at all.
 */
#include <stdio.h>
#include <vallum/os.h>
#include <vallum/sys.h>

/* QEMU virt's time counter runs at 10 MHz (the device tree's timebase-frequency). */
#define TICKS_PER_US 10
#define RUN_MS 100

static inline vl_word_t
now(void)
{
    vl_word_t t;
    /* csrr t, time (CSR 0xc01), spelled out: user code is built without Zicsr. */
    __asm__ volatile(".insn i SYSTEM, 2, %0, zero, -1023" : "=r"(t));
    return t;
}

void
init(void)
{
    vl_word_t start = now(), last = start, gap = 0, gaps = 0;
    while (last - start < RUN_MS * 1000 * TICKS_PER_US) {
        vl_word_t t = now();
        if (t - last > gap) {
            gap = t - last;
        }
        /* Stretches of more than 100 us: the runaway's turns. */
        gaps += t - last > 100 * TICKS_PER_US;
        last = t;
    }
    printf("periodic: ran %d ms; kept waiting %lu times, at most %lu us\n", RUN_MS,
           (unsigned long)gaps, (unsigned long)(gap / TICKS_PER_US));
    vl_shutdown_power_off(VL_COMP_SLOT_SHUTDOWN, 0);
}
