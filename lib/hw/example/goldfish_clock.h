/*
 * An example driver written against lib/hw: reads QEMU's goldfish real-time clock and sets
 * its alarm. It is here to show the shape every driver takes (its registers only through a
 * struct hw_window, so the same source runs in a component and against the simulated device
 * in tests/unit/hw/test_hw.c); the timer service of issue 11 will be the real driver.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <vallum/hw.h>

struct goldfish_clock {
    struct hw_window regs;
};

/* Opens the clock whose registers are the device region `region`; false if there is none
 * or it is smaller than the register block. */
bool goldfish_clock_open(struct goldfish_clock *c, const char *region);

/* The time in nanoseconds since 1970. */
uint64_t goldfish_clock_ns(struct goldfish_clock *c);

/* Arms the alarm for time ns (the device raises its interrupt once the time reaches it). */
void goldfish_clock_set_alarm(struct goldfish_clock *c, uint64_t ns);
