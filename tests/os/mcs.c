/*
 * Scheduling contexts enforced (a kernel built with MCS=1; docs/kernel/scheduling.md).
 *
 * Each test runs limited threads (a budget of a tenth of the period) at a high priority
 * beside an observer at a lower one, which reads the time counter in a tight loop and
 * records the longest stretch it was kept from running. The limited threads spin, are
 * preempted, yield, block in calls or signal; whatever they do, the observer is never kept
 * out for longer than their budgets add up to, plus what one timer interrupt takes, and
 * no context is charged more than its budget per period. Everything is measured on the
 * time counter, which runs on guest instructions under QEMU's -icount (the ktest-mcs
 * step), never on wall time. The attacker tests show that a thread cannot run without a
 * context or raise its own budget.
 */
#include <stdbool.h>

#include "ktest.h"

#ifdef CONFIG_MCS

/* Time-counter ticks (10 MHz on QEMU's virt machine). */
#define PERIOD 20000
#define BUDGET (PERIOD / 10)
/* The run: long enough for many periods, short enough for the suite. */
#define RUN_TICKS (30 * PERIOD)
/*
 * What the kernel may take beyond a budget: the budget-expiry interrupt and the switch
 * (about 1,000 instructions, 10 ticks under -icount), with room for the observer's own
 * loop and the timer ticks that land in a gap.
 */
#define SLACK 100

#define PRIO_OBSERVER 150
#define PRIO_LIMITED 200

static inline vl_word_t
now(void)
{
    vl_word_t t;
    /* csrr t, time (CSR 0xc01), spelled out: user code is built without Zicsr. */
    __asm__ volatile(".insn i SYSTEM, 2, %0, zero, -1023" : "=r"(t));
    return t;
}

static volatile vl_word_t run_end;      /* every thread stops at this time */
static volatile vl_word_t observer_gap; /* the longest stretch the observer lost */
static volatile vl_word_t observer_done;
static volatile vl_word_t spins[4];
static vl_cptr_t done_ntfn;
static vl_cptr_t work_ep;
static vl_cptr_t work_ntfn;

/* Runs until run_end, recording the longest gap between two reads of the time counter. */
static void
observer(vl_word_t arg)
{
    (void)arg;
    vl_word_t last = now(), gap = 0;
    while (last < run_end) {
        vl_word_t t = now();
        if (t - last > gap) {
            gap = t - last;
        }
        last = t;
    }
    observer_gap = gap;
    observer_done = 1;
    vl_signal(done_ntfn);
}

/* Spins until run_end. */
static void
spin(vl_word_t id)
{
    while (now() < run_end) {
        spins[id]++;
    }
}

/* Spins, yielding every 100 rounds. */
static void
spin_yield(vl_word_t id)
{
    while (now() < run_end) {
        if (++spins[id] % 100 == 0) {
            vl_yield();
        }
    }
}

/* Spins, calling the server every 100 rounds. */
static void
spin_call(vl_word_t id)
{
    while (now() < run_end) {
        if (++spins[id] % 100 == 0) {
            vl_word_t mr[VL_MSG_REGS] = {id};
            vl_call(work_ep, vl_msginfo(0, 0, 0, 1), mr);
        }
    }
}

/* Spins, signalling a waiter of higher priority every 100 rounds. */
static void
spin_signal(vl_word_t id)
{
    while (now() < run_end) {
        if (++spins[id] % 100 == 0) {
            vl_signal(work_ntfn);
        }
    }
}

/* Answers every call at once. */
static void
server(vl_word_t arg)
{
    (void)arg;
    vl_word_t mr[VL_MSG_REGS] = {0};
    struct vl_msg m = vl_recv(work_ep);
    for (;;) {
        m = vl_reply_recv(work_ep, vl_msginfo(0, 0, 0, 1), mr);
        (void)m;
    }
}

/* Waits for signals for ever. */
static void
waiter(vl_word_t arg)
{
    (void)arg;
    for (;;) {
        vl_wait(work_ntfn);
    }
}

/* A limited thread: fn at prio on budget/period. */
static struct kthread *
limited_new(thread_fn *fn, vl_word_t id, vl_word_t prio, vl_word_t budget)
{
    struct kthread *t = thread_create(fn, id, prio, 0, ROOT, 0);
    if (t == NULL || vl_sched_control_configure(VL_CAP_SCHED_CONTROL_SLOT, t->sc, budget, PERIOD) ||
        thread_start(t) != 0) {
        return NULL;
    }
    return t;
}

/*
 * Starts the observer, waits for it to finish, and checks the longest gap it saw against
 * the budgets of the limited threads (max_gap) and each limited context's charge against
 * its budget per period, and that each got its share (fragments: less exactly, as it blocks
 * or yields). Returns with run_end passed, so every spinner has stopped.
 */
static void
observe(struct kthread *const *lim, unsigned n, vl_word_t max_gap, bool fragments)
{
    vl_word_t start = now();
    CHECK(thread_new(observer, 0, PRIO_OBSERVER, 0) != NULL);
    vl_wait(done_ntfn);
    CHECK_EQ(observer_done, 1);
    vl_word_t elapsed = now() - start;
    printf("mcs: observer's longest gap %lu ticks (budgets %lu), run %lu ticks\n",
           (unsigned long)observer_gap, (unsigned long)max_gap, (unsigned long)elapsed);
    CHECK(observer_gap <= max_gap + SLACK);
    /* The limited threads did run: the gap is not the observer's own loop. */
    CHECK(observer_gap + SLACK >= BUDGET);
    for (unsigned i = 0; i < n; i++) {
        vl_word_t used = 0, budget = 0, period = 0;
        CHECK_EQ(vl_sched_context_consumed(lim[i]->sc, &used), 0);
        CHECK_EQ(vl_sched_context_get_budget(lim[i]->sc, &budget, &period), 0);
        vl_word_t allowed = (elapsed / period + 1) * (budget + SLACK);
        printf("mcs: thread %u used %lu ticks, allowed %lu\n", i, (unsigned long)used,
               (unsigned long)allowed);
        CHECK(used <= allowed);
        /* And it got its share: a budget in each whole period but the first two, or, if it
         * blocks or yields all the time, three quarters of that (its chunks of budget, more
         * than CONFIG_SC_REFILLS of them, merge and come back later). */
        vl_word_t share = (elapsed / period - 2) * budget;
        CHECK(used >= (fragments ? share / 4 * 3 : share));
    }
    CHECK_EQ(vl_debug_check(), 0);
}

static void
setup(void)
{
    observer_gap = observer_done = 0;
    for (unsigned i = 0; i < 4; i++) {
        spins[i] = 0;
    }
    done_ntfn = obj_new(VL_OBJ_NOTIFICATION, 0);
    work_ep = obj_new(VL_OBJ_ENDPOINT, 0);
    work_ntfn = obj_new(VL_OBJ_NOTIFICATION, 0);
    run_end = now() + RUN_TICKS;
}

/*
 * The user story: a runaway thread at a high priority with a tenth of the time
 * cannot hold up a lower-priority thread for longer than its budget.
 */
static void
test_mcs_runaway(void)
{
    setup();
    struct kthread *r = limited_new(spin, 0, PRIO_LIMITED, BUDGET);
    CHECK(r != NULL);
    observe(&r, 1, BUDGET, false);
    CHECK(spins[0] > 0);
}

/* A limited thread preempted by a higher limited one: each is charged only its own time. */
static void
test_mcs_preemption(void)
{
    setup();
    struct kthread *lim[2];
    lim[0] = limited_new(spin, 0, PRIO_LIMITED, BUDGET);
    lim[1] = limited_new(spin, 1, PRIO_LIMITED + 10, BUDGET);
    CHECK(lim[0] != NULL && lim[1] != NULL);
    observe(lim, 2, 2 * BUDGET, true);
    CHECK(spins[0] > 0 && spins[1] > 0);
}

/* Two limited threads of one priority that yield to each other all the time. */
static void
test_mcs_yield(void)
{
    setup();
    struct kthread *lim[2];
    lim[0] = limited_new(spin_yield, 0, PRIO_LIMITED, BUDGET);
    lim[1] = limited_new(spin_yield, 1, PRIO_LIMITED, BUDGET);
    CHECK(lim[0] != NULL && lim[1] != NULL);
    observe(lim, 2, 2 * BUDGET, true);
    CHECK(spins[0] > 0 && spins[1] > 0);
}

/*
 * A limited thread that blocks in a call to a full-share server of higher priority again
 * and again: the server's time is its own (it is not charged to the caller), so the gap
 * may hold the server's answers too, a few ticks each.
 */
static void
test_mcs_blocking(void)
{
    setup();
    CHECK(thread_new(server, 0, PRIO_LIMITED + 20, 0) != NULL);
    struct kthread *l = limited_new(spin_call, 0, PRIO_LIMITED, BUDGET);
    CHECK(l != NULL);
    observe(&l, 1, 2 * BUDGET, true);
    CHECK(spins[0] > 0);
}

/* A limited thread that signals a higher-priority waiter again and again (each signal
 * switches to the waiter and back). */
static void
test_mcs_notification(void)
{
    setup();
    CHECK(thread_new(waiter, 0, PRIO_LIMITED + 20, 0) != NULL);
    struct kthread *l = limited_new(spin_signal, 0, PRIO_LIMITED, BUDGET);
    CHECK(l != NULL);
    observe(&l, 1, 2 * BUDGET, true);
    CHECK(spins[0] > 0);
}

static volatile vl_word_t steps;

/* Counts for ever. */
static void
counter(vl_word_t arg)
{
    (void)arg;
    for (;;) {
        steps++;
    }
}

/* Counts; at step 1000 unbinds its own context (its cap is in the shared CSpace). */
static void
unbinder(vl_word_t sc)
{
    for (;;) {
        if (++steps == 1000) {
            vl_sched_context_unbind(sc);
        }
    }
}

/*
 * A thread without a context does not run: one never given one, one that unbinds its own,
 * one bound to an unconfigured context; and deleting its context stops it too. Each runs
 * again once bound to a configured context.
 */
static void
test_mcs_no_context(void)
{
    /* Never given one. */
    steps = 0;
    struct kthread *t = thread_create(counter, 0, 100, 0, ROOT, 0);
    CHECK(t != NULL);
    CHECK_EQ(vl_sched_context_unbind(t->sc), 0);
    CHECK_EQ(thread_start(t), 0);
    SETTLE();
    CHECK_EQ(steps, 0);
    CHECK_EQ(vl_debug_check(), 0);
    /* An unconfigured context is no better. */
    vl_cptr_t raw = obj_new(VL_OBJ_SCHED_CONTEXT, 0);
    CHECK(raw != 0);
    CHECK_EQ(vl_sched_context_bind(raw, t->tcb), 0);
    SETTLE();
    CHECK_EQ(steps, 0);
    /* Configured, it runs (the settler at priority 1 gets in only once it is stopped). */
    CHECK_EQ(vl_sched_context_unbind(raw), 0);
    CHECK_EQ(vl_sched_context_bind(t->sc, t->tcb), 0);
    CHECK_EQ(vl_tcb_set_priority(VL_CAP_INIT_TCB, VL_CAP_INIT_TCB, 100), 0);
    vl_yield();
    CHECK_EQ(vl_tcb_set_priority(VL_CAP_INIT_TCB, VL_CAP_INIT_TCB, VL_MAX_PRIORITY), 0);
    CHECK_EQ(vl_tcb_suspend(t->tcb), 0);
    CHECK(steps > 0);
    /* Deleting the context of a thread in a ready queue stops it. */
    CHECK_EQ(vl_tcb_resume(t->tcb), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, t->sc, 64), 0);
    vl_word_t before = steps;
    SETTLE();
    CHECK_EQ(steps, before);
    CHECK_EQ(vl_debug_check(), 0);
    /* A thread that unbinds its own context stops right there. */
    steps = 0;
    struct kthread *u = thread_create(unbinder, 0, 100, 0, ROOT, 0);
    CHECK(u != NULL);
    u->arg = u->sc;
    CHECK_EQ(thread_start(u), 0);
    SETTLE();
    CHECK_EQ(steps, 1000);
    CHECK_EQ(vl_debug_check(), 0);
}

/*
 * A thread cannot raise its own budget: its context cap is no SchedControl, whatever it is
 * minted or copied as, and a thread already bound cannot take a second context.
 */
static void
test_mcs_own_budget(void)
{
    struct kthread *t = thread_create(counter, 0, 100, 0, ROOT, 0);
    CHECK(t != NULL);
    CHECK_EQ(vl_sched_control_configure(VL_CAP_SCHED_CONTROL_SLOT, t->sc, BUDGET, PERIOD), 0);
    CHECK_ERR(vl_sched_control_configure(t->sc, t->sc, PERIOD, PERIOD), VL_ILLEGAL_OPERATION);
    vl_cptr_t minted = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, minted, 64, ROOT, t->sc, 64, VL_RIGHTS_ALL, ~0ul), 0);
    CHECK_TYPE(minted, VL_CAP_SCHED_CONTEXT);
    CHECK_ERR(vl_sched_control_configure(minted, t->sc, PERIOD, PERIOD), VL_ILLEGAL_OPERATION);
    vl_cptr_t full = obj_new(VL_OBJ_SCHED_CONTEXT, 0);
    CHECK(full != 0);
    CHECK_ERR(vl_sched_context_bind(full, t->tcb), VL_ILLEGAL_OPERATION);
    vl_word_t budget = 0, period = 0;
    CHECK_EQ(vl_sched_context_get_budget(t->sc, &budget, &period), 0);
    CHECK_EQ(budget, BUDGET);
    CHECK_EQ(period, PERIOD);
    CHECK_EQ(vl_debug_check(), 0);
}

void
mcs_tests(void)
{
    RUN(test_mcs_runaway);
    RUN(test_mcs_preemption);
    RUN(test_mcs_yield);
    RUN(test_mcs_blocking);
    RUN(test_mcs_notification);
    RUN(test_mcs_no_context);
    RUN(test_mcs_own_budget);
}
#else
/* A kernel that does not enforce contexts: nothing here applies (ktest-mcs runs them). */
void
mcs_tests(void)
{
}
#endif
