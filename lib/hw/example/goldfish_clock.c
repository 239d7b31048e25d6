/*
 * The example goldfish clock driver (see goldfish_clock.h). Register offsets are
 * lib/sys's vallum/goldfish_rtc.h.
 */
#include "goldfish_clock.h"

#include <vallum/goldfish_rtc.h>

bool
goldfish_clock_open(struct goldfish_clock *c, const char *region)
{
    struct hw_window w;
    if (!hw_window_open(&w, region) || w.size < GOLDFISH_RTC_CLEAR_INTERRUPT + 4) {
        return false;
    }
    c->regs = w;
    return true;
}

uint64_t
goldfish_clock_ns(struct goldfish_clock *c)
{
    /* Reading TIME_LOW latches TIME_HIGH, so the two halves belong to one instant only in
     * this order; the fence keeps the device from seeing them the other way round. */
    uint64_t lo = hw_read32(&c->regs, GOLDFISH_RTC_TIME_LOW);
    hw_fence_io();
    uint64_t hi = hw_read32(&c->regs, GOLDFISH_RTC_TIME_HIGH);
    return (hi << 32) | lo;
}

void
goldfish_clock_set_alarm(struct goldfish_clock *c, uint64_t ns)
{
    /* Writing ALARM_LOW arms the alarm with the ALARM_HIGH already written: high first. */
    hw_write32(&c->regs, GOLDFISH_RTC_ALARM_HIGH, (uint32_t)(ns >> 32));
    hw_fence_io();
    hw_write32(&c->regs, GOLDFISH_RTC_ALARM_LOW, (uint32_t)ns);
    hw_fence_io();
    hw_write32(&c->regs, GOLDFISH_RTC_IRQ_ENABLED, 1);
}
