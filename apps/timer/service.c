/*
 * The timer service's logic (service.h).
 */
#include "service.h"

/* timeouts_expire's callback: wake a client whose fired mask just became non-zero (a client
 * that has not collected yet has a signal pending or is about to collect). */
static void
on_fire(void *ctx, unsigned client, unsigned id, uint64_t deadline, bool notify)
{
    struct service *s = ctx;
    s->fired++;
    if (s->log != NULL) {
        s->log(client, id, deadline, s->now);
    }
    if (notify) {
        s->notify(client);
    }
}

/* Fires what is due at the device's time and arms the alarm for the next deadline; returns
 * the time read. The alarm is armed after the time is read, so a deadline reached in
 * between is already in the past for the device, which raises the interrupt at once. */
static uint64_t
update(struct service *s)
{
    uint64_t now = goldfish_timer_now(&s->dev);
    s->now = now;
    timeouts_expire(&s->timeouts, now, on_fire, s);
    uint64_t next;
    if (timeouts_next(&s->timeouts, &next)) {
        goldfish_timer_arm(&s->dev, next);
    } else {
        goldfish_timer_disarm(&s->dev);
    }
    return now;
}

bool
service_open(struct service *s, const char *region, service_notify_fn *notify)
{
    if (!goldfish_timer_open(&s->dev, region)) {
        return false;
    }
    timeouts_init(&s->timeouts);
    s->notify = notify;
    s->log = NULL;
    s->interrupts = 0;
    s->fired = 0;
    return true;
}

uint64_t
service_now(struct service *s)
{
    return goldfish_timer_now(&s->dev);
}

enum timeouts_status
service_set(struct service *s, unsigned client, unsigned id, uint64_t deadline, uint64_t period)
{
    enum timeouts_status st = timeouts_set(&s->timeouts, client, id, deadline, period);
    if (st == TIMEOUTS_OK) {
        update(s); /* a deadline already past fires now */
    }
    return st;
}

enum timeouts_status
service_cancel(struct service *s, unsigned client, unsigned id)
{
    enum timeouts_status st = timeouts_cancel(&s->timeouts, client, id);
    if (st == TIMEOUTS_OK) {
        update(s);
    }
    return st;
}

uint64_t
service_collect(struct service *s, unsigned client, uint64_t *overruns, uint64_t *now)
{
    *now = update(s);
    return timeouts_collect(&s->timeouts, client, overruns);
}

void
service_interrupt(struct service *s)
{
    s->interrupts++;
    /* Lowered first: an alarm reached from here on raises it again. */
    goldfish_timer_ack(&s->dev);
    update(s);
}
