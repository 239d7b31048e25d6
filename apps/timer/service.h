/*
 * The timer service's logic between the device and the clients (docs/drivers.md, "The timer
 * service"): the goldfish alarm kept at the earliest deadline of the timeouts, and the
 * clients to wake. Portable (lib/hw and timeouts.c only), so tests/unit/timer drives it on
 * the host against a simulated device; timer.c connects it to lib/os and the interface.
 *
 * After every operation the service has fired each timeout due at the time it read and armed
 * the alarm for the next deadline; whatever becomes due later raises the interrupt. So a
 * timeout never fires before its deadline (only timeouts due at a time read from the device
 * fire) and fires at the first interrupt or call after it.
 */
#pragma once

#include "goldfish_timer.h"
#include "timeouts.h"

/* Wakes client (the service signals its notification). */
typedef void service_notify_fn(unsigned client);

/* Told of each firing: client, id, the deadline it fired for and the time it fired at. */
typedef void service_log_fn(unsigned client, unsigned id, uint64_t deadline, uint64_t now);

struct service {
    struct goldfish_timer dev;
    struct timeouts timeouts;
    service_notify_fn *notify;
    service_log_fn *log; /* NULL, or set after service_open to watch firings */
    uint64_t now;        /* the time the current update read */
    uint64_t interrupts; /* interrupts handled */
    uint64_t fired;      /* firings so far */
};

/* Opens the device region `region` (goldfish_timer_open) and empties the tables. Returns
 * false if the region is missing or too small. */
bool service_open(struct service *s, const char *region, service_notify_fn *notify);

/* The device's time (ns): the clock every deadline is on. */
uint64_t service_now(struct service *s);

/* The client's calls (timeouts.h for the rules and statuses); each fires what is due and
 * re-arms the alarm before it returns. */
enum timeouts_status service_set(struct service *s, unsigned client, unsigned id, uint64_t deadline,
                                 uint64_t period);
enum timeouts_status service_cancel(struct service *s, unsigned client, unsigned id);

/* Fires what is due, then returns the client's fired mask, its overruns (in *overruns) and
 * the time read (in *now), clearing mask and overruns. */
uint64_t service_collect(struct service *s, unsigned client, uint64_t *overruns, uint64_t *now);

/* The alarm's interrupt: lowers it, fires what is due and re-arms. */
void service_interrupt(struct service *s);
