/*
 * Sleeping on the timer service (apps/timer, interfaces/timer.idl; docs/drivers.md#the-timer-
 * service), for a client that must block in the middle of an entry point rather than return
 * to the event loop and be notified. Header-only, on top of the generated client stubs
 * ("timer.h", which it includes): for a program whose apps/<app>/interfaces says
 * `timer client`, so that the build generates them and puts them on its include path.
 *
 *   call    the client's call channel to the service
 *   signal  its notify channel from the service
 *   id      a timeout id (0..63) the client keeps for sleeping
 *
 * Collecting with `fired` also collects the client's other timeouts that fired meanwhile:
 * their ids are ORed into *others (the caller handles them) and their overruns are added to
 * *overruns. Signals on other channels wait for the event loop (vl_os_wait_signal).
 */
#pragma once

#include <stdint.h>
#include <vallum/os.h>

#include "timer.h"

/*
 * Sleeps until the service's clock reaches deadline (ns): arms id for it and waits until it
 * has fired and the service's clock has reached deadline (id's bit alone is not enough: a
 * firing of id from before this call that was not collected yet stays set). Returns 0, a
 * set_timeout or fired status (TIMER_SET_TIMEOUT_*, VL_IDL_*), or a lib/os status
 * (vl_os_wait_signal). A deadline already past returns at once.
 */
static inline int
vl_timer_sleep_until(unsigned call, unsigned signal, uint32_t id, uint64_t deadline,
                     uint64_t *others, uint64_t *overruns)
{
    int st = timer_set_timeout(call, id, deadline, 0);
    if (st != 0) {
        return st;
    }
    for (;;) {
        uint64_t ids = 0, ov = 0, now = 0;
        st = timer_fired(call, &ids, &ov, &now);
        if (st != 0) {
            return st;
        }
        *others |= ids & ~(1ull << id);
        *overruns += ov;
        if ((ids & (1ull << id)) && now >= deadline) {
            return 0;
        }
        st = vl_os_wait_signal(signal);
        if (st != 0) {
            return st;
        }
    }
}

/* Sleeps for ns nanoseconds of the service's clock (vl_timer_sleep_until from now); a
 * deadline past the clock's range is the clock's last instant, not a wrapped one in the past. */
static inline int
vl_timer_sleep(unsigned call, unsigned signal, uint32_t id, uint64_t ns, uint64_t *others,
               uint64_t *overruns)
{
    uint64_t now = 0;
    int st = timer_now(call, &now);
    if (st != 0) {
        return st;
    }
    uint64_t deadline;
    if (__builtin_add_overflow(now, ns, &deadline)) {
        deadline = UINT64_MAX;
    }
    return vl_timer_sleep_until(call, signal, id, deadline, others, overruns);
}
