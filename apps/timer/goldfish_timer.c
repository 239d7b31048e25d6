/*
 * The goldfish RTC as the timer service's clock and alarm (goldfish_timer.h).
 */
#include "goldfish_timer.h"

#include <vallum/goldfish_rtc.h>

bool
goldfish_timer_open(struct goldfish_timer *t, const char *region)
{
    struct hw_window w;
    if (!hw_window_open(&w, region) || w.size < GOLDFISH_RTC_CLEAR_INTERRUPT + 4) {
        return false;
    }
    t->regs = w;
    t->armed = false;
    t->alarm = 0;
    /* A previous run of the service may have left an alarm armed or an interrupt pending;
     * stop both before enabling, so the first interrupt is one this run asked for. */
    hw_write32(&t->regs, GOLDFISH_RTC_CLEAR_ALARM, 1);
    hw_fence_io();
    hw_write32(&t->regs, GOLDFISH_RTC_CLEAR_INTERRUPT, 1);
    hw_fence_io();
    hw_write32(&t->regs, GOLDFISH_RTC_IRQ_ENABLED, 1);
    return true;
}

uint64_t
goldfish_timer_now(struct goldfish_timer *t)
{
    /* Reading TIME_LOW latches TIME_HIGH: low first, in this order, for one instant. */
    uint64_t lo = hw_read32(&t->regs, GOLDFISH_RTC_TIME_LOW);
    hw_fence_io();
    uint64_t hi = hw_read32(&t->regs, GOLDFISH_RTC_TIME_HIGH);
    return (hi << 32) | lo;
}

void
goldfish_timer_arm(struct goldfish_timer *t, uint64_t deadline)
{
    if (t->armed && t->alarm == deadline) {
        return;
    }
    /* ALARM_LOW arms with the ALARM_HIGH already written: high first. Until ALARM_LOW is
     * written the old alarm stays armed, which is harmless: an early interrupt only makes the
     * service look at the time and find nothing due. */
    hw_write32(&t->regs, GOLDFISH_RTC_ALARM_HIGH, (uint32_t)(deadline >> 32));
    hw_fence_io();
    hw_write32(&t->regs, GOLDFISH_RTC_ALARM_LOW, (uint32_t)deadline);
    t->alarm = deadline;
    t->armed = true;
}

void
goldfish_timer_disarm(struct goldfish_timer *t)
{
    /* Always written: after goldfish_timer_ack the device may hold an alarm this driver
     * no longer counts as armed (see there). */
    hw_write32(&t->regs, GOLDFISH_RTC_CLEAR_ALARM, 1);
    t->armed = false;
}

void
goldfish_timer_ack(struct goldfish_timer *t)
{
    hw_write32(&t->regs, GOLDFISH_RTC_CLEAR_INTERRUPT, 1);
    hw_fence_io();
    /* The device disarmed the alarm when it was reached; forget it, so that arming the same
     * deadline again (a deadline not yet due when read late) writes the device. */
    t->armed = false;
}
