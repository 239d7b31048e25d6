/*
 * The timer service's driver core: QEMU's goldfish RTC as a clock and a one-shot alarm
 * (register semantics in lib/sys's vallum/goldfish_rtc.h). Written against lib/hw only, so
 * the same source runs in the timer component and, in tests/unit/timer, against a simulated
 * device that behaves as QEMU's hw/rtc/goldfish_rtc.c does.
 *
 * The device has one alarm; the timer service (timer.c) keeps it at its earliest deadline.
 * Its interrupt is a level (pending and enabled): the service clears it with
 * goldfish_timer_ack() before it reads the time and reprograms the alarm, so an alarm that
 * is reached in between raises the level again instead of being lost.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <vallum/hw.h>

struct goldfish_timer {
    struct hw_window regs;
    uint64_t alarm; /* the deadline the alarm is armed for (ns); valid while armed */
    bool armed;     /* set by goldfish_timer_arm, cleared by goldfish_timer_disarm */
};

/*
 * Opens the timer whose registers are the device region `region` and puts the device in a
 * known state: no alarm armed, no interrupt pending, the interrupt enabled (what a restarted
 * service finds is whatever its previous run left). Returns false, touching nothing, if
 * there is no such region or it is smaller than the register block.
 */
bool goldfish_timer_open(struct goldfish_timer *t, const char *region);

/* The device's time in nanoseconds (since 1970, or since -rtc base=...). Never decreases
 * while only this driver writes the device (it never writes the time). */
uint64_t goldfish_timer_now(struct goldfish_timer *t);

/*
 * Arms the alarm for time `deadline` (ns), replacing any armed one. A deadline at or before
 * the device's time raises the interrupt at once (the device's rule), so no deadline is
 * ever missed by being set too late. Skips the device if the alarm is already armed for
 * exactly this deadline.
 */
void goldfish_timer_arm(struct goldfish_timer *t, uint64_t deadline);

/* Stops the alarm (no deadline left); an interrupt already pending stays pending. */
void goldfish_timer_disarm(struct goldfish_timer *t);

/* Lowers the interrupt (clears the device's pending flag). The alarm that raised it is spent:
 * the device disarms an alarm when it is reached. */
void goldfish_timer_ack(struct goldfish_timer *t);
