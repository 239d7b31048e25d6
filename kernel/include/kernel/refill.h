/*
 * Budget accounting of a scheduling context: the sporadic-server rule.
 *
 * A scheduling context grants budget B every period T (both in timebase ticks). Its budget
 * is kept as a short queue of refills, each an amount that becomes usable at a time; the
 * amounts always add up to B. A thread runs only on the head refill, and only once the
 * head's time has come. When it runs for a while, the chunk it used is taken from the head
 * and scheduled to come back one period after the chunk began to be used (a chunk used
 * before its refill's time, which only an overrun past the budget-expiry interrupt does,
 * comes back one period after that time instead). So each chunk of budget is used at most
 * once in any window of length T, and a thread can never get more than B in any window of
 * length T, however it blocks, wakes and is preempted (plus, at worst, the overrun of one
 * interrupt's latency, which is charged to the budget that follows).
 *
 * When all CONFIG_SC_REFILLS refills are pending, a new chunk merges into the last one,
 * taking the later of the two times: budget is only ever delayed, never brought forward.
 *
 * The module is pure arithmetic on its struct (no scheduler, no timer, no globals), so the
 * host tests drive it against a simulated clock (tests/unit/kernel/test_refill.c).
 */
#pragma once

#include "config.h"
#include "types.h"

/* Amount of budget (ticks) usable from time (ticks, the time counter's value) on. */
struct refill {
    word_t time;
    word_t amount; /* > 0 */
};

/*
 * The budget state of one scheduling context. The refills are a ring: r[head] first,
 * count of them in order of time (non-decreasing). Protected by the kernel lock (the
 * kernel runs with interrupts masked).
 */
struct refills {
    word_t budget; /* B: ticks per period, 0 < budget <= period */
    word_t period; /* T: ticks */
    word_t head;   /* index in r of the first refill */
    word_t count;  /* refills in use, 1..CONFIG_SC_REFILLS */
    struct refill r[CONFIG_SC_REFILLS];
};

/*
 * Starts over with the whole budget usable at now: one refill (now, budget).
 * Preconditions: 0 < budget <= period.
 */
void refill_reset(struct refills *rs, word_t budget, word_t period, word_t now);

/* True if the head refill's time has come: a thread on rs may run at now. */
bool refill_ready(const struct refills *rs, word_t now);

/*
 * Budget usable without a break from now on: the head refill's amount, plus each following
 * refill whose time comes before the amount so far would run out. 0 if the head is not
 * ready at now.
 */
word_t refill_available(const struct refills *rs, word_t now);

/*
 * Charges used ticks of running, from start to start + used, to the budget. Preconditions:
 * the head was ready at start (refill_ready(rs, start)), and start + used does not overflow.
 * used may exceed what was available (an overrun): the excess comes out of the refills
 * that follow, so the thread gets that much less later; each chunk comes back one period
 * after the later of its use and its refill's time. Times must stay far from overflow:
 * start + used + 2 * period < 2^64 (the scheduling-control invocation bounds the period).
 */
void refill_charge(struct refills *rs, word_t start, word_t used);

/* The time the head refill becomes usable: when a thread waiting for budget may run. */
word_t refill_head_time(const struct refills *rs);

/*
 * Checks the invariants: 0 < budget <= period, 1 <= count <= CONFIG_SC_REFILLS,
 * head < CONFIG_SC_REFILLS, every amount > 0, times non-decreasing in queue order, and the
 * amounts adding up to the budget. Returns NULL or what is wrong.
 */
const char *refill_check(const struct refills *rs);
