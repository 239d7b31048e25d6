/*
 * The IPC fast path against the slow path: the same scenario, in two fresh environments,
 * once through fastpath_* and once through syscall_handle and the scheduler, must leave
 * the same threads, queues, caps and messages behind.
 */
#include "fastpath_env.h"

#include <stdarg.h>
#include <stdio.h>

#include <vallum/syscall.h>

#include "api/fastpath.h"

enum fp_kind { FP_CALL, FP_REPLY_RECV, FP_SEND, FP_SIGNAL, FP_YIELD };

/* A message: its info word's fields and the badge of the sender's cap. */
struct fp_shape {
    word_t label;
    word_t unwrapped;
    word_t length;
    word_t badge;
};

/* The scenario: the current thread about to make the system call of kind. */
static struct fp_env
fp_scenario(enum fp_kind kind, const struct fp_shape *s)
{
    /* The receiver is more urgent, as a Send or a Signal needs; a third thread of the
     * client's priority is queued. */
    struct fp_env e = fp_env(FP_PRIO, FP_PRIO + 2, s->badge);
    e.other->state = TS_RUNNING;
    word_t info = vl_msginfo(s->label, s->unwrapped, 0, s->length);
    switch (kind) {
    case FP_CALL:
    case FP_SEND:
        fp_wait(e.server, e.scn[FP_EP].cap);
        fp_load(e.client, e.cbuf, FP_CLIENT_SEED, FP_EP, info);
        break;
    case FP_REPLY_RECV:
        fp_serve(&e);
        fp_load(e.server, e.sbuf, FP_SERVER_SEED, FP_EP, info);
        break;
    case FP_SIGNAL:
        ntfn_receive_signal(e.server, e.scn[FP_NTFN].cap, true);
        fp_load(e.client, e.cbuf, FP_CLIENT_SEED, FP_NTFN, info);
        break;
    case FP_YIELD:
        break;
    }
    sched_append(e.other);
    return e;
}

/* Runs the fast path of kind; false if it left the call to the slow path. */
static bool
fp_fast(enum fp_kind kind)
{
    struct tcb *cur = ks_cur_thread;
    switch (kind) {
    case FP_CALL:
        return fastpath_call(cur->regs[REG_CAP], cur->regs[REG_MSGINFO], cur) != NULL;
    case FP_REPLY_RECV:
        return fastpath_reply_recv(cur->regs[REG_CAP], cur->regs[REG_MSGINFO], cur) != NULL;
    case FP_SEND:
    case FP_SIGNAL:
        return fastpath_send();
    case FP_YIELD:
        return fastpath_yield();
    }
    return false;
}

/* Runs the slow path of kind, then the scheduler as the kernel's exit does. */
static void
fp_slow(enum fp_kind kind)
{
    static const word_t sysno[] = {VL_SYS_CALL, VL_SYS_REPLY_RECV, VL_SYS_SEND, VL_SYS_SEND,
                                   VL_SYS_YIELD};
    syscall_handle(sysno[kind]);
    sched_schedule();
}

/* What a system call left behind, pointers named by the environment's objects. */
#define FP_MAX_FACTS 512

struct fp_outcome {
    word_t n;
    word_t v[FP_MAX_FACTS];
    char what[FP_MAX_FACTS][40];
};

static void
fp_fact(struct fp_outcome *o, word_t v, const char *fmt, ...)
{
    if (o->n == FP_MAX_FACTS) {
        ktest_fail(__FILE__, __LINE__, "too many facts");
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->what[o->n], sizeof(o->what[o->n]), fmt, ap);
    va_end(ap);
    o->v[o->n++] = v;
}

/* A pointer as the name of what it points to in e (0x0bad: something else). */
static word_t
fp_name(const struct fp_env *e, const void *p)
{
    const void *known[] = {NULL,
                           SCHED_CHOOSE_NEW,
                           e->client,
                           e->server,
                           e->other,
                           ks_idle_thread,
                           e->ep,
                           e->ntfn,
                           tcb_slot(e->client, TCB_CALLER),
                           tcb_slot(e->server, TCB_CALLER),
                           tcb_slot(e->other, TCB_CALLER),
                           tcb_slots(e->client),
                           tcb_slots(e->server),
                           tcb_slots(e->other)};
    for (word_t i = 0; i < ARRAY_SIZE(known); i++) {
        if (p == known[i]) {
            return i;
        }
    }
    return 0x0bad;
}

static void
fp_observe_thread(const struct fp_env *e, struct fp_outcome *o, const char *who, struct tcb *t)
{
    fp_fact(o, t->state, "%s state", who);
    fp_fact(o, t->in_ready_queue, "%s in_ready_queue", who);
    fp_fact(o, fp_name(e, t->sched_next), "%s sched_next", who);
    fp_fact(o, fp_name(e, t->sched_prev), "%s sched_prev", who);
    fp_fact(o, fp_name(e, t->blocking_object), "%s blocking_object", who);
    fp_fact(o, t->blocking_can_grant, "%s blocking_can_grant", who);
    fp_fact(o, fp_name(e, t->ep_next), "%s ep_next", who);
    fp_fact(o, fp_name(e, t->ep_prev), "%s ep_prev", who);
    fp_fact(o, fp_name(e, t->reply_slot), "%s reply_slot", who);
    fp_fact(o, t->fault.type, "%s fault", who);
    fp_fact(o, t->time_slice, "%s time_slice", who);
    for (word_t i = 0; i < 32; i++) {
        fp_fact(o, t->regs[i], "%s regs[%lu]", who, (unsigned long)i);
    }
    struct cte *caller = tcb_slot(t, TCB_CALLER);
    fp_fact(o, cap_type(caller->cap), "%s caller cap type", who);
    fp_fact(o, cap_small(caller->cap), "%s caller cap grant", who);
    fp_fact(o, fp_name(e, cap_ptr(caller->cap)), "%s caller cap object", who);
    fp_fact(o, caller->cap.w1, "%s caller cap w1", who);
    fp_fact(o, fp_name(e, caller->mdb_prev), "%s caller mdb_prev", who);
    fp_fact(o, caller->mdb_next, "%s caller mdb_next", who);
}

static void
fp_observe(const struct fp_env *e, struct fp_outcome *o)
{
    o->n = 0;
    fp_fact(o, fp_name(e, ks_cur_thread), "ks_cur_thread");
    fp_fact(o, fp_name(e, ks_sched_action), "ks_sched_action");
    fp_fact(o, (word_t)sched_highest_priority(), "highest ready priority");
    fp_observe_thread(e, o, "client", e->client);
    fp_observe_thread(e, o, "server", e->server);
    fp_observe_thread(e, o, "other", e->other);
    fp_fact(o, e->ep->state, "ep state");
    fp_fact(o, fp_name(e, e->ep->head), "ep head");
    fp_fact(o, fp_name(e, e->ep->tail), "ep tail");
    fp_fact(o, e->ntfn->state, "ntfn state");
    fp_fact(o, e->ntfn->pending, "ntfn pending");
    fp_fact(o, fp_name(e, e->ntfn->head), "ntfn head");
    fp_fact(o, fp_name(e, e->ntfn->tail), "ntfn tail");
    for (word_t i = 0; i < VL_MSG_MAX_LENGTH; i++) {
        fp_fact(o, e->cbuf->msg[i], "client buffer msg[%lu]", (unsigned long)i);
        fp_fact(o, e->sbuf->msg[i], "server buffer msg[%lu]", (unsigned long)i);
    }
}

/*
 * Runs kind with shape s both ways and fails on the first difference. If may_decline,
 * the fast path may instead leave the call to the slow path, having changed nothing.
 */
static void
fp_check_equivalent(enum fp_kind kind, const struct fp_shape *s, bool may_decline)
{
    static struct fp_outcome fast, slow;
    struct fp_env a = fp_scenario(kind, s);
    fp_snap(&a);
    if (!fp_fast(kind)) {
        CHECK(may_decline);
        CHECK_UNCHANGED();
        fp_slow(kind);
    }
    INV();
    fp_observe(&a, &fast);
    fp_retire(&a);
    struct fp_env b = fp_scenario(kind, s);
    fp_slow(kind);
    INV();
    fp_observe(&b, &slow);
    fp_retire(&b);
    CHECK_EQ(fast.n, slow.n);
    for (word_t i = 0; i < fast.n; i++) {
        if (fast.v[i] != slow.v[i]) {
            char why[200];
            snprintf(why, sizeof(why), "kind %d, info 0x%lx: %s: fast 0x%lx, slow 0x%lx", (int)kind,
                     (unsigned long)vl_msginfo(s->label, s->unwrapped, 0, s->length), fast.what[i],
                     (unsigned long)fast.v[i], (unsigned long)slow.v[i]);
            ktest_fail(__FILE__, __LINE__, why);
        }
    }
}

KTEST(fastpath_same_as_slow_path)
{
    static const struct fp_shape shapes[] = {
        {0, 0, 0, 0},     {1, 0, 1, 0x10},        {0x55, 0, 2, 0x20}, {0xabc, 0, 3, 1},
        {7, 0, 4, ~0ul},  {MASK(52), 0, 4, 0x30}, {3, 0, 5, 2},       {0x42, 0, 17, 0x40},
        {9, 0, 120, 0x5}, {0x1234, 0, 127, 0x50},
    };
    static const enum fp_kind kinds[] = {FP_CALL, FP_REPLY_RECV, FP_SEND, FP_SIGNAL};
    for (word_t k = 0; k < ARRAY_SIZE(kinds); k++) {
        for (word_t i = 0; i < ARRAY_SIZE(shapes); i++) {
            fp_check_equivalent(kinds[k], &shapes[i], false);
        }
    }
    fp_check_equivalent(FP_YIELD, &shapes[0], false);
}

/*
 * The receiver's info word is the kernel's: with no caps transferred none is marked
 * unwrapped, whatever the sender put in those bits (the slow path builds the word anew).
 * The fast path may clear the bits or decline such a message.
 */
KTEST(fastpath_same_as_slow_path_unwrapped_bits)
{
    static const struct fp_shape shapes[] = {
        {6, 2, 2, 0x11}, {6, 4, 0, 0x11}, {6, 6, 4, 0x11}, {6, 6, 9, 0x11}};
    static const enum fp_kind kinds[] = {FP_CALL, FP_REPLY_RECV, FP_SEND};
    for (word_t k = 0; k < ARRAY_SIZE(kinds); k++) {
        for (word_t i = 0; i < ARRAY_SIZE(shapes); i++) {
            fp_check_equivalent(kinds[k], &shapes[i], true);
        }
    }
}
