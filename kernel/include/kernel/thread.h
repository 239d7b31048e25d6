/*
 * Threads and the scheduler: fixed priorities 0..255, FIFO round robin within a
 * priority, a bitmap to find the highest runnable priority in constant time.
 */
#pragma once

#include "object/structures.h"

/* The thread whose context the kernel returns to; the idle thread if none is runnable. */
extern struct tcb *ks_cur_thread;
extern struct tcb *ks_idle_thread;

/* What schedule() should do on kernel exit. A tcb pointer means "switch to it". */
#define SCHED_RESUME_CURRENT ((struct tcb *)0)
#define SCHED_CHOOSE_NEW ((struct tcb *)1)
extern struct tcb *ks_sched_action;

/* True if the thread can run (RUNNING or RESTART). */
static inline bool
thread_is_runnable(const struct tcb *t)
{
    return t->state == TS_RUNNING || t->state == TS_RESTART;
}

/* Sets a thread's state; if it stops being runnable while current, reschedules. */
void thread_set_state(struct tcb *t, word_t state);

/* Adds t to the head (enqueue) or tail (append) of its priority's ready queue. */
void sched_enqueue(struct tcb *t);
void sched_append(struct tcb *t);
/* Removes t from its ready queue if it is in one. */
void sched_dequeue(struct tcb *t);

/* Forces a choice of a new thread at kernel exit. */
void sched_reschedule_required(void);

/* t became runnable: switch to it at kernel exit if that is what priorities say. */
void sched_possible_switch_to(struct tcb *t);

/* Carries out ks_sched_action; afterwards ks_cur_thread is the thread to run. */
void sched_schedule(void);

/* Changes t's priority, moving it between queues as needed. */
void sched_set_priority(struct tcb *t, word_t prio);

/* Called on every timer tick: charges the current thread's timeslice. */
void sched_timer_tick(void);

/*
 * Yield's fast form: cur (running, not queued) goes to the tail of its priority's queue and
 * the head comes off it. Returns the thread to run (cur itself if the queue was empty), or
 * NULL, changing nothing, if the head must first repeat a system call (slow path).
 */
struct tcb *sched_rotate(struct tcb *cur);

/* Yield: the current thread goes to the back of its priority's queue. */
void sched_yield_current(void);

/* Highest priority with a runnable thread, or -1. */
int sched_highest_priority(void);

/* Bit p of ready_bitmap[p / 64] is set iff priority p has a queued runnable thread; bit i
 * of ready_top is set iff ready_bitmap[i] is non-zero. Owned by the scheduler. */
extern word_t ready_bitmap[VL_NUM_PRIORITIES / 64];
extern word_t ready_top;

/* True if no queued thread has a priority above prio (constant time, for the fast path). */
static inline bool
sched_none_above(word_t prio)
{
    if (likely(ready_top == 0)) {
        return true;
    }
    word_t w = prio / 64;
    word_t b = prio % 64;
    if (w + 1 < VL_NUM_PRIORITIES / 64 && (ready_top >> (w + 1)) != 0) {
        return false;
    }
    return b == 63 || (ready_bitmap[w] >> (b + 1)) == 0;
}

#ifdef CONFIG_MCS
/*
 * Scheduling contexts enforced (docs/kernel/scheduling.md). A thread runs only on a
 * configured context with budget available now; one without a context, or with an
 * unconfigured one, stays out of the ready queues however runnable its state; one whose
 * budget is used up waits in the release queue, in order of the time its next refill comes,
 * and goes back to its ready queue then. Sorted insertion walks the release queue: O(n) in
 * the threads waiting there, at most the threads that exist.
 */

/* The time (timebase ticks) from which the current thread's running is not yet charged. */
extern word_t ks_sc_start;

/*
 * The timer interrupt: charges the current thread's context up to now, counts a scheduler
 * tick if its deadline has come (then returns true), moves the threads whose refills have
 * come from the release queue to the ready queues, and makes the scheduler choose anew if
 * one of them outranks the current thread or the current thread's budget is used up. The
 * timer is re-armed at kernel exit (sched_schedule).
 */
bool sched_timer_interrupt(void);

/* Charges the current thread's context up to now if t is the current thread (before t's
 * context is reconfigured or unbound, so the time it ran is charged to the right budget). */
void sched_charge_if_current(const struct tcb *t);

/*
 * t's context was bound, unbound or reconfigured: t leaves whichever queue it is in and
 * goes to the queue its context now allows (none without one), and the scheduler chooses
 * anew. No-op for NULL.
 */
void sched_sc_changed(struct tcb *t);

/* True if t has a context whose budget is its whole period: nothing can throttle it, so the
 * fast path may switch to and from it without charging (docs/kernel/scheduling.md). The
 * flag is kept by the context's invocations (sc_update_share), so the fast path reads one
 * byte. */
static inline bool
sched_is_full_share(const struct tcb *t)
{
    return t->sc_full_share;
}

/* The fast path may switch from cur to next directly: both are full-share. */
static inline bool
sched_fast_switch_ok(const struct tcb *cur, const struct tcb *next)
{
    return sched_is_full_share(cur) && sched_is_full_share(next);
}
#else
static inline void
sched_charge_if_current(const struct tcb *t)
{
    (void)t;
}

static inline void
sched_sc_changed(struct tcb *t)
{
    (void)t;
}

static inline bool
sched_fast_switch_ok(const struct tcb *cur, const struct tcb *next)
{
    (void)cur;
    (void)next;
    return true;
}
#endif

/* Checks the ready queues and bitmap agree with the thread states; NULL if all is well. */
const char *sched_check(void);

/* Restarts a stopped thread (RESTART state, queued). Suspends: INACTIVE, out of queues. */
void thread_restart(struct tcb *t);
void thread_suspend(struct tcb *t);

/* Initialises a fresh TCB object's thread fields. */
void thread_init(struct tcb *t);
