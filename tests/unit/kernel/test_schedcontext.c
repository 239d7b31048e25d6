/*
 * Scheduling contexts and SchedControl through object_decode_invocation: every error with
 * the context, the thread and the other slots unchanged after it, each invocation's effect,
 * deletion of either side of a binding, and each way the invariant checker catches a
 * broken context.
 */
#include "ktest.h"

#include "object/objecttype.h"
#include "object/schedcontext.h"

static exception_t
sc_call(struct kt_caller *c, struct cte *slot, word_t label, const word_t *args, word_t n,
        struct cte *e0)
{
    struct cte *extra[1] = {e0};
    struct invocation inv = kt_inv(c, slot, label, args, n, e0 != NULL, extra);
    return object_decode_invocation(&inv);
}

/* A new scheduling context, made as Untyped_Retype makes one, in a fresh boot slot. */
static struct cte *
new_sc(void)
{
    return kt_insert(
        object_create(VL_OBJ_SCHED_CONTEXT, kt_alloc(VL_SCHED_CONTEXT_BITS), 0, false));
}

KTEST(sched_control_configure_errors)
{
    struct kt_caller c = kt_caller();
    struct cte *ctl = kt_insert(cap_sched_control());
    struct cte *sc = new_sc();
    struct sched_context *s = cap_ptr(sc->cap);
    struct cte *tcb = kt_insert(cap_tcb(tcb_slots(kt_thread(5, TS_INACTIVE))));
    kt_snap_reset();
    kt_snap(s, sizeof(*s));
    kt_snap(ctl, sizeof(*ctl));
    kt_snap(sc, sizeof(*sc));
    CHECK_ERR(sc_call(&c, ctl, VL_SCHED_CONTROL_CONFIGURE, ARGS(1000), sc), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(sc_call(&c, ctl, VL_SCHED_CONTROL_CONFIGURE, ARGS(1000, 2000), NULL),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(sc_call(&c, ctl, VL_SCHED_CONTROL_CONFIGURE, ARGS(1000, 2000), tcb),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(sc_call(&c, ctl, VL_SCHED_CONTROL_CONFIGURE, ARGS(1000, 2000), ctl),
              VL_INVALID_CAPABILITY);
    const word_t bad_period[] = {0, VL_SC_MAX_PERIOD + 1, ~0ul};
    for (word_t i = 0; i < ARRAY_SIZE(bad_period); i++) {
        CHECK_ERR(sc_call(&c, ctl, VL_SCHED_CONTROL_CONFIGURE, ARGS(1000, bad_period[i]), sc),
                  VL_RANGE_ERROR);
        CHECK_EQ(current_syscall_error.range_min, 1);
        CHECK_EQ(current_syscall_error.range_max, VL_SC_MAX_PERIOD);
    }
    const word_t bad_budget[] = {0, VL_SC_MIN_BUDGET - 1, 2001, ~0ul};
    for (word_t i = 0; i < ARRAY_SIZE(bad_budget); i++) {
        CHECK_ERR(sc_call(&c, ctl, VL_SCHED_CONTROL_CONFIGURE, ARGS(bad_budget[i], 2000), sc),
                  VL_RANGE_ERROR);
        CHECK_EQ(current_syscall_error.range_min, VL_SC_MIN_BUDGET);
        CHECK_EQ(current_syscall_error.range_max, 2000);
    }
    /* Other labels on SchedControl; Configure on a context or a TCB. */
    const word_t bad[] = {0, VL_SCHED_CONTROL_CONFIGURE - 1, VL_SCHED_CONTROL_CONFIGURE + 1,
                          VL_SCHED_CONTEXT_BIND};
    for (word_t i = 0; i < ARRAY_SIZE(bad); i++) {
        CHECK_ERR(sc_call(&c, ctl, bad[i], ARGS(1000, 2000), sc), VL_ILLEGAL_OPERATION);
    }
    CHECK_ERR(sc_call(&c, sc, VL_SCHED_CONTROL_CONFIGURE, ARGS(1000, 2000), sc),
              VL_ILLEGAL_OPERATION);
    CHECK_ERR(sc_call(&c, tcb, VL_SCHED_CONTROL_CONFIGURE, ARGS(1000, 2000), sc),
              VL_ILLEGAL_OPERATION);
    INV();
}

KTEST(sched_control_configure)
{
    struct kt_caller c = kt_caller();
    struct cte *ctl = kt_insert(cap_sched_control());
    struct cte *sc = new_sc();
    struct sched_context *s = cap_ptr(sc->cap);
    CHECK_EQ(s->refills.budget, 0);
    CHECK_EQ(s->refills.count, 0);
    CHECK_EQ(sc_call(&c, ctl, VL_SCHED_CONTROL_CONFIGURE, ARGS(1000, 2000), sc), EXCEPTION_NONE);
    CHECK_EQ(s->refills.budget, 1000);
    CHECK_EQ(s->refills.period, 2000);
    CHECK_EQ(s->refills.count, 1);
    CHECK(refill_check(&s->refills) == NULL);
    INV();
    /* Reconfiguring starts over and clears what was consumed. */
    s->consumed = 77;
    CHECK_EQ(sc_call(&c, ctl, VL_SCHED_CONTROL_CONFIGURE, ARGS(2000, 2000), sc), EXCEPTION_NONE);
    CHECK_EQ(s->refills.budget, 2000);
    CHECK_EQ(s->consumed, 0);
    /* GetBudget and Consumed read back; Consumed clears. */
    s->consumed = 55;
    CHECK_EQ(sc_call(&c, sc, VL_SCHED_CONTEXT_GET_BUDGET, NULL, 0, NULL), EXCEPTION_NONE);
    CHECK_EQ(ipc_get_mr(c.thread, c.buf, 0), 2000);
    CHECK_EQ(ipc_get_mr(c.thread, c.buf, 1), 2000);
    CHECK_EQ(sc_call(&c, sc, VL_SCHED_CONTEXT_CONSUMED, NULL, 0, NULL), EXCEPTION_NONE);
    CHECK_EQ(ipc_get_mr(c.thread, c.buf, 0), 55);
    CHECK_EQ(s->consumed, 0);
    INV();
}

KTEST(sched_context_bind_unbind_delete)
{
    struct kt_caller c = kt_caller();
    struct cte *sc = new_sc();
    struct cte *sc2 = new_sc();
    struct sched_context *s = cap_ptr(sc->cap);
    struct tcb *t = kt_thread(5, TS_INACTIVE);
    struct tcb *t2 = kt_thread(5, TS_INACTIVE);
    struct cte *tcb = kt_insert(cap_tcb(tcb_slots(t)));
    struct cte *tcb2 = kt_insert(cap_tcb(tcb_slots(t2)));
    kt_snap_reset();
    kt_snap(s, sizeof(*s));
    kt_snap(t, sizeof(*t));
    CHECK_ERR(sc_call(&c, sc, VL_SCHED_CONTEXT_BIND, NULL, 0, NULL), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(sc_call(&c, sc, VL_SCHED_CONTEXT_BIND, NULL, 0, sc2), VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(sc_call(&c, sc, VL_SCHED_CONTEXT_UNBIND, NULL, 0, NULL), VL_ILLEGAL_OPERATION);
    CHECK_ERR(sc_call(&c, sc, VL_SCHED_CONTEXT_GET_BUDGET + 1, NULL, 0, NULL),
              VL_ILLEGAL_OPERATION);
    CHECK_EQ(sc_call(&c, sc, VL_SCHED_CONTEXT_BIND, NULL, 0, tcb), EXCEPTION_NONE);
    CHECK(s->tcb == t && t->sc == s);
    INV();
    kt_snap_reset();
    kt_snap(s, sizeof(*s));
    kt_snap(t, sizeof(*t));
    kt_snap(t2, sizeof(*t2));
    kt_snap(cap_ptr(sc2->cap), sizeof(struct sched_context));
    CHECK_ERR(sc_call(&c, sc, VL_SCHED_CONTEXT_BIND, NULL, 0, tcb), VL_ILLEGAL_OPERATION);
    CHECK_ERR(sc_call(&c, sc, VL_SCHED_CONTEXT_BIND, NULL, 0, tcb2), VL_ILLEGAL_OPERATION);
    CHECK_ERR(sc_call(&c, sc2, VL_SCHED_CONTEXT_BIND, NULL, 0, tcb), VL_ILLEGAL_OPERATION);
    CHECK_EQ(sc_call(&c, sc, VL_SCHED_CONTEXT_UNBIND, NULL, 0, NULL), EXCEPTION_NONE);
    CHECK(s->tcb == NULL && t->sc == NULL);
    INV();
    /* The final deletion of either side unbinds. */
    CHECK_EQ(sc_call(&c, sc, VL_SCHED_CONTEXT_BIND, NULL, 0, tcb), EXCEPTION_NONE);
    cap_finalise(sc->cap, true);
    CHECK(t->sc == NULL && s->tcb == NULL);
    CHECK_EQ(sc_call(&c, sc2, VL_SCHED_CONTEXT_BIND, NULL, 0, tcb2), EXCEPTION_NONE);
    cap_finalise(tcb2->cap, true);
    CHECK(t2->sc == NULL && ((struct sched_context *)cap_ptr(sc2->cap))->tcb == NULL);
    INV();
}

KTEST(sched_context_checker)
{
    struct kt_caller c = kt_caller();
    struct cte *ctl = kt_insert(cap_sched_control());
    struct cte *sc = new_sc();
    struct sched_context *s = cap_ptr(sc->cap);
    struct tcb *t = kt_thread(5, TS_INACTIVE);
    struct cte *tcb = kt_insert(cap_tcb(tcb_slots(t)));
    INV();
    /* An unconfigured context with refills, or with time consumed. */
    s->refills.count = 1;
    CHECK_INV_FIRES("unconfigured scheduling context with refills or consumed time");
    s->refills.count = 0;
    s->consumed = 1;
    CHECK_INV_FIRES("unconfigured scheduling context with refills or consumed time");
    s->consumed = 0;
    INV();
    /* Configured refills that do not add up. */
    CHECK_EQ(sc_call(&c, ctl, VL_SCHED_CONTROL_CONFIGURE, ARGS(1000, 2000), sc), EXCEPTION_NONE);
    INV();
    s->refills.r[s->refills.head].amount = 999;
    CHECK(kernel_check_invariants() != NULL);
    s->refills.r[s->refills.head].amount = 1000;
    INV();
    /* A binding seen from one side only, from the context's and from the thread's. */
    CHECK_EQ(sc_call(&c, sc, VL_SCHED_CONTEXT_BIND, NULL, 0, tcb), EXCEPTION_NONE);
    INV();
    t->sc = NULL;
    CHECK_INV_FIRES("scheduling context binding not mutual");
    t->sc = s;
    s->tcb = NULL;
    CHECK_INV_FIRES("scheduling context binding not mutual");
    s->tcb = t;
    INV();
}
