/*
 * The scheduler, following seL4's design: the kernel decides at exit which thread runs,
 * via ks_sched_action, so an IPC that wakes a higher-priority thread switches directly.
 */
#include "kernel/thread.h"

#include "config.h"
#include "object/endpoint.h"
#include "object/notification.h"
#include "plat/plat.h"

struct tcb *ks_cur_thread;
struct tcb *ks_idle_thread;
struct tcb *ks_sched_action;

static struct {
    struct tcb *head;
    struct tcb *tail;
} ready_queues[VL_NUM_PRIORITIES];

word_t ready_bitmap[VL_NUM_PRIORITIES / 64];
word_t ready_top;

static void
bitmap_set(word_t prio)
{
    ready_bitmap[prio / 64] |= BIT(prio % 64);
    ready_top |= BIT(prio / 64);
}

static void
bitmap_clear(word_t prio)
{
    ready_bitmap[prio / 64] &= ~BIT(prio % 64);
    if (ready_bitmap[prio / 64] == 0) {
        ready_top &= ~BIT(prio / 64);
    }
}

#ifdef CONFIG_MCS
static void ready_push(struct tcb *t);
static void ready_append(struct tcb *t);

word_t ks_sc_start;

/* Threads waiting for budget, in order of their next refill's time (equal times in the
 * order they came); linked through sched_next/sched_prev. */
static struct tcb *release_head;

/* The timer must be armed anew at kernel exit: the current thread, its budget or the
 * release queue's head changed. */
static bool timer_rearm;

/* The deadline the timer is armed for (timebase ticks), so an unchanged one is not armed
 * again (through SBI that is a trap into the firmware). */
static word_t armed_deadline;
/* The timer interrupt came: its deadline is spent and must be armed again even if equal. */
static bool timer_fired;

/* True if t's context lets it run at now: configured, with budget available. A full-share
 * context always has its budget (sched_charge takes nothing from its refills). */
static bool
sc_can_run(const struct tcb *t, word_t now)
{
    return sched_is_full_share(t) || (t->sc != NULL && t->sc->refills.budget != 0 &&
                                      refill_available(&t->sc->refills, now) > 0);
}

/* Puts t, whose context has no budget available now, in the release queue. */
static void
release_insert(struct tcb *t)
{
    word_t time = refill_head_time(&t->sc->refills);
    struct tcb *prev = NULL;
    struct tcb *next = release_head;
    /* Bounded by the threads in the queue (docs/kernel/scheduling.md). */
    while (next != NULL && refill_head_time(&next->sc->refills) <= time) {
        prev = next;
        next = next->sched_next;
    }
    t->sched_prev = prev;
    t->sched_next = next;
    if (next != NULL) {
        next->sched_prev = t;
    }
    if (prev != NULL) {
        prev->sched_next = t;
    } else {
        release_head = t;
        timer_rearm = true;
    }
    t->in_release_queue = true;
}

static void
release_remove(struct tcb *t)
{
    if (t->sched_prev != NULL) {
        t->sched_prev->sched_next = t->sched_next;
    } else {
        release_head = t->sched_next;
        timer_rearm = true;
    }
    if (t->sched_next != NULL) {
        t->sched_next->sched_prev = t->sched_prev;
    }
    t->sched_next = t->sched_prev = NULL;
    t->in_release_queue = false;
}

/*
 * May t join a ready queue? Only with a configured context with budget now; a thread with
 * a context out of budget goes to the release queue instead, one without stays out.
 */
static bool
sched_admit(struct tcb *t)
{
    if (sched_is_full_share(t)) {
        return true;
    }
    if (t->sc == NULL || t->sc->refills.budget == 0) {
        return false;
    }
    if (refill_available(&t->sc->refills, plat_time_now()) > 0) {
        return true;
    }
    release_insert(t);
    return false;
}

/* Puts t, out of every queue and found unable to run, where it waits: the release queue
 * with a configured context, nowhere without one. */
static void
sched_wait_for_budget(struct tcb *t)
{
    if (t->sc != NULL && t->sc->refills.budget != 0) {
        release_insert(t);
    }
}

static bool
sched_is_queued(const struct tcb *t)
{
    return t->in_ready_queue || t->in_release_queue;
}

static void
sched_leave_release_queue(struct tcb *t)
{
    if (t->in_release_queue) {
        release_remove(t);
    }
}

/*
 * Charges the time since ks_sc_start to the current thread's context, if it has one. A
 * full-share context (budget = period, sched_is_full_share) is like seL4's round-robin
 * one: its time is counted in consumed but not taken from its refills. Nothing could hold
 * it back anyway, and its refills would fill with the chunks of every preemption and, once
 * merged, delay budget it is owed.
 */
static void
sched_charge(word_t now)
{
    struct tcb *cur = ks_cur_thread;
    if (cur != ks_idle_thread && cur->sc != NULL && cur->sc->refills.budget != 0 &&
        now > ks_sc_start) {
        if (!sched_is_full_share(cur)) {
            refill_charge(&cur->sc->refills, ks_sc_start, now - ks_sc_start);
        }
        cur->sc->consumed += now - ks_sc_start;
    }
    ks_sc_start = now;
}

void
sched_charge_if_current(const struct tcb *t)
{
    if (t == ks_cur_thread) {
        sched_charge(plat_time_now());
        timer_rearm = true;
    }
}

/*
 * A switch begins: the current thread is charged up to now. If it yielded or its timeslice
 * ended it is already back in its ready queue; out of budget, it moves to the release queue.
 */
static word_t
sched_switch_begin(void)
{
    word_t now = plat_time_now();
    sched_charge(now);
    struct tcb *cur = ks_cur_thread;
    if (cur->in_ready_queue && !sc_can_run(cur, now)) {
        sched_dequeue(cur);
        sched_wait_for_budget(cur);
    }
    return now;
}

/* The current thread, runnable, is passed over in a switch begun at now: it goes back to
 * its ready queue's head if it may run at now, else where it waits. */
static void
sched_put_back(struct tcb *cur, word_t now)
{
    if (sched_is_queued(cur)) {
        return;
    }
    if (sc_can_run(cur, now)) {
        ready_push(cur);
    } else {
        sched_wait_for_budget(cur);
    }
}

/* The switch is done: the new current thread's running is charged from now on. */
static void
sched_switch_end(word_t now)
{
    ks_sc_start = now;
    timer_rearm = true;
}

/* A thread proposed for a direct switch may run only with budget. */
static bool
sched_may_switch_to(const struct tcb *t, word_t now)
{
    return sc_can_run(t, now);
}

/*
 * Arms the timer for the earliest of the scheduler tick, the end of the current thread's
 * available budget and the next refill in the release queue.
 */
static void
sched_arm_timer(void)
{
    if (!timer_rearm) {
        return;
    }
    timer_rearm = false;
    word_t deadline = plat_timer_next_tick();
    struct tcb *cur = ks_cur_thread;
    if (cur != ks_idle_thread && cur->sc != NULL && cur->sc->refills.budget != 0 &&
        !sched_is_full_share(cur)) {
        word_t end = ks_sc_start + refill_available(&cur->sc->refills, ks_sc_start);
        deadline = MIN(deadline, end);
    }
    if (release_head != NULL) {
        deadline = MIN(deadline, refill_head_time(&release_head->sc->refills));
    }
    if (deadline != armed_deadline || timer_fired) {
        timer_fired = false;
        armed_deadline = deadline;
        plat_timer_set_deadline(deadline);
    }
}

bool
sched_timer_interrupt(void)
{
    word_t now = plat_time_now();
    sched_charge(now);
    timer_rearm = true;
    timer_fired = true;
    bool tick = plat_timer_tick_due(now);
    if (tick) {
        sched_timer_tick();
    }
    struct tcb *cur = ks_cur_thread;
    /* Bounded by the threads in the release queue. */
    while (release_head != NULL && refill_ready(&release_head->sc->refills, now)) {
        struct tcb *t = release_head;
        release_remove(t);
        /* Its head refill is ready and holds budget: it may run, no need to ask again. */
        ready_append(t);
        if (cur == ks_idle_thread || t->priority > cur->priority) {
            sched_reschedule_required();
        }
    }
    if (cur != ks_idle_thread && thread_is_runnable(cur) && !sc_can_run(cur, now)) {
        sched_reschedule_required();
    }
    return tick;
}

void
sched_sc_changed(struct tcb *t)
{
    if (t == NULL) {
        return;
    }
    sched_dequeue(t);
    if (t != ks_cur_thread && thread_is_runnable(t) && ks_sched_action != t) {
        sched_enqueue(t);
    }
    sched_reschedule_required();
}

/* The release queue is in time order, and holds runnable threads with a configured context
 * and no budget now that are in no ready queue. */
static const char *
release_check(void)
{
    struct tcb *prev = NULL;
    word_t walked = 0;
    for (struct tcb *t = release_head; t != NULL; t = t->sched_next) {
        if (++walked > (1ul << 24)) {
            return "release queue too long (cycle?)";
        }
        if (!t->in_release_queue || t->in_ready_queue || t->sched_prev != prev) {
            return "release queue entry inconsistent";
        }
        if (t == ks_cur_thread || !thread_is_runnable(t)) {
            return "current or non-runnable thread in the release queue";
        }
        if (t->sc == NULL || t->sc->refills.budget == 0) {
            return "thread without a configured context in the release queue";
        }
        if (prev != NULL &&
            refill_head_time(&t->sc->refills) < refill_head_time(&prev->sc->refills)) {
            return "release queue out of time order";
        }
        prev = t;
    }
    return NULL;
}

/* A queued thread has a configured context (it was admitted with budget, and budget only
 * grows while it waits). */
static const char *
ready_entry_check(const struct tcb *t)
{
    if (t->sc == NULL || t->sc->refills.budget == 0) {
        return "thread without a configured context in a ready queue";
    }
    return NULL;
}
#else
static inline bool
sched_admit(struct tcb *t)
{
    (void)t;
    return true;
}

static inline void
sched_leave_release_queue(struct tcb *t)
{
    (void)t;
}

static inline word_t
sched_switch_begin(void)
{
    return 0;
}

static inline void
sched_put_back(struct tcb *cur, word_t now)
{
    (void)now;
    sched_enqueue(cur);
}

static inline void
sched_switch_end(word_t now)
{
    (void)now;
}

static inline bool
sched_may_switch_to(const struct tcb *t, word_t now)
{
    (void)t;
    (void)now;
    return true;
}

static inline void
sched_arm_timer(void)
{
}

static inline bool
sched_is_queued(const struct tcb *t)
{
    return t->in_ready_queue;
}

static inline const char *
release_check(void)
{
    return NULL;
}

static inline const char *
ready_entry_check(const struct tcb *t)
{
    (void)t;
    return NULL;
}
#endif /* CONFIG_MCS */

int
sched_highest_priority(void)
{
    if (ready_top == 0) {
        return -1;
    }
    _Static_assert(VL_NUM_PRIORITIES / 64 <= 4, "ready_top has at most four bits");
    unsigned top = bit_msb4(ready_top);
    return (int)(top * 64 + bit_msb(ready_bitmap[top]));
}

/* Links t, in no queue, at the head of its priority's ready queue. */
static void
ready_push(struct tcb *t)
{
    word_t p = t->priority;
    t->sched_prev = NULL;
    t->sched_next = ready_queues[p].head;
    if (ready_queues[p].head != NULL) {
        ready_queues[p].head->sched_prev = t;
    } else {
        ready_queues[p].tail = t;
        bitmap_set(p);
    }
    ready_queues[p].head = t;
    t->in_ready_queue = true;
}

void
sched_enqueue(struct tcb *t)
{
    if (sched_is_queued(t) || !sched_admit(t)) {
        return;
    }
    ready_push(t);
}

/* Links t, in no queue, at the tail of its priority's ready queue. */
static void
ready_append(struct tcb *t)
{
    word_t p = t->priority;
    t->sched_next = NULL;
    t->sched_prev = ready_queues[p].tail;
    if (ready_queues[p].tail != NULL) {
        ready_queues[p].tail->sched_next = t;
    } else {
        ready_queues[p].head = t;
        bitmap_set(p);
    }
    ready_queues[p].tail = t;
    t->in_ready_queue = true;
}

void
sched_append(struct tcb *t)
{
    if (sched_is_queued(t) || !sched_admit(t)) {
        return;
    }
    ready_append(t);
}

void
sched_dequeue(struct tcb *t)
{
    sched_leave_release_queue(t);
    if (!t->in_ready_queue) {
        return;
    }
    word_t p = t->priority;
    if (t->sched_prev != NULL) {
        t->sched_prev->sched_next = t->sched_next;
    } else {
        ready_queues[p].head = t->sched_next;
    }
    if (t->sched_next != NULL) {
        t->sched_next->sched_prev = t->sched_prev;
    } else {
        ready_queues[p].tail = t->sched_prev;
    }
    if (ready_queues[p].head == NULL) {
        bitmap_clear(p);
    }
    t->sched_next = t->sched_prev = NULL;
    t->in_ready_queue = false;
}

void
sched_reschedule_required(void)
{
    if (ks_sched_action != SCHED_RESUME_CURRENT && ks_sched_action != SCHED_CHOOSE_NEW) {
        sched_enqueue(ks_sched_action);
    }
    ks_sched_action = SCHED_CHOOSE_NEW;
}

void
sched_possible_switch_to(struct tcb *t)
{
    if (ks_sched_action != SCHED_RESUME_CURRENT) {
        sched_reschedule_required();
        sched_enqueue(t);
    } else {
        ks_sched_action = t;
    }
}

void
thread_set_state(struct tcb *t, word_t state)
{
    t->state = state;
    if (!thread_is_runnable(t)) {
        sched_dequeue(t);
        if (ks_sched_action == t) {
            ks_sched_action = SCHED_CHOOSE_NEW;
        }
        /* The current thread stops: choose anew, unless a thread is already proposed for
         * a direct switch (an IPC that blocks its sender wakes the receiver first).
         * sched_schedule checks that candidate against the ready queues, and the current
         * thread, not runnable, is not one of them: keeping the candidate decides the same
         * as queueing it would, without the queueing. */
        if (t == ks_cur_thread && ks_sched_action == SCHED_RESUME_CURRENT) {
            ks_sched_action = SCHED_CHOOSE_NEW;
        }
    }
}

static void
choose_thread(void)
{
    int prio = sched_highest_priority();
    if (prio < 0) {
        ks_cur_thread = ks_idle_thread;
        return;
    }
    struct tcb *t = ready_queues[prio].head;
    assert(t != NULL && thread_is_runnable(t));
    sched_dequeue(t);
    ks_cur_thread = t;
}

/*
 * Makes t the current thread. The current thread is never in a ready queue (the invariant
 * checker verifies it): a thread chosen directly (ks_sched_action) may still be queued,
 * for example by thread_restart, so it leaves its queue here.
 */
static void
switch_to(struct tcb *t)
{
#ifndef CONFIG_TEST_DEFECT_SCHED
    sched_dequeue(t);
#endif
    ks_cur_thread = t;
}

void
sched_schedule(void)
{
    struct tcb *action = ks_sched_action;
    if (action == SCHED_RESUME_CURRENT) {
        sched_arm_timer();
        return;
    }
    word_t now = sched_switch_begin();
    struct tcb *cur = ks_cur_thread;
    bool was_runnable = cur != ks_idle_thread && thread_is_runnable(cur);
    if (was_runnable) {
        sched_put_back(cur, now);
    }
    if (action == SCHED_CHOOSE_NEW) {
        choose_thread();
    } else if (!sched_may_switch_to(action, now)) {
        /* No budget: it waits in the release queue, or without a context nowhere. */
        sched_enqueue(action);
        choose_thread();
    } else {
        /* A direct switch is allowed only if the candidate is the best choice; ties go to
         * whoever was already queued, as round robin requires. */
        int best = sched_highest_priority();
        bool fast_fail = (best >= 0 && (int)action->priority < best);
        if (fast_fail) {
            sched_enqueue(action);
            choose_thread();
        } else if (was_runnable && cur->priority == action->priority) {
            sched_append(action);
            choose_thread();
        } else {
            switch_to(action);
        }
    }
    ks_sched_action = SCHED_RESUME_CURRENT;
    sched_switch_end(now);
    sched_arm_timer();
}

void
sched_set_priority(struct tcb *t, word_t prio)
{
    if (t->in_release_queue) {
        /* Its queue is ordered by time: it keeps its place, and queues at prio later. */
        t->priority = (uint8_t)prio;
        return;
    }
    bool queued = t->in_ready_queue;
    sched_dequeue(t);
    t->priority = (uint8_t)prio;
    if (queued) {
        sched_enqueue(t);
    }
    if (t == ks_cur_thread || queued) {
        sched_reschedule_required();
    }
}

void
sched_timer_tick(void)
{
    struct tcb *cur = ks_cur_thread;
    if (cur == ks_idle_thread || !thread_is_runnable(cur)) {
        return;
    }
    if (cur->time_slice > 1) {
        cur->time_slice--;
        return;
    }
    cur->time_slice = CONFIG_TIMESLICE_TICKS;
    sched_append(cur);
    sched_reschedule_required();
}

struct tcb *
sched_rotate(struct tcb *cur)
{
    word_t p = cur->priority;
    struct tcb *next = ready_queues[p].head;
    if (next == NULL) {
        return cur;
    }
    if (next->state != TS_RUNNING || !sched_fast_switch_ok(cur, next)) {
        return NULL;
    }
    /* next leaves the head, cur joins the tail; the queue stays non-empty. */
    struct tcb *second = next->sched_next;
    next->sched_next = NULL;
    next->in_ready_queue = false;
    cur->sched_next = NULL;
    cur->in_ready_queue = true;
    if (second == NULL) {
        ready_queues[p].head = cur;
        cur->sched_prev = NULL;
    } else {
        second->sched_prev = NULL;
        ready_queues[p].head = second;
        ready_queues[p].tail->sched_next = cur;
        cur->sched_prev = ready_queues[p].tail;
    }
    ready_queues[p].tail = cur;
    return next;
}

void
sched_yield_current(void)
{
    struct tcb *cur = ks_cur_thread;
    sched_dequeue(cur);
    sched_append(cur);
    sched_reschedule_required();
}

/* Upper bound on the threads sched_check walks, so a cyclic queue cannot hang it. */
#define CHECK_MAX_QUEUED (1ul << 24)

const char *
sched_check(void)
{
    if (ks_cur_thread != NULL && ks_cur_thread->in_ready_queue) {
        return "current thread in a ready queue";
    }
    word_t walked = 0;
    for (word_t p = 0; p < VL_NUM_PRIORITIES; p++) {
        bool nonempty = ready_queues[p].head != NULL;
        if (nonempty != ((ready_bitmap[p / 64] >> (p % 64)) & 1)) {
            return "ready bitmap disagrees with queue";
        }
        struct tcb *prev = NULL;
        for (struct tcb *t = ready_queues[p].head; t != NULL; t = t->sched_next) {
            if (++walked > CHECK_MAX_QUEUED) {
                return "ready queue too long (cycle?)";
            }
            if (t == ks_cur_thread) {
                return "current thread in a ready queue";
            }
            if (t->priority != p || !t->in_ready_queue || t->sched_prev != prev) {
                return "ready queue entry inconsistent";
            }
            if (!thread_is_runnable(t)) {
                return "non-runnable thread in a ready queue";
            }
            const char *why = ready_entry_check(t);
            if (why != NULL) {
                return why;
            }
            prev = t;
        }
        if (ready_queues[p].tail != prev) {
            return "ready queue tail wrong";
        }
    }
    for (word_t i = 0; i < ARRAY_SIZE(ready_bitmap); i++) {
        if ((ready_bitmap[i] != 0) != ((ready_top >> i) & 1)) {
            return "top-level bitmap wrong";
        }
    }
    return release_check();
}

/* A stopped thread: not running, and not in any IPC it could complete. */
static bool
thread_is_stopped(const struct tcb *t)
{
    return t->state == TS_INACTIVE || t->state == TS_BLOCKED_ON_REPLY;
}

void
thread_restart(struct tcb *t)
{
    if (!thread_is_stopped(t)) {
        return;
    }
    ipc_cancel(t);
    ipc_delete_caller_cap(t); /* t will not reply to the thread that called it */
    thread_set_state(t, TS_RESTART);
    sched_enqueue(t);
    sched_possible_switch_to(t);
}

void
thread_suspend(struct tcb *t)
{
    ipc_cancel(t);
    ipc_delete_caller_cap(t); /* t will not reply to the thread that called it */
    if (t->state == TS_RUNNING || t == ks_cur_thread) {
        /* Its last system call is complete: when resumed it continues after it. */
        t->fault_ip = t->regs[0];
    }
    thread_set_state(t, TS_INACTIVE);
    sched_dequeue(t);
}

void
thread_init(struct tcb *t)
{
    t->state = TS_INACTIVE;
    t->time_slice = CONFIG_TIMESLICE_TICKS;
    t->priority = 0;
    t->mcp = 0;
}
