/*
 * Budget accounting of a scheduling context: the sporadic-server rule (kernel/refill.h).
 */
#include "kernel/refill.h"

#include "util.h"

/* The i-th refill in queue order (0 is the head). */
static struct refill *
refill_at(struct refills *rs, word_t i)
{
    return &rs->r[(rs->head + i) % CONFIG_SC_REFILLS];
}

static const struct refill *
refill_at_const(const struct refills *rs, word_t i)
{
    return &rs->r[(rs->head + i) % CONFIG_SC_REFILLS];
}

/* Removes the head refill. Precondition: count > 1, or the caller adds one at once. */
static void
refill_pop(struct refills *rs)
{
    rs->head = (rs->head + 1) % CONFIG_SC_REFILLS;
    rs->count--;
}

/*
 * Schedules amount to come back at time, at the tail. The tail's time is never later than
 * the new one's in correct use; taking the later of the two keeps the queue in order
 * whatever happens. With every refill in use, the amount merges into the tail at the later
 * time: budget is delayed, never brought forward.
 */
static void
refill_schedule(struct refills *rs, word_t time, word_t amount)
{
    if (rs->count > 0) {
        struct refill *tail = refill_at(rs, rs->count - 1);
        time = MAX(time, tail->time);
        if (rs->count == CONFIG_SC_REFILLS) {
            tail->time = time;
            tail->amount += amount;
            return;
        }
    }
    struct refill *r = refill_at(rs, rs->count);
    r->time = time;
    r->amount = amount;
    rs->count++;
}

void
refill_reset(struct refills *rs, word_t budget, word_t period, word_t now)
{
    rs->budget = budget;
    rs->period = period;
    rs->head = 0;
    rs->count = 1;
    rs->r[0].time = now;
    rs->r[0].amount = budget;
}

bool
refill_ready(const struct refills *rs, word_t now)
{
    return refill_at_const(rs, 0)->time <= now;
}

word_t
refill_available(const struct refills *rs, word_t now)
{
    if (!refill_ready(rs, now)) {
        return 0;
    }
    word_t sum = refill_at_const(rs, 0)->amount;
    for (word_t i = 1; i < rs->count; i++) {
        const struct refill *r = refill_at_const(rs, i);
        if (r->time > now + sum) {
            break;
        }
        sum += r->amount;
    }
    return sum;
}

void
refill_charge(struct refills *rs, word_t start, word_t used)
{
    /* Each pass takes at least one tick or empties the head, and the amounts add up to
     * the budget, so the loop ends after at most used + count passes. */
    while (used > 0) {
        struct refill *h = refill_at(rs, 0);
        word_t from = MAX(start, h->time);
        word_t take = MIN(used, h->amount);
        h->amount -= take;
        if (h->amount == 0) {
            refill_pop(rs);
        }
        refill_schedule(rs, from + rs->period, take);
        start += take;
        used -= take;
    }
}

word_t
refill_head_time(const struct refills *rs)
{
    return refill_at_const(rs, 0)->time;
}

const char *
refill_check(const struct refills *rs)
{
    if (rs->budget == 0 || rs->budget > rs->period) {
        return "scheduling context: budget not in 1..period";
    }
    if (rs->count == 0 || rs->count > CONFIG_SC_REFILLS || rs->head >= CONFIG_SC_REFILLS) {
        return "scheduling context: refill queue out of range";
    }
    word_t sum = 0;
    for (word_t i = 0; i < rs->count; i++) {
        const struct refill *r = refill_at_const(rs, i);
        if (r->amount == 0) {
            return "scheduling context: empty refill";
        }
        if (i > 0 && r->time < refill_at_const(rs, i - 1)->time) {
            return "scheduling context: refills out of order";
        }
        if (r->amount > rs->budget - sum) {
            return "scheduling context: refills exceed the budget";
        }
        sum += r->amount;
    }
    if (sum != rs->budget) {
        return "scheduling context: refills fall short of the budget";
    }
    return NULL;
}
