/*
 * sched_none_above, which the IPC fast path uses to decide that no thread of higher
 * priority is ready, across the 64-priority words of the ready bitmap (found by
 * `make mutate`: dropping its early "false" went unnoticed), and how often preemption
 * points look for interrupts.
 */
#include "ktest.h"

#include "config.h"

KTEST(sched_none_above_across_words)
{
    CHECK(sched_none_above(0));
    CHECK(sched_none_above(VL_NUM_PRIORITIES - 1));
    struct tcb *t = kt_thread(100, TS_RUNNING); /* word 1 */
    sched_enqueue(t);
    CHECK(!sched_none_above(10)); /* a higher word has a ready thread */
    CHECK(!sched_none_above(63)); /* the last priority of word 0 */
    CHECK(!sched_none_above(64)); /* the same word, below */
    CHECK(!sched_none_above(99));
    CHECK(sched_none_above(100)); /* equal is not above */
    CHECK(sched_none_above(101));
    CHECK(sched_none_above(127));
    CHECK(sched_none_above(VL_NUM_PRIORITIES - 1));
    sched_dequeue(t);
    CHECK(sched_none_above(10));
    struct tcb *u = kt_thread(63, TS_RUNNING); /* the top of word 0 */
    sched_enqueue(u);
    CHECK(!sched_none_above(0));
    CHECK(!sched_none_above(62));
    CHECK(sched_none_above(63));
    CHECK(sched_none_above(64));
    sched_dequeue(u);
    INV();
}

/* Every pair of one ready thread's priority and a queried priority, in every word. */
KTEST(sched_none_above_every_pair)
{
    static const word_t ready[] = {0, 5, 63, 64, 70, 127, 128, 150, 191, 192, 200, 255};
    for (word_t i = 0; i < ARRAY_SIZE(ready); i++) {
        struct tcb *t = kt_thread(ready[i], TS_RUNNING);
        sched_enqueue(t);
        for (word_t q = 0; q < VL_NUM_PRIORITIES; q++) {
            CHECK_EQ(sched_none_above(q), ready[i] <= q);
        }
        sched_dequeue(t);
    }
    INV();
}

/*
 * A preemption point asks for pending interrupts once every CONFIG_PREEMPTION_WORK_UNITS
 * units of work, and preempts only if one is pending.
 */
KTEST(preemption_point_every_n_units)
{
    host_irq_pending = true;
    /* Start from a known count: run until the first check. */
    while (preemption_point() == EXCEPTION_NONE) {
    }
    word_t calls = host_irq_pending_calls;
    for (int round = 0; round < 3; round++) {
        for (word_t i = 1; i < CONFIG_PREEMPTION_WORK_UNITS; i++) {
            CHECK_EQ(preemption_point(), EXCEPTION_NONE);
        }
        CHECK_EQ(host_irq_pending_calls, calls);
        CHECK_EQ(preemption_point(), EXCEPTION_PREEMPTED);
        CHECK_EQ(host_irq_pending_calls, ++calls);
    }
    host_irq_pending = false;
    for (word_t i = 0; i < 4 * CONFIG_PREEMPTION_WORK_UNITS; i++) {
        CHECK_EQ(preemption_point(), EXCEPTION_NONE);
    }
    CHECK_EQ(host_irq_pending_calls, calls + 4);
}
