/*
 * Scheduling contexts and the SchedControl cap (slot VL_CAP_SCHED_CONTROL_SLOT of the
 * first task): every invocation's success and each of its errors, with the context's
 * budget, period and binding read back after every failed call to show nothing changed;
 * deletion of either side of a binding; copies of both cap types. These hold in every
 * kernel build: what an MCS=1 kernel enforces with the budgets is tested on its own.
 */
#include "ktest.h"

#define CTL VL_CAP_SCHED_CONTROL_SLOT

/* Checks that the context sc has budget b and period p. */
#define CHECK_BUDGET(sc, b, p)                                                                     \
    do {                                                                                           \
        vl_word_t b_, p_;                                                                          \
        CHECK_EQ(vl_sched_context_get_budget((sc), &b_, &p_), 0);                                  \
        CHECK_EQ(b_, (b));                                                                         \
        CHECK_EQ(p_, (p));                                                                         \
    } while (0)

/* Checks that a failed Configure reported the range [lo, hi]. */
#define CHECK_RANGE(lo, hi)                                                                        \
    do {                                                                                           \
        CHECK_EQ(vl_last_error.mr[0], (lo));                                                       \
        CHECK_EQ(vl_last_error.mr[1], (hi));                                                       \
    } while (0)

static void
test_sched_control_configure_errors(void)
{
    CHECK_TYPE(CTL, VL_CAP_SCHED_CONTROL);
    vl_cptr_t sc = obj_new(VL_OBJ_SCHED_CONTEXT, 0);
    CHECK(sc != 0);
    CHECK_TYPE(sc, VL_CAP_SCHED_CONTEXT);
    CHECK_BUDGET(sc, 0, 0);
    /* Too few arguments, or no context. */
    vl_word_t args[] = {1000, 10000};
    vl_cptr_t caps[] = {sc};
    CHECK_ERR(vl_invoke(CTL, VL_SCHED_CONTROL_CONFIGURE, args, 1, caps, 1, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_invoke(CTL, VL_SCHED_CONTROL_CONFIGURE, args, 2, NULL, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    /* Extra caps that are not scheduling contexts. */
    vl_cptr_t tcb = tcb_bare();
    static const vl_cptr_t not_sc[] = {VL_CAP_INIT_TCB, CTL, VL_CAP_SHUTDOWN_SLOT};
    for (unsigned i = 0; i < sizeof(not_sc) / sizeof(not_sc[0]); i++) {
        CHECK_ERR(vl_sched_control_configure(CTL, not_sc[i], 1000, 10000), VL_INVALID_CAPABILITY);
        CHECK_EQ(vl_last_error.mr[0], 1);
    }
    CHECK_ERR(vl_sched_control_configure(CTL, tcb, 1000, 10000), VL_INVALID_CAPABILITY);
    /* Periods out of range, then budgets out of range for the period. */
    CHECK_ERR(vl_sched_control_configure(CTL, sc, 1000, 0), VL_RANGE_ERROR);
    CHECK_RANGE(1, VL_SC_MAX_PERIOD);
    CHECK_ERR(vl_sched_control_configure(CTL, sc, 1000, VL_SC_MAX_PERIOD + 1), VL_RANGE_ERROR);
    CHECK_RANGE(1, VL_SC_MAX_PERIOD);
    CHECK_ERR(vl_sched_control_configure(CTL, sc, 1000, ~0ul), VL_RANGE_ERROR);
    CHECK_ERR(vl_sched_control_configure(CTL, sc, 0, 10000), VL_RANGE_ERROR);
    CHECK_RANGE(VL_SC_MIN_BUDGET, 10000);
    CHECK_ERR(vl_sched_control_configure(CTL, sc, VL_SC_MIN_BUDGET - 1, 10000), VL_RANGE_ERROR);
    CHECK_RANGE(VL_SC_MIN_BUDGET, 10000);
    CHECK_ERR(vl_sched_control_configure(CTL, sc, 10001, 10000), VL_RANGE_ERROR);
    CHECK_RANGE(VL_SC_MIN_BUDGET, 10000);
    /* A period below the minimum budget leaves no budget that fits. */
    CHECK_ERR(vl_sched_control_configure(CTL, sc, VL_SC_MIN_BUDGET, VL_SC_MIN_BUDGET - 1),
              VL_RANGE_ERROR);
    CHECK_BUDGET(sc, 0, 0);
    /* Labels that name no SchedControl operation. */
    static const vl_word_t bad[] = {0,
                                    VL_SCHED_CONTROL_CONFIGURE - 1,
                                    VL_SCHED_CONTROL_CONFIGURE + 1,
                                    VL_SCHED_CONTEXT_BIND,
                                    VL_SCHED_CONTEXT_GET_BUDGET,
                                    VL_SHUTDOWN_POWER_OFF};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_ERR(vl_invoke(CTL, bad[i], args, 2, caps, 1, NULL, 0), VL_ILLEGAL_OPERATION);
    }
    /* Other caps do not configure: not the context itself, not a TCB. */
    CHECK_ERR(vl_sched_control_configure(sc, sc, 1000, 10000), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_sched_control_configure(tcb, sc, 1000, 10000), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_sched_control_configure(VL_CAP_SHUTDOWN_SLOT, sc, 1000, 10000),
              VL_ILLEGAL_OPERATION);
    CHECK_BUDGET(sc, 0, 0);
    CHECK_EQ(vl_debug_check(), 0);
}

static void
test_sched_control_configure(void)
{
    vl_cptr_t sc = obj_new(VL_OBJ_SCHED_CONTEXT, 0);
    CHECK(sc != 0);
    CHECK_EQ(vl_sched_control_configure(CTL, sc, 1000, 10000), 0);
    CHECK_BUDGET(sc, 1000, 10000);
    CHECK_EQ(vl_debug_check(), 0);
    /* A failed reconfiguration keeps the old budget. */
    CHECK_ERR(vl_sched_control_configure(CTL, sc, 20000, 10000), VL_RANGE_ERROR);
    CHECK_BUDGET(sc, 1000, 10000);
    /* The bounds themselves are accepted: the smallest budget, a full share, the longest
     * period. */
    CHECK_EQ(vl_sched_control_configure(CTL, sc, VL_SC_MIN_BUDGET, VL_SC_MIN_BUDGET), 0);
    CHECK_BUDGET(sc, VL_SC_MIN_BUDGET, VL_SC_MIN_BUDGET);
    CHECK_EQ(vl_sched_control_configure(CTL, sc, VL_SC_MAX_PERIOD, VL_SC_MAX_PERIOD), 0);
    CHECK_BUDGET(sc, VL_SC_MAX_PERIOD, VL_SC_MAX_PERIOD);
    CHECK_EQ(vl_sched_control_configure(CTL, sc, VL_SC_MIN_BUDGET, VL_SC_MAX_PERIOD), 0);
    CHECK_BUDGET(sc, VL_SC_MIN_BUDGET, VL_SC_MAX_PERIOD);
    CHECK_EQ(vl_debug_check(), 0);
    /* A bound context is configured the same way. */
    vl_cptr_t tcb = tcb_bare();
    CHECK_EQ(vl_sched_context_bind(sc, tcb), 0);
    CHECK_EQ(vl_sched_control_configure(CTL, sc, 2000, 5000), 0);
    CHECK_BUDGET(sc, 2000, 5000);
    CHECK_EQ(vl_debug_check(), 0);
}

static void
test_sched_context_bind(void)
{
    vl_cptr_t sc = obj_new(VL_OBJ_SCHED_CONTEXT, 0);
    vl_cptr_t sc2 = obj_new(VL_OBJ_SCHED_CONTEXT, 0);
    vl_cptr_t tcb = tcb_bare();
    vl_cptr_t tcb2 = tcb_bare();
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK(sc != 0 && sc2 != 0 && tcb != 0 && tcb2 != 0 && ep != 0);
    /* Errors: no TCB, not a TCB. */
    CHECK_ERR(vl_invoke(sc, VL_SCHED_CONTEXT_BIND, NULL, 0, NULL, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_sched_context_bind(sc, ep), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_sched_context_bind(sc, sc2), VL_INVALID_CAPABILITY);
    CHECK_ERR(vl_sched_context_unbind(sc), VL_ILLEGAL_OPERATION);
    /* An unconfigured context binds (it gets its budget later). */
    CHECK_EQ(vl_sched_context_bind(sc, tcb), 0);
    CHECK_EQ(vl_debug_check(), 0);
    /* One context per thread, one thread per context. */
    CHECK_ERR(vl_sched_context_bind(sc, tcb), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_sched_context_bind(sc, tcb2), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_sched_context_bind(sc2, tcb), VL_ILLEGAL_OPERATION);
    /* Nothing changed: sc2 and tcb2 are still free for each other, and sc still holds
     * tcb (unbinding it succeeds once). */
    CHECK_EQ(vl_sched_context_bind(sc2, tcb2), 0);
    CHECK_EQ(vl_sched_context_unbind(sc), 0);
    CHECK_ERR(vl_sched_context_unbind(sc), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_debug_check(), 0);
    /* After Unbind both sides bind again. */
    CHECK_ERR(vl_sched_context_bind(sc, tcb2), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_sched_context_unbind(sc2), 0);
    CHECK_EQ(vl_sched_context_bind(sc, tcb2), 0);
    CHECK_EQ(vl_sched_context_bind(sc2, tcb), 0);
    CHECK_EQ(vl_debug_check(), 0);
    /* Labels that name no SchedContext operation, and a context's cap is no TCB. */
    static const vl_word_t bad[] = {0, VL_SCHED_CONTEXT_BIND - 1, VL_SCHED_CONTEXT_GET_BUDGET + 1,
                                    VL_SCHED_CONTROL_CONFIGURE, VL_TCB_RESUME};
    vl_cptr_t caps[] = {tcb};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_ERR(vl_invoke(sc, bad[i], NULL, 0, caps, 1, NULL, 0), VL_ILLEGAL_OPERATION);
    }
    CHECK_ERR(vl_sched_context_bind(tcb, tcb), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_sched_context_unbind(CTL), VL_ILLEGAL_OPERATION);
    vl_word_t ticks, b, p;
    CHECK_ERR(vl_sched_context_consumed(tcb, &ticks), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_sched_context_get_budget(tcb2, &b, &p), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_debug_check(), 0);
}

static void
test_sched_context_consumed(void)
{
    vl_cptr_t sc = obj_new(VL_OBJ_SCHED_CONTEXT, 0);
    vl_cptr_t tcb = tcb_bare();
    CHECK(sc != 0 && tcb != 0);
    /* No thread has run on it: nothing is charged, configured or not, bound or not. */
    vl_word_t ticks = 1;
    CHECK_EQ(vl_sched_context_consumed(sc, &ticks), 0);
    CHECK_EQ(ticks, 0);
    CHECK_EQ(vl_sched_control_configure(CTL, sc, 1000, 10000), 0);
    CHECK_EQ(vl_sched_context_bind(sc, tcb), 0);
    ticks = 1;
    CHECK_EQ(vl_sched_context_consumed(sc, &ticks), 0);
    CHECK_EQ(ticks, 0);
    CHECK_BUDGET(sc, 1000, 10000);
    CHECK_EQ(vl_debug_check(), 0);
}

static void
test_sched_context_delete(void)
{
    vl_cptr_t sc = obj_new(VL_OBJ_SCHED_CONTEXT, 0);
    vl_cptr_t sc2 = obj_new(VL_OBJ_SCHED_CONTEXT, 0);
    vl_cptr_t tcb = tcb_bare();
    vl_cptr_t tcb2 = tcb_bare();
    CHECK(sc != 0 && sc2 != 0 && tcb != 0 && tcb2 != 0);
    CHECK_EQ(vl_sched_context_bind(sc, tcb), 0);
    /* Deleting a copy of the context's cap leaves the binding... */
    vl_cptr_t copy = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, copy, 64, ROOT, sc, 64, VL_RIGHTS_ALL), 0);
    CHECK_TYPE(copy, VL_CAP_SCHED_CONTEXT);
    CHECK_ERR(vl_sched_context_bind(copy, tcb2), VL_ILLEGAL_OPERATION); /* same context */
    CHECK_EQ(vl_cnode_delete(ROOT, copy, 64), 0);
    CHECK_ERR(vl_sched_context_bind(sc2, tcb), VL_ILLEGAL_OPERATION);
    /* ...deleting its last cap destroys it and frees the thread for another context. */
    CHECK_EQ(vl_cnode_delete(ROOT, sc, 64), 0);
    CHECK_EQ(vl_debug_check(), 0);
    CHECK_EQ(vl_sched_context_bind(sc2, tcb), 0);
    /* Destroying the thread frees its context. */
    CHECK_EQ(vl_cnode_delete(ROOT, tcb, 64), 0);
    CHECK_EQ(vl_debug_check(), 0);
    CHECK_ERR(vl_sched_context_unbind(sc2), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_sched_context_bind(sc2, tcb2), 0);
    /* Revoking the memory both came from destroys both, bound: the checker runs after. */
    CHECK_EQ(vl_debug_check(), 0);
}

static void
test_sched_caps(void)
{
    /* Identify knows both types; neither has rights or a badge. */
    struct vl_cap_info info;
    CHECK_EQ(vl_cap_identify(CTL, &info), 0);
    CHECK_EQ(info.type, VL_CAP_SCHED_CONTROL);
    CHECK_EQ(info.rights, 0);
    CHECK_EQ(info.badge, 0);
    vl_cptr_t sc = obj_new(VL_OBJ_SCHED_CONTEXT, 0);
    CHECK_EQ(vl_cap_identify(sc, &info), 0);
    CHECK_EQ(info.type, VL_CAP_SCHED_CONTEXT);
    CHECK_EQ(info.rights, 0);
    CHECK_EQ(info.badge, 0);
    /* A mint of either is the same cap: a badge or rights mask turns neither into the
     * other, so a thread holding only its own context cannot make itself a SchedControl
     * and raise its own budget. */
    vl_cptr_t m = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, m, 64, ROOT, sc, 64, 0, 77), 0);
    CHECK_EQ(vl_cap_identify(m, &info), 0);
    CHECK_EQ(info.type, VL_CAP_SCHED_CONTEXT);
    CHECK_EQ(info.badge, 0);
    CHECK_ERR(vl_sched_control_configure(m, m, 1000, 1000), VL_ILLEGAL_OPERATION);
    vl_cptr_t c = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, c, 64, ROOT, CTL, 64, VL_RIGHT_READ, 5), 0);
    CHECK_TYPE(c, VL_CAP_SCHED_CONTROL);
    CHECK_EQ(vl_sched_control_configure(c, m, 1000, 1000), 0);
    CHECK_BUDGET(sc, 1000, 1000);
    /* Neither is untyped memory nor a frame. */
    CHECK_ERR(vl_untyped_retype(c, VL_OBJ_FRAME_4K, 0, ROOT, 0, 0, slot_alloc(), 1),
              VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_frame_map(sc, VL_CAP_INIT_VSPACE, 0x10000000, VL_RIGHTS_ALL, 0),
              VL_ILLEGAL_OPERATION);
    /* Revoking the original SchedControl removes the copies, not the original. */
    CHECK_EQ(vl_cnode_revoke(ROOT, CTL, 64), 0);
    CHECK_TYPE(c, VL_CAP_NULL);
    CHECK_TYPE(CTL, VL_CAP_SCHED_CONTROL);
    CHECK_EQ(vl_debug_check(), 0);
}

#ifdef CONFIG_MCS
/* The running thread already runs on the context the kernel gave it at boot: binding it to
 * another is refused, and sc is left as it was. */
static void
orders_running_thread(vl_cptr_t sc, vl_cptr_t s_in)
{
    CHECK_ERR(vl_sched_context_bind(sc, VL_CAP_INIT_TCB), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_sched_context_bind(s_in, VL_CAP_INIT_TCB), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_sched_context_unbind(sc), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_debug_check(), 0);
}
#else
/* The running thread bound to a context, which it reconfigures and then destroys: it runs
 * on, bound to nothing, and binds again. */
static void
orders_running_thread(vl_cptr_t sc, vl_cptr_t s_in)
{
    CHECK_EQ(vl_sched_context_bind(sc, VL_CAP_INIT_TCB), 0);
    CHECK_ERR(vl_sched_context_bind(s_in, VL_CAP_INIT_TCB), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_sched_control_configure(CTL, sc, VL_SC_MIN_BUDGET, VL_SC_MAX_PERIOD), 0);
    CHECK_EQ(vl_debug_check(), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, sc, 64), 0);
    CHECK_EQ(vl_debug_check(), 0);
    CHECK_EQ(vl_sched_context_bind(s_in, VL_CAP_INIT_TCB), 0);
    CHECK_EQ(vl_sched_context_unbind(s_in), 0);
    CHECK_EQ(vl_debug_check(), 0);
}
#endif

/*
 * The orders an attacker holding one side of a binding can choose: either object destroyed
 * by revoking the memory it came from while the other lives on, a binding made and kept
 * through copies of both caps, and the running thread bound to a context whose last cap it
 * deletes. After each the survivor is free (Unbind refused, Bind to a fresh partner works)
 * and the invariant walk, which checks that bindings are mutual, holds.
 */
static void
test_sched_context_orders(void)
{
    vl_cptr_t ut = obj_new(VL_OBJ_UNTYPED, 16);
    vl_cptr_t sc = obj_new(VL_OBJ_SCHED_CONTEXT, 0);
    vl_cptr_t tcb = tcb_bare();
    CHECK(ut != 0 && sc != 0 && tcb != 0);
    /* A thread from ut bound to sc: revoking ut destroys the thread and frees sc. */
    vl_cptr_t t_in = slot_alloc();
    CHECK_EQ(vl_untyped_retype(ut, VL_OBJ_TCB, 0, ROOT, 0, 0, t_in, 1), 0);
    CHECK_EQ(vl_sched_control_configure(CTL, sc, 1000, 10000), 0);
    CHECK_EQ(vl_sched_context_bind(sc, t_in), 0);
    CHECK_EQ(vl_cnode_revoke(ROOT, ut, 64), 0);
    CHECK_TYPE(t_in, VL_CAP_NULL);
    CHECK_EQ(vl_debug_check(), 0);
    CHECK_ERR(vl_sched_context_unbind(sc), VL_ILLEGAL_OPERATION);
    CHECK_BUDGET(sc, 1000, 10000);
    /* A context from ut bound to tcb: revoking ut destroys the context and frees tcb, also
     * when the memory is retyped at once into a new context at the same place. */
    vl_cptr_t s_in = slot_alloc();
    CHECK_EQ(vl_untyped_retype(ut, VL_OBJ_SCHED_CONTEXT, 0, ROOT, 0, 0, s_in, 1), 0);
    CHECK_EQ(vl_sched_context_bind(s_in, tcb), 0);
    CHECK_EQ(vl_cnode_revoke(ROOT, ut, 64), 0);
    CHECK_TYPE(s_in, VL_CAP_NULL);
    CHECK_EQ(vl_debug_check(), 0);
    CHECK_EQ(vl_untyped_retype(ut, VL_OBJ_SCHED_CONTEXT, 0, ROOT, 0, 0, s_in, 1), 0);
    CHECK_BUDGET(s_in, 0, 0);
    CHECK_ERR(vl_sched_context_unbind(s_in), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_sched_context_bind(sc, tcb), 0);
    CHECK_ERR(vl_sched_context_bind(s_in, tcb), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_debug_check(), 0);
    /* Copies: a minted TCB cap and a copied context cap name the same objects, and deleting
     * a copy (not the last cap) leaves the binding. */
    CHECK_EQ(vl_sched_context_unbind(sc), 0);
    vl_cptr_t t_copy = slot_alloc();
    vl_cptr_t s_copy = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, t_copy, 64, ROOT, tcb, 64, VL_RIGHT_READ, 0), 0);
    CHECK_EQ(vl_cnode_copy(ROOT, s_copy, 64, ROOT, sc, 64, VL_RIGHTS_ALL), 0);
    CHECK_EQ(vl_sched_context_bind(s_copy, t_copy), 0);
    CHECK_ERR(vl_sched_context_bind(s_in, tcb), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_cnode_delete(ROOT, t_copy, 64), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, s_copy, 64), 0);
    CHECK_ERR(vl_sched_context_bind(s_in, tcb), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_sched_context_unbind(sc), 0);
    CHECK_EQ(vl_debug_check(), 0);
    orders_running_thread(sc, s_in);
}

void
sched_context_tests(void)
{
    RUN(test_sched_control_configure_errors);
    RUN(test_sched_control_configure);
    RUN(test_sched_context_bind);
    RUN(test_sched_context_consumed);
    RUN(test_sched_context_delete);
    RUN(test_sched_caps);
    RUN(test_sched_context_orders);
}
