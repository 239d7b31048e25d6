/*
 * Scheduling: Yield, strict priorities with a busy low-priority thread, round robin
 * between equal priorities driven by the timer. No assertion depends on wall time.
 */
#include "ktest.h"

static volatile vl_word_t counter[2];
static volatile char log_buf[64];
static volatile unsigned nlog;

static void
yielder(vl_word_t id)
{
    for (int i = 0; i < 10; i++) {
        log_buf[nlog++] = (char)id;
        vl_yield();
    }
}

static void
test_sched_yield(void)
{
    nlog = 0;
    CHECK(thread_new(yielder, 'a', 100, 0) != NULL);
    CHECK(thread_new(yielder, 'b', 100, 0) != NULL);
    SETTLE();
    CHECK_EQ(nlog, 20);
    /* Strict alternation, allowing for a timer tick that ends a timeslice between a log
     * entry and the yield (which can put two entries of one thread together). */
    unsigned runs = 0;
    for (unsigned i = 1; i < 20; i++) {
        if (log_buf[i] == log_buf[i - 1]) {
            runs++;
        }
    }
    CHECK(runs <= 2);
    /* Yield with nothing else at our priority returns at once. */
    vl_yield();
}

static void
spinner(vl_word_t id)
{
    for (;;) {
        counter[id]++;
    }
}

static void
signaller(vl_word_t ntfn)
{
    /* Spend a few timeslices of our own work first: the spinner must not get in. */
    for (int i = 0; i < 3; i++) {
        vl_yield();
    }
    vl_signal(ntfn);
}

static void
test_sched_priority(void)
{
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    counter[0] = 0;
    CHECK(thread_new(spinner, 0, 100, 0) != NULL);
    CHECK(thread_new(signaller, n, 200, 0) != NULL);
    vl_wait(n);
    CHECK_EQ(counter[0], 0);
    /* Now the spinner runs whenever we block; a 200 thread still preempts it. */
    CHECK(thread_new(signaller, n, 200, 0) != NULL);
    vl_wait(n);
}

/* Spins until the other spinner has made progress, then signals. */
static void
fair_spinner(vl_word_t arg)
{
    vl_word_t id = arg & 1;
    vl_cptr_t n = arg >> 1;
    while (counter[1 - id] < 1000) {
        counter[id]++;
    }
    vl_signal(n);
    for (;;) {
        counter[id]++;
    }
}

static void
test_sched_round_robin(void)
{
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    counter[0] = counter[1] = 0;
    CHECK(thread_new(fair_spinner, (n << 1) | 0, 100, 0) != NULL);
    CHECK(thread_new(fair_spinner, (n << 1) | 1, 100, 0) != NULL);
    /* Each signals only after seeing the other progress: only the timer can get both
     * there. A broken round robin hangs here (the runner reports the timeout). */
    vl_wait(n);
    vl_wait(n);
    CHECK(counter[0] >= 1000 || counter[1] >= 1000);
}

void
sched_tests(void)
{
    RUN(test_sched_yield);
    RUN(test_sched_priority);
    RUN(test_sched_round_robin);
}
